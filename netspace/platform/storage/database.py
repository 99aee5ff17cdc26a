"""The campaign database: SQLAlchemy engines (SQLite, PostgreSQL, ...) and Optuna's ``RDBStorage`` on them.

Checks reachability up front so an unreachable database is one line
(``cannot reach storage postgresql://user:***@host/db: connection refused``), not a traceback.

Outages: every call on the storage :func:`open_storage` returns (and :func:`with_retry` around other statements)
is retried with exponential backoff while the database is unreachable (a connection error, not a bad query), for
at most ``NETSPACE_STORAGE_RETRY_S`` seconds (default 120); after that it raises one :class:`StorageError` line.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from netspace.errors import CampaignError, StorageError
from netspace.platform.storage.retry import (  # noqa: F401  (re-exported: the storage adapter's one retry policy)
    BACKOFF_MAX_S,
    ENV_RETRY,
    RETRY_S,
    _one_line,
    disk_full_line,
    is_transient,
    retry_budget_s,
    with_retry,
)
from netspace.platform.storage.urls import mask_secrets, normalize_url

CONNECT_TIMEOUT_S = 5


def _engine_kwargs(url: str) -> dict:
    if url.startswith("sqlite"):
        # several processes (driver, heartbeat, `netspace status`, dashboard) share the file
        return {"connect_args": {"timeout": 60}}
    if url.startswith("postgresql"):
        return {"connect_args": {"connect_timeout": CONNECT_TIMEOUT_S}, "pool_pre_ping": True}
    return {"pool_pre_ping": True}


def check_reachable(url: str, *, must_exist: bool = False) -> None:
    """Raise :class:`StorageError` (one line, password masked) unless ``url`` can be connected to."""
    import sqlalchemy

    url = normalize_url(url)
    shown = mask_secrets(url)
    try:
        parsed = sqlalchemy.engine.make_url(url)
    except Exception:
        raise StorageError(f"malformed storage URL {shown!r}; expected e.g. sqlite:///netspace.db or "
                           "postgresql://user:password@host:5432/db") from None
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:":
            path = Path(db)
            if must_exist and not path.exists():
                raise StorageError(f"storage {shown} does not exist (no campaign has run there)")
            if not path.parent.exists():
                raise StorageError(f"cannot reach storage {shown}: directory {path.parent} does not exist")
    try:
        engine = sqlalchemy.create_engine(url, **_engine_kwargs(url))
    except Exception as exc:  # e.g. missing driver module
        raise StorageError(f"cannot use storage {shown}: {_one_line(exc, url)}") from None
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:
        raise StorageError(f"cannot reach storage {shown}: {_one_line(exc, url)}") from None
    finally:
        engine.dispose()


def open_storage(url: str, *, must_exist: bool = False):
    """An ``optuna.storages.RDBStorage`` for ``url`` after a reachability check, retrying through outages."""
    url = normalize_url(url)
    check_reachable(url, must_exist=must_exist)
    from netspace.platform.storage.optuna_storage import RetryingRDBStorage, quiet

    quiet()
    for attempt in range(5):
        try:
            return RetryingRDBStorage(url, engine_kwargs=_engine_kwargs(url), skip_compatibility_check=False)
        except Exception as exc:
            # a new database raced by two processes: the other one created the tables first
            msg = str(exc)
            if attempt < 4 and any(t in msg for t in ("already exists", "UNIQUE constraint failed", "duplicate key")):
                time.sleep(0.2 * (attempt + 1))
                continue
            raise StorageError(f"cannot open storage {mask_secrets(url)}: {_one_line(exc, url)}") from None
    raise AssertionError("unreachable")  # pragma: no cover


def create_engine(url: str):
    """A plain SQLAlchemy engine on the same database, owned (and disposed) by the caller (the driver lease)."""
    import sqlalchemy

    url = normalize_url(url)
    return sqlalchemy.create_engine(url, **_engine_kwargs(url))


# -- shared, read-side connections (one per URL and process) -----------------------------------------------
_SHARED_ENGINES: dict[str, Any] = {}
_SHARED_STORAGES: dict[str, Any] = {}


def shared_engine(url: str):
    """The process's read engine for ``url`` (the trial reader, ``status``, the dashboard), created once after a
    reachability check: a storage that does not exist is one :class:`StorageError` line."""
    url = normalize_url(url)
    engine = _SHARED_ENGINES.get(url)
    if engine is None:
        check_reachable(url, must_exist=True)
        engine = _SHARED_ENGINES[url] = create_engine(url)
    return engine


def shared_storage(url: str):
    """The process's Optuna storage (:func:`open_storage`, must exist) for ``url``, opened once."""
    url = normalize_url(url)
    storage = _SHARED_STORAGES.get(url)
    if storage is None:
        storage = _SHARED_STORAGES[url] = open_storage(url, must_exist=True)
    return storage


def dispose_shared() -> None:
    """Close every shared engine and storage (e.g. before a test drops its database)."""
    for storage in _SHARED_STORAGES.values():
        storage.engine.dispose()
    for engine in _SHARED_ENGINES.values():
        engine.dispose()
    _SHARED_STORAGES.clear()
    _SHARED_ENGINES.clear()


def campaign_of(study) -> str | None:
    """The campaign an Optuna study belongs to (its ``campaign`` attr, else the prefix of its name)."""
    from netspace.platform.storage.urls import split_study_name

    if study.user_attrs.get("campaign"):
        return study.user_attrs["campaign"]
    parts = split_study_name(study.study_name)
    return parts[0] if parts else None


def label_of(study) -> str:
    """The space label of a campaign study (``space`` attr, else the part of its name after ``::``)."""
    from netspace.platform.storage.urls import split_study_name

    parts = split_study_name(study.study_name)
    return study.user_attrs.get("label") or (parts[1] if parts else study.study_name)


def unknown_campaign(name: str, url: str, known) -> CampaignError:
    """The one error for a campaign name the storage does not hold."""
    known = sorted({k for k in known if k})
    hint = f"; campaigns there: {', '.join(known)}" if known else "; it holds no campaigns"
    return CampaignError(f"no campaign {name!r} in storage {mask_secrets(url)}{hint}")


def study_trials(storage, study, states: tuple[str, ...] | None = None) -> list:
    """The trials (``FrozenTrial``, not copied) of one study returned by :func:`campaign_studies`; ``states``
    limits them by state name (e.g. ``("COMPLETE",)``)."""
    return _in_states(storage.get_all_trials(study._study_id, deepcopy=False), states)


def _in_states(trials: list, states: tuple[str, ...] | None) -> list:
    return trials if states is None else [t for t in trials if t.state.name in states]


def named_study_trials(url: str, name: str, states: tuple[str, ...] | None = None) -> list | None:
    """The trials (``FrozenTrial``, not copied) of the study called ``name``, read through the shared storage and
    limited by state name like :func:`study_trials`; None when the storage holds no such study."""
    storage = shared_storage(url)
    try:
        study_id = storage.get_study_id_from_name(name)
    except KeyError:
        return None
    return _in_states(storage.get_all_trials(study_id, deepcopy=False), states)


def campaign_studies(storage, name: str, url: str, *, required: bool = True) -> list:
    """The Optuna studies (``FrozenStudy``) of campaign ``name``, sorted by name; if there are none,
    :func:`unknown_campaign` is raised (``required``) or an empty list returned."""
    everything = storage.get_all_studies()
    studies = sorted((s for s in everything if campaign_of(s) == name), key=lambda s: s.study_name)
    if not studies and required:
        raise unknown_campaign(name, url, (campaign_of(s) for s in everything))
    return studies


def completed_trials(url: str, campaign: str) -> dict[str, tuple[dict, list]]:
    """label -> (study user attrs, COMPLETE trials as ``FrozenTrial``) for every study of ``campaign``, read
    through the shared storage; an unreadable storage is one :class:`StorageError` line."""
    storage = shared_storage(url)
    try:
        studies = campaign_studies(storage, campaign, url)
    except (CampaignError, StorageError):
        raise
    except Exception as exc:
        raise StorageError(f"cannot read campaign storage {mask_secrets(url)}: {_one_line(exc, url)}") from exc
    return {label_of(s): (dict(s.user_attrs), study_trials(storage, s, ("COMPLETE",))) for s in studies}

"""The campaign database: SQLAlchemy engines (SQLite, PostgreSQL, ...) and Optuna's ``RDBStorage`` on them.

Checks reachability up front so an unreachable database is one line
(``cannot reach storage postgresql://user:***@host/db: connection refused``), not a traceback.
"""

from __future__ import annotations

from pathlib import Path

from netspace.errors import CampaignError, StorageError
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


def _one_line(exc: BaseException, url: str) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = " ".join(str(orig).split()) or type(orig).__name__
    # drivers sometimes echo the DSN: never show a password
    from sqlalchemy.engine import make_url

    try:
        pw = make_url(url).password
    except Exception:
        pw = None
    if pw:
        text = text.replace(str(pw), "***")
    return mask_secrets(text)[:300]


def open_storage(url: str, *, must_exist: bool = False):
    """An ``optuna.storages.RDBStorage`` for ``url`` after a reachability check."""
    url = normalize_url(url)
    check_reachable(url, must_exist=must_exist)
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        return optuna.storages.RDBStorage(url, engine_kwargs=_engine_kwargs(url), skip_compatibility_check=False)
    except Exception as exc:
        raise StorageError(f"cannot open storage {mask_secrets(url)}: {_one_line(exc, url)}") from None


def create_engine(url: str):
    """A plain SQLAlchemy engine on the same database (the driver lease uses it)."""
    import sqlalchemy

    url = normalize_url(url)
    return sqlalchemy.create_engine(url, **_engine_kwargs(url))



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


def campaign_studies(storage, name: str, url: str, *, required: bool = True) -> list:
    """The Optuna studies (``FrozenStudy``) of campaign ``name``, sorted by name; if there are none,
    :func:`unknown_campaign` is raised (``required``) or an empty list returned."""
    everything = storage.get_all_studies()
    studies = sorted((s for s in everything if campaign_of(s) == name), key=lambda s: s.study_name)
    if not studies and required:
        raise unknown_campaign(name, url, (campaign_of(s) for s in everything))
    return studies

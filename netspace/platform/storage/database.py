"""The campaign database: SQLAlchemy engines (SQLite, PostgreSQL, ...) and Optuna's ``RDBStorage`` on them.

Checks reachability up front so an unreachable database is one line
(``cannot reach storage postgresql://user:***@host/db: connection refused``), not a traceback.

Outages: every call on the storage :func:`open_storage` returns (and :func:`with_retry` around other statements)
is retried with exponential backoff while the database is unreachable (a connection error, not a bad query), for
at most ``NETSPACE_STORAGE_RETRY_S`` seconds (default 120); after that it raises one :class:`StorageError` line.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from pathlib import Path

from netspace.errors import CampaignError, StorageError
from netspace.platform.storage.urls import mask_secrets, normalize_url

CONNECT_TIMEOUT_S = 5
ENV_RETRY = "NETSPACE_STORAGE_RETRY_S"
RETRY_S = 120.0
BACKOFF_MAX_S = 8.0


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


def retry_budget_s() -> float:
    return float(os.environ.get(ENV_RETRY) or RETRY_S)


def is_transient(exc: BaseException) -> bool:
    """True for a lost or refused database connection (worth retrying), False for a bad query or data."""
    import sqlalchemy

    seen = 0
    while exc is not None and seen < 6:
        if isinstance(exc, (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError)):
            return True
        if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated:
            return True
        if type(exc).__name__ in ("OperationalError", "InterfaceError") and "psycopg" in type(exc).__module__:
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def with_retry(fn, *args, what: str = "storage", url: str | None = None, **kwargs):
    """``fn(*args, **kwargs)``, retried with backoff (0.25 s doubling to 8 s) while :func:`is_transient`, for at
    most :func:`retry_budget_s`; then one :class:`StorageError` line."""
    budget = retry_budget_s()
    start, delay, warned = time.monotonic(), 0.25, False
    while True:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            from netspace.workers.diskspace import DiskFull, is_disk_full

            if is_disk_full(exc) and not isinstance(exc, DiskFull):  # not an outage: retrying cannot help
                raise DiskFull(disk_full_line(what, url)) from None
            if not is_transient(exc):
                raise
            waited = time.monotonic() - start
            reason = _one_line(exc, url or "")[:160]
            if waited + delay > budget:
                where = f" {mask_secrets(url)}" if url else ""
                raise StorageError(f"{what}{where} unreachable for {waited:.0f} s ({reason}); stopping. Finished "
                                   "trials are stored: `netspace resume` continues the campaign") from None
            if not warned:
                print(f"netspace: {what} unreachable ({reason}); retrying for up to {budget:.0f} s",
                      file=sys.stderr, flush=True)
                warned = True
            time.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX_S)


def disk_full_line(what: str, url: str | None) -> str:
    """One line naming the SQLite file (or the storage) and its free space; the advice holds whether or not the
    campaign had been created."""
    from netspace.workers.diskspace import describe

    path = url.split(":///", 1)[1] if url and url.startswith("sqlite:///") else None
    where = describe(path) if path else f"disk full at {mask_secrets(url or what)}"
    return f"{what}: {where}; stopped without writing more: free space, then run the same command again"


def _retrying(method):
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        if getattr(self._retry_depth, "n", 0):  # an inner call of a call already being retried
            return method(self, *args, **kwargs)
        self._retry_depth.n = 1
        try:
            return with_retry(method, self, *args, url=self._shown_url, **kwargs)
        finally:
            self._retry_depth.n = 0
    return call


_RETRYING_CLASS = None


def _retrying_storage_class():
    """``RDBStorage`` whose public methods retry through outages (built once, on first use)."""
    global _RETRYING_CLASS
    if _RETRYING_CLASS is None:
        import threading

        import optuna

        base = optuna.storages.RDBStorage
        names = [n for n, v in vars(base).items() if callable(v) and not n.startswith("_")
                 and n not in ("upgrade", "remove_session", "get_current_version", "get_head_version",
                               "get_all_versions")]
        ns = {n: _retrying(getattr(base, n)) for n in names}

        def __init__(self, url, **kwargs):
            self._retry_depth = threading.local()
            self._shown_url = url
            base.__init__(self, url, **kwargs)

        def __setstate__(self, state):
            base.__setstate__(self, state)
            self._retry_depth = threading.local()

        def __getstate__(self):
            state = base.__getstate__(self)
            state.pop("_retry_depth", None)
            return state

        ns.update(__init__=__init__, __setstate__=__setstate__, __getstate__=__getstate__, __module__=__name__,
                  __qualname__="RetryingRDBStorage")
        _RETRYING_CLASS = type("RetryingRDBStorage", (base,), ns)
    return _RETRYING_CLASS


def __getattr__(name: str):  # so a pickled storage finds its class in a fresh process
    if name == "RetryingRDBStorage":
        return _retrying_storage_class()
    raise AttributeError(name)


def open_storage(url: str, *, must_exist: bool = False):
    """An ``optuna.storages.RDBStorage`` for ``url`` after a reachability check, retrying through outages."""
    url = normalize_url(url)
    check_reachable(url, must_exist=must_exist)
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    cls = _retrying_storage_class()
    for attempt in range(5):
        try:
            return cls(url, engine_kwargs=_engine_kwargs(url), skip_compatibility_check=False)
        except Exception as exc:
            # a new database raced by two processes: the other one created the tables first
            msg = str(exc)
            if attempt < 4 and any(t in msg for t in ("already exists", "UNIQUE constraint failed", "duplicate key")):
                time.sleep(0.2 * (attempt + 1))
                continue
            raise StorageError(f"cannot open storage {mask_secrets(url)}: {_one_line(exc, url)}") from None
    raise AssertionError("unreachable")  # pragma: no cover


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

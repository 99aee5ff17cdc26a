"""The campaign storage: SQLAlchemy URLs (SQLite, PostgreSQL, ...) behind Optuna's ``RDBStorage``.

Resolves the URL (``--storage`` > campaign file > ``$NETSPACE_STORAGE`` > ``sqlite:///netspace.db``), masks
passwords for anything shown or stored, and checks reachability up front so an unreachable database is one line
(``cannot reach storage postgresql://user:***@host/db: connection refused``), not a traceback.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from netspace.errors import StorageError

ENV_STORAGE = "NETSPACE_STORAGE"
DEFAULT_STORAGE = "sqlite:///netspace.db"
CONNECT_TIMEOUT_S = 5

_PASSWORD = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@]*:)(.*)(@[^@]*)$")  # up to the last '@' 


def mask_url(url: str | None) -> str:
    """``postgresql://user:secret@host/db`` -> ``postgresql://user:***@host/db``."""
    if not url:
        return ""
    return _PASSWORD.sub(r"\1***\3", str(url), count=1)


def normalize_url(url: str) -> str:
    """``postgresql://`` means psycopg (v3) to SQLAlchemy 2.1; use psycopg2 when that is what is installed."""
    if url.startswith(("postgresql://", "postgres://")):
        import importlib.util

        if importlib.util.find_spec("psycopg") is None and importlib.util.find_spec("psycopg2") is not None:
            return "postgresql+psycopg2://" + url.split("://", 1)[1]
    return url


def resolve_url(cli_url: str | None = None, spec_url: str | None = None) -> str:
    """The storage URL to use, with a relative SQLite path made absolute (against the working directory)."""
    from netspace.platform.campaign import absolute_sqlite_url

    url = cli_url or spec_url or os.environ.get(ENV_STORAGE) or DEFAULT_STORAGE
    return normalize_url(absolute_sqlite_url(url, Path.cwd()))


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
    shown = mask_url(url)
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
    return text[:300]


def open_storage(url: str, *, must_exist: bool = False):
    """An ``optuna.storages.RDBStorage`` for ``url`` after a reachability check."""
    url = normalize_url(url)
    check_reachable(url, must_exist=must_exist)
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        return optuna.storages.RDBStorage(url, engine_kwargs=_engine_kwargs(url), skip_compatibility_check=False)
    except Exception as exc:
        raise StorageError(f"cannot open storage {mask_url(url)}: {_one_line(exc, url)}") from None


def create_engine(url: str):
    """A plain SQLAlchemy engine on the same database (the driver lease uses it)."""
    import sqlalchemy

    url = normalize_url(url)
    return sqlalchemy.create_engine(url, **_engine_kwargs(url))

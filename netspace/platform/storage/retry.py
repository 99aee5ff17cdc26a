"""Retrying storage calls through outages: :func:`with_retry` retries a call with exponential backoff while the
database is unreachable (a connection error, not a bad query), for at most ``NETSPACE_STORAGE_RETRY_S`` seconds
(default 120), then raises one :class:`StorageError` line; a full disk is not an outage and stops at once."""

from __future__ import annotations

import os
import sys
import time

from netspace.errors import StorageError
from netspace.platform.storage.urls import mask_secrets

ENV_RETRY = "NETSPACE_STORAGE_RETRY_S"
RETRY_S = 120.0
BACKOFF_MAX_S = 8.0


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
    cur: BaseException | None = exc
    while cur is not None and seen < 6:
        exc = cur
        if isinstance(exc, (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError)):
            return True
        if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated:
            return True
        if type(exc).__name__ in ("OperationalError", "InterfaceError") and "psycopg" in type(exc).__module__:
            return True
        cur, seen = exc.__cause__ or exc.__context__, seen + 1
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

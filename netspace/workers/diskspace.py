"""Full disks are an infrastructure fault, not a model failure: helpers to recognise one (``ENOSPC``, SQLite's
"database or disk is full", torch's failed stream writes), to check the room before a checkpoint is written,
and to describe it in one line naming the path and its free space. No netspace imports beyond errors."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

from netspace.errors import NetspaceError, StorageError

#: result key a worker reports instead of failing, so the driver stops without recording a FAIL
INFRA_KEY = "infra_error"
MARGIN_BYTES = 64 * 1024
_PHRASES = ("no space left on device", "database or disk is full", "disk quota exceeded", "file write failed",
            "not enough free space")


class DiskFull(StorageError):
    """No room to write: stop, record nothing as failed; freeing space and resuming continues."""

    def __init__(self, message: str):
        NetspaceError.__init__(self, message)
        self.errno = errno.ENOSPC

    def __str__(self) -> str:
        return NetspaceError.__str__(self)


def free_bytes(path: str | Path) -> int | None:
    """Free bytes on the filesystem holding ``path`` (its nearest existing parent); None when unknown."""
    p = Path(path)
    for candidate in (p, *p.parents):
        try:
            return shutil.disk_usage(candidate).free
        except OSError:
            continue
    return None


def human_bytes(size: int | None) -> str:
    if size is None:
        return "unknown"
    n = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def is_disk_full(exc: BaseException | None) -> bool:
    """True when ``exc`` (or an exception it was raised from) says the disk or quota is full."""
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, DiskFull):
            return True
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        text = str(exc).lower()
        if any(p in text for p in _PHRASES):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def describe(path: str | Path, need: int | None = None) -> str:
    """``disk full at PATH (12.0 KB free[, a checkpoint needs about 1.5 MB])``."""
    extra = f", a checkpoint needs about {human_bytes(need)}" if need else ""
    return f"disk full at {path} ({human_bytes(free_bytes(path))} free{extra})"


_LAST_SIZE: dict[str, int] = {}  # file name -> size of the last one written in this process


def ensure_room(path: str | Path) -> None:
    """Before writing ``path`` (a checkpoint): raise :class:`DiskFull` unless its filesystem has room for a file
    the size of the last one of that name (the existing file, else the last written by this process)."""
    p = Path(path)
    try:
        need = p.stat().st_size
    except OSError:
        need = _LAST_SIZE.get(p.name, 0)
    if not need:
        return
    free = free_bytes(p.parent)
    if free is not None and free < need + MARGIN_BYTES:
        raise DiskFull(describe(p.parent, need))


def remember_size(path: str | Path) -> None:
    try:
        _LAST_SIZE[Path(path).name] = Path(path).stat().st_size
    except OSError:
        pass

"""Safe printing: text that comes from storage (campaign, study and space names, labels, notes) or from a
server is never interpreted by Rich (``[/bold]``, ``[link=…]``) nor by the terminal (escape sequences), and
names used in file names cannot leave their folder. Pure string functions."""

from __future__ import annotations

import re

from rich.markup import escape

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_UNSAFE_FILE = re.compile(r"[^A-Za-z0-9._-]+")


def plain(value: object) -> str:
    """``value`` as text with terminal control characters (ESC, BEL, CR…) shown as ``?``, on one line."""
    return _CONTROL.sub("?", str(value)).replace("\n", " ")


def safe(value: object) -> str:
    """``value`` ready for a Rich string (markup escaped, control characters removed)."""
    return escape(plain(value))


def safe_filename(name: object, *, limit: int = 80) -> str:
    """A file-name fragment from a label: runs of anything but letters, digits, ``.``, ``_`` and ``-`` become
    ``_`` (so ``/`` and ``..`` cannot climb out of the report folder); never empty, at most ``limit`` long."""
    out = _UNSAFE_FILE.sub("_", str(name)).strip("._") or "space"
    return out[:limit]

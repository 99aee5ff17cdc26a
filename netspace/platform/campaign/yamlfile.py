"""Bounded reading of user YAML (campaign files, ``--restrict``): nothing a file holds can make netspace use
memory or time out of proportion to its size, and nothing it holds is echoed back at length.

* the bytes are decoded as UTF-8, strictly: a bad byte is one line naming its offset;
* YAML aliases (``*name``) are refused while parsing, before any value is built or validated: a "billion
  laughs" file of a few hundred bytes would otherwise expand to gigabytes (anchors alone are harmless and allowed);
* the file is at most :data:`MAX_BYTES` long;
* :func:`clip` shortens any value quoted in an error message to about :data:`MAX_QUOTED` characters.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from netspace.errors import CampaignError

MAX_BYTES = 1_000_000
MAX_QUOTED = 80


class AliasRefused(yaml.YAMLError):
    def __init__(self, mark):
        super().__init__("YAML aliases (*name) are not allowed in netspace files; write the value out")
        self.problem_mark = mark


class _NoAliasLoader(yaml.SafeLoader):
    """``SafeLoader`` that stops at the first alias event, before composing (or expanding) anything from it."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise AliasRefused(self.peek_event().start_mark)
        return super().compose_node(parent, index)


def loads(text: str, label: str) -> Any:
    """Parse YAML ``text`` without aliases; any problem is one :class:`CampaignError` line naming ``label``."""
    try:
        return yaml.load(text, Loader=_NoAliasLoader)
    except AliasRefused as exc:
        line = f":{exc.problem_mark.line + 1}" if exc.problem_mark is not None else ""
        raise CampaignError(f"{label}{line}: {exc}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f":{mark.line + 1}" if mark is not None else ""
        what = exc.problem or exc.context or "malformed YAML"
        raise CampaignError(f"{label}{where}: malformed YAML: {clip(what)}") from None
    except yaml.YAMLError as exc:
        raise CampaignError(f"{label}: malformed YAML: {clip(str(exc))}") from None
    except RecursionError:
        raise CampaignError(f"{label}: malformed YAML: nested too deeply") from None


def read_text(path: str | Path, label: str | None = None) -> str:
    """The UTF-8 text of ``path``; one :class:`CampaignError` line when unreadable, too large or not UTF-8."""
    label = label or str(path)
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise CampaignError(f"{label}: cannot read campaign file: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:
        raise CampaignError(f"{label}: campaign file is larger than {MAX_BYTES:,} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CampaignError(f"{label}: not UTF-8 text: byte 0x{raw[exc.start]:02x} at offset {exc.start} "
                            f"({exc.reason}); save the file as UTF-8") from None


def load_file(path: str | Path, label: str | None = None) -> Any:
    label = label or str(path)
    return loads(read_text(path, label), label)


_QUOTED = re.compile(r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*\"""", re.S)


def clip(message: str, limit: int = MAX_QUOTED) -> str:
    """``message`` with each quoted value (``'...'`` or ``"..."``) longer than ``limit`` characters cut to it
    (``…`` and the original length appended), and the whole message capped at a few quoted values' worth."""
    def cut(m: re.Match) -> str:
        s = m.group(0)
        if len(s) <= limit:
            return s
        return f"{s[:limit]}…{s[0]} ({len(s) - 2:,} characters)"

    out = _QUOTED.sub(cut, message)
    cap = 8 * limit + 400
    return out if len(out) <= cap else out[:cap] + f"… ({len(out):,} characters)"

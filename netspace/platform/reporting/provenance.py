"""Where a report comes from: the date, the netspace version, the git commit of the netspace source (when it is a
git checkout), the command that made it and the storage it read, both with their credentials masked
(:func:`netspace.platform.redact.redact`)."""

from __future__ import annotations

import html
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from netspace.platform.redact import redact


@dataclass(frozen=True)
class Provenance:
    date: str             # UTC, ISO 8601 to the second
    version: str          # netspace.__version__
    commit: str | None    # short commit of the netspace source (+ "-dirty" with uncommitted changes), None outside git
    command: str          # masked
    storage: str          # masked

    def to_html(self) -> str:
        rows = [("date", self.date), ("netspace", self.version), ("commit", self.commit or "not a git checkout"),
                ("command", self.command), ("storage", self.storage)]
        cells = "\n".join(f"<tr><th>{html.escape(k)}</th><td><code>{html.escape(v)}</code></td></tr>" for k, v in rows)
        return f'<table class="t provenance">\n{cells}\n</table>'


def git_commit(where: Path | None = None, timeout: float = 5.0) -> str | None:
    """The short commit of the git checkout holding ``where`` (default: the netspace package), ``-dirty`` appended
    when tracked files differ from it; None when it is not a git checkout or git is missing."""
    import netspace

    path = where or Path(netspace.__file__).resolve().parent

    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "-C", str(path), *args], capture_output=True, text=True, timeout=timeout,
                              check=False)

    try:
        head = git("rev-parse", "--short=12", "HEAD")
        if head.returncode != 0 or not head.stdout.strip():
            return None
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", str(path))
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("-dirty" if dirty.returncode == 0 and dirty.stdout.strip() else "")


def provenance(url: str, command: str, now: datetime | None = None) -> Provenance:
    from netspace import __version__

    when = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    return Provenance(date=when.isoformat().replace("+00:00", "Z"), version=__version__, commit=git_commit(),
                      command=redact(command, url), storage=redact(url, url))

"""Live campaign display: a rich table (per space done/running/failed/target, best error, ETA) on a terminal,
one line per finished trial otherwise (logs, CI, tests)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from netspace.platform.safetext import plain, safe


@dataclass
class SpaceProgress:
    target: int
    done: int = 0
    running: int = 0
    failed: int = 0
    best: float | None = None
    done_here: int = 0  # finished by this driver (for the ETA)


@dataclass
class Progress:
    campaign: str
    console: Console = field(default_factory=lambda: Console(stderr=True))
    enabled: bool = True

    def __post_init__(self):
        self.spaces: dict[str, SpaceProgress] = {}
        self.events: list[str] = []
        self.started = time.time()
        self._lock = threading.Lock()
        self._live: Live | None = None
        self.note: str | None = None  # a standing problem shown under the table (e.g. trials Ray cannot place)

    # -- updates (driver thread) ---------------------------------------------------------------------
    def set_space(self, space: str, *, target: int, done: int, running: int, failed: int, best: float | None):
        with self._lock:
            sp = self.spaces.setdefault(space, SpaceProgress(target))
            sp.target, sp.done, sp.running, sp.failed, sp.best = target, done, running, failed, best

    def trial_done(self, space: str, text: str) -> None:
        with self._lock:
            if space in self.spaces:
                self.spaces[space].done_here += 1
            self.events = (self.events + [text])[-5:]
        if self.enabled and self._live is None:
            self.console.print(safe(text), highlight=False)
        self.refresh()

    def message(self, text: str) -> None:
        if self.enabled:
            self.console.print(safe(text), highlight=False)

    def warn(self, text: str) -> None:
        """A warning that matters: printed even with the live display off (``--quiet``)."""
        self.console.print(f"warning: {safe(text)}", highlight=False, soft_wrap=True)

    def set_note(self, text: str | None) -> None:
        """A standing problem shown under the live table (None clears it). Without a live table (``--quiet``, output
        to a pipe or a file) it is printed once, as a warning, when it starts."""
        starts = self.note is None
        self.note = text
        if text is not None and starts and self._live is None:
            self.warn(text)
        self.refresh()

    def eta_s(self) -> float | None:
        done_here = sum(s.done_here for s in self.spaces.values())
        left = sum(max(s.target - s.done, 0) for s in self.spaces.values())
        if left == 0:
            return 0.0
        if done_here == 0:
            return None
        return (time.time() - self.started) / done_here * left

    # -- rendering -----------------------------------------------------------------------------------
    def render(self):
        t = Table(title=f"campaign {safe(self.campaign)}", title_justify="left")
        for col in ("space", "done", "running", "failed", "target", "best err %"):
            t.add_column(col, justify="left" if col == "space" else "right")
        with self._lock:
            for name, s in self.spaces.items():
                t.add_row(safe(name), str(s.done), str(s.running), str(s.failed), str(s.target),
                          "-" if s.best is None else f"{s.best:.2f}")
            events = list(self.events)
        eta = self.eta_s()
        elapsed = time.time() - self.started
        foot = Text(f"elapsed {_dur(elapsed)}   ETA {'-' if eta is None else _dur(eta)}", style="dim")
        notes = [Text(plain(self.note), style="bold yellow")] if self.note else []
        return Group(t, foot, *notes, *[Text(plain(e), style="dim") for e in events])

    def refresh(self) -> None:
        if self._live is not None:
            self._live.update(self.render())

    def __enter__(self) -> Progress:
        if self.enabled and self.console.is_terminal:
            self._live = Live(self.render(), console=self.console, refresh_per_second=2, transient=False)
            self._live.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self._live is not None:
            self._live.update(self.render())
            self._live.__exit__(*exc)
            self._live = None


def _dur(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"

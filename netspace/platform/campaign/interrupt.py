"""Ctrl-C for the campaign driver: honoured at any moment, never swallowed, always one line.

A plain ``KeyboardInterrupt`` can be lost: raised inside a library's thread, ``__del__`` or callback (Ray's
start-up is one) it ends as "Exception ignored … KeyboardInterrupt" and the campaign runs on. The
:class:`InterruptGuard` records every SIGINT, so :meth:`InterruptGuard.check` re-raises one that was swallowed.
While Ray Tune runs trials (``soft`` set to the driver), the first Ctrl-C instead stops every trial through the
driver's ``abort`` flag (Tune's own SIGINT handler is disabled, see ``scheduler.ray_env``): trials in flight are
left RUNNING, and ``netspace resume`` continues them from their checkpoints. A second Ctrl-C raises at once.

The guard never raises while this thread holds one of :mod:`logging`'s locks: Python code such as
``_acquireLock(); try: … finally: _releaseLock()`` leaks the lock when the exception lands between the two, and
every other thread that logs (the lease heartbeat, Ray's) then hangs for ever, so the driver never exits. The
signal is delivered again 50 ms later instead, until the lock is free.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from typing import Any


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, with the one line the CLI prints (what was kept, what to do next)."""

    def __str__(self) -> str:
        return " ".join(str(self.args[0] if self.args else "interrupted").split())


class InterruptGuard:
    def __init__(self):
        self.count = 0
        self.soft: Any = None  # the driver while Tune runs: a first Ctrl-C stops its trials instead of raising
        self._previous = None
        self._previous_hook: Any = None
        self._installed = False
        self._redelivered = False  # the SIGINT now handled is our own re-delivery of one already counted

    def install(self) -> InterruptGuard:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._previous_hook = sys.unraisablehook
            sys.unraisablehook = self._unraisable
            self._installed = True
        return self

    def uninstall(self) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous or signal.default_int_handler)
            sys.unraisablehook = self._previous_hook or sys.__unraisablehook__
            self._installed = False

    def _unraisable(self, info) -> None:
        """A Ctrl-C raised where Python cannot propagate it (a ``__del__``, a GC callback) would print "Exception
        ignored … Traceback": it is recorded already (:meth:`check` re-raises it at the next step), so stay silent."""
        if isinstance(info.exc_value, KeyboardInterrupt):
            return
        (self._previous_hook or sys.__unraisablehook__)(info)

    def _handle(self, signum, frame) -> None:
        if self._redelivered:
            self._redelivered = False
        else:
            self.count += 1
        driver = self.soft
        if driver is not None and self.count == 1:
            if getattr(driver, "error", None) is None:
                driver.error = Interrupted("interrupted")
            driver.abort = True  # AbortStopper: Tune stops every trial; nothing more is recorded
            return
        if holds_logging_lock():  # raising now could leave the lock held for ever: once more, a moment later
            self._redelivered = True
            timer = threading.Timer(0.05, self._redeliver)
            timer.daemon = True
            timer.start()
            return
        raise Interrupted("interrupted")

    def _redeliver(self) -> None:
        if self._installed:
            os.kill(os.getpid(), signal.SIGINT)
        else:  # the run ended meanwhile; :meth:`check` still knows of the Ctrl-C
            self._redelivered = False

    def check(self) -> None:
        """Raise if a Ctrl-C arrived (even one some library swallowed)."""
        if self.count:
            raise Interrupted("interrupted")


def holds_logging_lock() -> bool:
    """Whether this thread holds :mod:`logging`'s module lock or a handler's lock (private attributes of the
    standard library, read defensively: False when they are not there)."""
    locks = [getattr(logging, "_lock", None)]
    for ref in list(getattr(logging, "_handlerList", ())):
        handler = ref() if callable(ref) else None
        locks.append(getattr(handler, "lock", None))
    for lock in locks:
        owned = getattr(lock, "_is_owned", None)
        if owned is not None and owned():
            return True
    return False


def interrupted_line(campaign: str, created: bool | None) -> str:
    """The one line after Ctrl-C; the advice is true in the state left behind (``created`` None: the studies
    exist but the campaign's spec was not stored yet, so only `netspace run` can continue it)."""
    if created is None:
        return (f"interrupted while campaign {campaign} was being created; nothing was trained: run the same "
                "`netspace run` command again")
    if not created:
        return f"interrupted before campaign {campaign} was created; nothing was stored (run it again when ready)"
    return (f"interrupted: campaign {campaign} stopped; finished trials are stored and trials in flight were left "
            f"RUNNING: continue with `netspace resume {campaign}`")

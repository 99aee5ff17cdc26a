"""Test-only fault injection, in one place. Off unless a test enables it.

Enable explicitly, before the campaign starts (the environment is inherited by subprocess drivers and Ray
workers), with :func:`enable` or the variables it sets:

* ``NETSPACE_FAULT_MARKER=path`` — required: each fault fires once, and writes this file when it does;
* ``NETSPACE_FAULT_KILL_AT_EPOCH=N`` — one worker SIGKILLs itself when it reaches epoch N (a lost worker: Tune
  retries the trial from its checkpoint);
* ``NETSPACE_FAULT_DRIVER_EXIT_AT_EPOCH=N`` — the driver SIGKILLs itself when an epoch-N report arrives, before
  recording it (the crash that loses an epoch's metrics; ``resume`` must fill them in).

Without the marker nothing fires, so a production run never pays more than one environment lookup.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

MARKER_ENV = "NETSPACE_FAULT_MARKER"
KILL_WORKER_ENV = "NETSPACE_FAULT_KILL_AT_EPOCH"
KILL_DRIVER_ENV = "NETSPACE_FAULT_DRIVER_EXIT_AT_EPOCH"


def enable(marker: str | os.PathLike, *, kill_worker_at_epoch: int | None = None,
           kill_driver_at_epoch: int | None = None) -> None:
    """Arm the faults for this process and its children (tests only)."""
    os.environ[MARKER_ENV] = str(marker)
    if kill_worker_at_epoch is not None:
        os.environ[KILL_WORKER_ENV] = str(int(kill_worker_at_epoch))
    if kill_driver_at_epoch is not None:
        os.environ[KILL_DRIVER_ENV] = str(int(kill_driver_at_epoch))


def disable() -> None:
    for name in (MARKER_ENV, KILL_WORKER_ENV, KILL_DRIVER_ENV):
        os.environ.pop(name, None)


def worker_fault() -> dict[str, Any] | None:
    """The worker fault to send with each trial (``TrialTask.fault``), None when not enabled."""
    epoch, marker = os.environ.get(KILL_WORKER_ENV), os.environ.get(MARKER_ENV)
    if epoch and marker:
        return {"epoch": int(epoch), "marker": marker}
    return None


def kill_worker_if_due(fault: dict[str, Any] | None, epoch: int, who: str) -> None:
    """In a worker: SIGKILL this process at the fault's epoch, once (the marker records that it happened)."""
    if not fault or fault.get("epoch") != epoch or not fault.get("marker") or os.path.exists(fault["marker"]):
        return
    Path(fault["marker"]).write_text(f"{who} {epoch} {os.getpid()}\n")
    os.kill(os.getpid(), signal.SIGKILL)


def kill_driver_if_due(epoch: int) -> None:
    """In the driver: SIGKILL this process when an epoch-``epoch`` report arrives, once, if enabled."""
    want, marker = os.environ.get(KILL_DRIVER_ENV), os.environ.get(MARKER_ENV)
    if not want or not marker or int(epoch) != int(want) or os.path.exists(marker):
        return
    Path(marker).write_text(f"driver {os.getpid()} epoch {want}\n")
    os.kill(os.getpid(), signal.SIGKILL)

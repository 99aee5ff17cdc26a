"""Ray's and Tune's messages go to a log file; the terminal gets one line per event that matters.

A worker killed mid-trial made Tune log "Trial task failed …" with a 25-line traceback on the driver's
terminal. :func:`route_ray_logs` sends every ``ray.*`` record to ``<output_dir>/_logs/ray-<pid>.log`` and
prints records at ERROR or above as one line each (``netspace: Trial task failed for trial X (traceback in
LOG)``): a worker that died and is being retried, or a trial that failed for good."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from netspace.platform.redact import one_line, redact

LOGGERS = ("ray", "ray.tune", "ray.train", "ray.air", "ray.data")


class OneLine(logging.Handler):
    """Prints the first line of a record, never its traceback, with the log file that holds the rest."""

    def __init__(self, log_path: Path, stream=None):
        super().__init__(level=logging.ERROR)
        self.log_path, self.stream = log_path, stream

    def emit(self, record: logging.LogRecord) -> None:
        try:
            first = (record.getMessage().strip().splitlines() or [""])[0]
            print(f"netspace: {redact(one_line(first, 200))} (details in {self.log_path})",
                  file=self.stream or sys.stderr, flush=True)
        except Exception:  # a log line must never break the driver
            pass


def route_ray_logs(output_dir: str | os.PathLike) -> Path:
    """Route the ``ray`` loggers of this process to a file under ``output_dir``; returns its path."""
    log_dir = Path(output_dir) / "_logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / f"ray-{os.getpid()}.log"
    to_file = logging.FileHandler(path)
    to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    short = OneLine(path)
    for name in LOGGERS:
        lg = logging.getLogger(name)
        for h in list(lg.handlers):
            if isinstance(h, (logging.FileHandler, OneLine)) or getattr(h, "_netspace", False):
                continue
            lg.removeHandler(h)  # Ray's own stderr handler: its tracebacks are what this replaces
        if name == "ray":
            lg.addHandler(to_file)
            lg.addHandler(short)
            lg.setLevel(logging.INFO)
        else:
            lg.setLevel(logging.INFO)  # children propagate to "ray"
    return path

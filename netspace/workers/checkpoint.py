"""Atomic files: write to a temporary name in the same directory, fsync, then ``os.replace`` — a reader (or a
resumed trial) sees either the previous complete file or the new one, never a torn write."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

CHECKPOINT = "checkpoint.pt"
WEIGHTS = "weights.pt"
RESULT = "result.json"


def _atomic_write(path: Path, write: Callable[[Any], None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def save_torch(obj: Any, path: Path) -> None:
    from netspace.workers.diskspace import ensure_room, remember_size

    ensure_room(path)  # room for a file the size of the last checkpoint, or DiskFull (not a model failure)
    _atomic_write(Path(path), lambda f: torch.save(obj, f))
    remember_size(path)


def load_torch(path: Path) -> Any:
    return torch.load(Path(path), map_location="cpu", weights_only=True)


def save_json(obj: Any, path: Path) -> None:
    _atomic_write(Path(path), lambda f: f.write((json.dumps(obj, indent=2, sort_keys=True) + "\n").encode()))


def load_json(path: Path) -> Any:
    return json.loads(Path(path).read_text())

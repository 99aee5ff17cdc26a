"""Helpers of the campaign tests: campaign files, the `netspace` command line, waiting on and stopping driver
processes, trial counts read straight from a SQLite storage."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import yaml

from tests.support.services import PG_HOST, PG_PORT

__all__ = ["PG_HOST", "PG_PORT", "campaign_dict", "kill_tree", "netspace_cmd", "sqlite_counts", "wait_for",
           "write_campaign"]


def campaign_dict(name: str, *, spaces=("anynetx_a", "regnetx"), samples: int = 3, epochs: int = 1,
                  images: int = 128, **extra) -> dict:
    d = {
        "name": name,
        "spaces": [{"space": s, "samples": samples, "regime": {"metric": "flops", "low": "1M", "high": "4M"}}
                   for s in spaces],
        "dataset": {"name": "digits"},
        "training": {"epochs": epochs, "batch_size": 64, "max_train_images": images, "augment": False},
        "strategy": {"kind": "random", "seed": 0},
        "resources": {"cpus_per_trial": 1, "max_concurrent": 2},
    }
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(d.get(k), dict):
            d[k] = {**d[k], **v}
        else:
            d[k] = v
    return d


def write_campaign(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def netspace_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "netspace", *args]


def sqlite_counts(db: Path) -> dict[str, int]:
    """Trial states straight from the SQLite file (no Optuna import, safe while a driver writes)."""
    if not db.exists():
        return {}
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
        try:
            rows = con.execute("SELECT state, COUNT(*) FROM trials GROUP BY state").fetchall()
        finally:
            con.close()
    except sqlite3.OperationalError:
        return {}
    return {state: n for state, n in rows}


def wait_for(predicate, timeout: float, interval: float = 0.25, what: str = "condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def kill_tree(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=30)

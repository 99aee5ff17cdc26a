"""Fixtures of the campaign-engine tests: one real local Ray shared by the session, a real PostgreSQL database
per run, campaign files in a temporary working directory."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

PG_HOST, PG_PORT = "127.0.0.1", 5432


@pytest.fixture(scope="session")
def ray_cluster():
    """A real local Ray (2 CPUs) for every engine test; yields its GCS address so subprocess drivers can join."""
    import ray

    from netspace.platform.campaign.scheduler import ensure_ray

    ensure_ray(None, num_cpus=2)
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """Run in a fresh directory, so the default ./netspace.db, ./mlflow.db and ./netspace_runs land there."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NETSPACE_STORAGE", raising=False)
    return tmp_path


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


@pytest.fixture
def pg_url(pg_databases):
    """A uniquely named PostgreSQL database (dropped at the end of the session)."""
    return f"postgresql+psycopg2://postgres@{PG_HOST}:{PG_PORT}/{pg_databases('netspace_test')}"


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

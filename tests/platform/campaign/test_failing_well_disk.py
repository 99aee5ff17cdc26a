"""Failing well, full disks (issue 18, case 3), on a real small tmpfs (skipped where mounting is not allowed):
a trial that hits ENOSPC stops the driver with one line naming the path and its free space, records no FAIL,
and `netspace resume` completes once space is freed; SQLite's "database or disk is full" is one line at once
(not two minutes of "unreachable" retries) whose advice holds although the campaign was never created."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.campaigns import campaign_dict, write_campaign

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def small_disk(tmp_path):
    """``mount(size) -> Path``: a fresh tmpfs of ``size`` under tmp_path, unmounted afterwards."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        d = tmp_path / f"disk{len(mounted)}"
        d.mkdir()
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(d)], capture_output=True,
                           text=True)
        if r.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
        mounted.append(d)
        return d

    yield mount
    for d in mounted:
        subprocess.run(["umount", "-l", str(d)], capture_output=True)


def _fill(disk: Path, leave: int) -> Path:
    """A filler file leaving about ``leave`` bytes free on ``disk``."""
    st = os.statvfs(disk)
    filler = disk / "filler"
    filler.write_bytes(b"\0" * max(0, st.f_bavail * st.f_frsize - leave))
    return filler


def _netspace(*args, cwd, timeout=600):
    return subprocess.run([sys.executable, "-m", "netspace", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"})


def _states(db: Path) -> dict[str, int]:
    con = sqlite3.connect(db)
    try:
        return dict(con.execute("SELECT state, COUNT(*) FROM trials GROUP BY state").fetchall())
    finally:
        con.close()


@pytest.mark.slow
@pytest.mark.timeout(1800)  # a run and a resume, on a shared loaded host
def test_enospc_in_a_trial_records_no_fail_and_resume_completes(tmp_path, small_disk):
    disk = small_disk("2m")
    write_campaign(tmp_path / "c.yaml", campaign_dict(
        "full", spaces=("anynetx_a",), samples=2, epochs=2, images=64, output_dir=str(disk / "runs"),
        resources={"cpus_per_trial": 1, "max_concurrent": 1}))
    filler = _fill(disk, 48 * 1024)  # room for Tune's small files, not for a checkpoint
    proc = _netspace("run", "c.yaml", "--quiet", cwd=tmp_path)
    text = (proc.stdout + proc.stderr).strip()
    assert proc.returncode == 2 and "Traceback" not in text, text[-3000:]
    line = text.splitlines()[-1]
    assert line.startswith(f"error: disk full at {disk}") and " free" in line, line
    assert "no trial was marked failed" in line and "netspace resume full" in line, line
    assert "FAIL" not in _states(tmp_path / "netspace.db")

    filler.unlink()
    proc = _netspace("resume", "full", "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert "campaign full complete" in proc.stderr and "0 failed" in proc.stderr, proc.stderr[-2000:]
    assert _states(tmp_path / "netspace.db") == {"COMPLETE": 2}


@pytest.mark.slow
@pytest.mark.timeout(1800)  # a run and a resume, on a shared loaded host
def test_sqlite_disk_full_is_one_line_without_retries_or_false_advice(tmp_path, small_disk):
    from netspace.platform.storage.database import open_storage

    disk = small_disk("1m")
    url = f"sqlite:///{disk / 'netspace.db'}"
    open_storage(url).engine.dispose()  # the schema fits; nothing more will
    _fill(disk, 0)
    write_campaign(tmp_path / "c.yaml", campaign_dict("dbfull", spaces=("anynetx_a",), samples=1, images=64))
    t0 = time.monotonic()
    proc = _netspace("run", "c.yaml", "--quiet", "--storage", url, cwd=tmp_path)
    took = time.monotonic() - t0
    text = (proc.stdout + proc.stderr).strip()
    assert proc.returncode == 2 and "Traceback" not in text and len(text.splitlines()) == 1, text[-3000:]
    assert f"disk full at {disk}" in text and "free" in text and "run the same command again" in text, text
    assert "resume" not in text and "unreachable" not in text, text
    assert took < 100, took  # the retry budget (120 s) was not spent

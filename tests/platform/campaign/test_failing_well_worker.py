"""Failing well, workers: a Ray worker SIGKILLed mid-trial is retried and the terminal gets one line naming the
log file that holds Ray's traceback, not the traceback itself; a resumed trial whose checkpoint is torn is
restarted, and the worker's "moved aside" warning reaches the driver's terminal as one line (issue 18, minor
cases)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from netspace.platform.campaign.faults import KILL_DRIVER_ENV
from netspace.platform.campaign.faults import KILL_WORKER_ENV as FAULT_ENV
from netspace.platform.campaign.faults import MARKER_ENV as FAULT_MARKER_ENV
from tests.support.campaigns import campaign_dict, sqlite_counts, wait_for, write_campaign

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.slow
@pytest.mark.timeout(1800)  # a run and a resume, on a shared loaded host
def test_worker_kill_is_one_line_with_the_log_path(tmp_path):
    write_campaign(tmp_path / "c.yaml", campaign_dict("wk", spaces=("anynetx_a",), samples=1, epochs=2, images=64,
                                                      resources={"cpus_per_trial": 1, "max_concurrent": 1}))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", FAULT_ENV: "1",
           FAULT_MARKER_ENV: str(tmp_path / "killed")}
    proc = subprocess.run([sys.executable, "-m", "netspace", "run", "c.yaml", "--quiet"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text[-3000:]
    assert (tmp_path / "killed").exists()  # the fault happened
    assert "Traceback" not in text, text[-3000:]
    lines = [ln for ln in text.splitlines() if ln.startswith("netspace: ")]
    assert lines and all("details in" in ln for ln in lines), text[-3000:]
    assert any("failed" in ln.lower() for ln in lines), text[-3000:]
    log = Path(re.search(r"details in (\S+)\)", lines[0]).group(1))
    assert log.is_file() and "Traceback" in log.read_text() or "Error" in log.read_text()
    assert "campaign wk complete" in proc.stderr


def _gone(pgid: int) -> bool:
    """No live process (zombies aside) is left in process group ``pgid``."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return False
    return True


@pytest.mark.slow
@pytest.mark.timeout(1800)  # a run and a resume, on a shared loaded host
def test_torn_checkpoint_moved_aside_is_one_line_on_the_drivers_terminal(tmp_path):
    write_campaign(tmp_path / "c.yaml", campaign_dict("torn", spaces=("anynetx_a",), samples=1, epochs=4,
                                                      images=64, resources={"cpus_per_trial": 1, "max_concurrent": 1}))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    # the driver SIGKILLs itself when the epoch-1 report arrives (the worker saved that epoch's checkpoint before
    # reporting it); its whole session (its local Ray: raylet, the worker) goes with it, as on a lost machine
    with open(tmp_path / "run.log", "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "netspace", "run", "c.yaml", "--quiet"], cwd=tmp_path,
                                env={**env, KILL_DRIVER_ENV: "1", FAULT_MARKER_ENV: str(tmp_path / "killed")},
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            rc = proc.wait(timeout=600)
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
    assert rc == -signal.SIGKILL and (tmp_path / "killed").exists(), (tmp_path / "run.log").read_text()[-3000:]
    wait_for(lambda: _gone(proc.pid), timeout=60, what="the killed run's processes to exit")
    time.sleep(1)
    assert sqlite_counts(tmp_path / "netspace.db") == {"RUNNING": 1}
    ckdir = tmp_path / "netspace_runs" / "torn" / "anynetx_a" / "trial-0"
    assert (ckdir / "checkpoint.pt").is_file() and not (ckdir / "result.json").exists(), sorted(ckdir.iterdir())
    raw = (ckdir / "checkpoint.pt").read_bytes()
    (ckdir / "checkpoint.pt").write_bytes(raw[: len(raw) // 3])  # a torn write

    proc2 = subprocess.run([sys.executable, "-m", "netspace", "resume", "torn", "--quiet"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=600)
    text = proc2.stdout + proc2.stderr
    assert proc2.returncode == 0 and "Traceback" not in text, text[-3000:]
    warned = [ln for ln in text.splitlines() if "unreadable" in ln]
    assert len(warned) == 1, text[-3000:]
    assert re.fullmatch(r"warning: anynetx_a #0: checkpoint \S+/trial-0/checkpoint\.pt is unreadable \(.+\); moved it "
                        r"to checkpoint\.pt\.unreadable-\d+ and restarting this trial from epoch 0", warned[0]), warned
    aside = list(ckdir.glob("checkpoint.pt.unreadable-*"))
    assert len(aside) == 1 and aside[0].stat().st_size == len(raw) // 3
    assert "campaign torn complete" in proc2.stderr and sqlite_counts(tmp_path / "netspace.db") == {"COMPLETE": 1}


def test_one_line_handler_prints_no_traceback(tmp_path, capsys):
    import logging

    from netspace.platform.campaign.raylogs import OneLine

    h = OneLine(tmp_path / "ray.log")
    lg = logging.getLogger("netspace.test.oneline")
    lg.addHandler(h)
    lg.propagate = False
    try:
        raise RuntimeError("worker died\nsecond line")
    except RuntimeError:
        lg.exception("Trial task failed for trial x-1\nmore")
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Trial task failed for trial x-1" in err and "details in" in err
    assert "Traceback" not in err


def test_placement_watch_reports_a_stall_and_its_end(monkeypatch):
    from netspace.platform.campaign import scheduler as sc

    class Trial:
        def __init__(self, status):
            self.status = status

    class Source:
        def __init__(self):
            self.calls = []

        def on_stalled(self, seconds):
            self.calls.append(seconds)

    src = Source()
    monkeypatch.setitem(sc._BRIDGES, "watch", {"source": src})
    monkeypatch.setattr(sc, "STALL_S", 0.05)
    w = sc.PlacementWatch("watch")
    w.observe([Trial("PENDING")])
    import time

    time.sleep(0.1)
    w.observe([Trial("PENDING")])
    assert src.calls and src.calls[-1] >= 0.05  # waiting, nothing running: reported
    w.observe([Trial("RUNNING")])
    assert src.calls[-1] == 0.0  # placed again: cleared

"""Failing well, trials that cannot be placed while a campaign runs (issue 18, case 2, the transient half): a real
`netspace run` joins a real local Ray cluster whose every CPU is held by another job's actor. The trial request
fits a node, so the preflight check lets it through, but nothing can start: within ``NETSPACE_STALL_S`` seconds
the terminal says so (under the live table on a terminal, one warning line in a pipe or with ``--quiet``), and
the campaign finishes once the CPUs are free again."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from tests.support.campaigns import campaign_dict, netspace_cmd, sqlite_counts, wait_for, write_campaign
from tests.support.terminal import Watched

ROOT = Path(__file__).resolve().parents[3]
STALL_S = 3  # NETSPACE_STALL_S for the driver under test (60 s by default)
SLACK_S = 20  # Tune's event loop and the driver's start-up on a loaded shared 2-core host
NEEDLE = "Ray cannot place a trial (1 CPU each)"


@pytest.fixture
def busy_cluster(ray_cluster):
    """The session's Ray cluster with every CPU held by an actor; yields (address, release)."""
    import ray

    @ray.remote
    class Holder:
        def ready(self) -> bool:
            return True

    holder = Holder.options(num_cpus=ray.cluster_resources()["CPU"]).remote()
    ray.get(holder.ready.remote(), timeout=120)
    released = []

    def release() -> None:
        if not released:
            ray.kill(holder)
            released.append(True)

    yield ray_cluster, release
    release()


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("mode", ["pipe", "tty"])  # --quiet takes the same no-table path as a pipe
def test_stall_reaches_the_terminal_within_the_stated_time(busy_cluster, tmp_path, mode):
    address, release = busy_cluster
    name = f"stall-{mode}"
    write_campaign(tmp_path / "c.yaml", campaign_dict(name, spaces=("anynetx_a",), samples=1, images=64,
                                                      resources={"cpus_per_trial": 1, "max_concurrent": 1}))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", "NETSPACE_STALL_S": str(STALL_S),
           "COLUMNS": "220", "TERM": "xterm-256color"}
    args = ["run", "c.yaml", "--address", address] + (["--quiet"] if mode == "quiet" else [])
    child = Watched(netspace_cmd(*args), cwd=tmp_path, env=env, tty=mode == "tty")
    try:
        # the trial is drawn (RUNNING in the storage) and handed to Tune, which cannot place it
        drawn = wait_for(lambda: sqlite_counts(tmp_path / "netspace.db").get("RUNNING") and time.monotonic(),
                         timeout=180, interval=0.1, what="the trial to be drawn")
        said = child.wait_for(NEEDLE, timeout=STALL_S + SLACK_S + 60)
        assert said - drawn < STALL_S + SLACK_S, said - drawn
        assert sqlite_counts(tmp_path / "netspace.db") == {"RUNNING": 1}  # nothing ran meanwhile
        release()  # the other job ends: the trial is placed and the campaign finishes
        rc = child.wait(timeout=300)
        text = child.text()
    finally:
        child.close()
    assert rc == 0, text[-3000:]
    assert "Traceback" not in text and f"campaign {name} complete" in text, text[-3000:]
    assert sqlite_counts(tmp_path / "netspace.db") == {"COMPLETE": 1}
    warned = [ln for ln in text.splitlines() if NEEDLE in ln]
    if mode == "tty":  # under the live table, redrawn as the seconds count up; never a separate warning
        assert "warning: waiting" not in text, text[-3000:]
        assert "are the cluster's nodes busy or gone?" in text
    else:  # no live table: said once, on one line
        assert len(warned) == 1, text[-3000:]
        assert re.fullmatch(r"warning: waiting \d+ s: Ray cannot place .*; are the cluster's nodes busy or gone\?",
                            warned[0].strip()), warned

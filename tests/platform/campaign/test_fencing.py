"""Case: a driver frozen past its lease (SIGSTOP), taken over by another driver, then woken (SIGCONT) kept
recording trials (a space ended 7/6, UpdateFinishedTrialError tracebacks). Every write is now fenced by the lease:
the woken driver records nothing more and stops with one line; the campaign ends with exactly its target."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
import sqlalchemy as sa

from tests.support.campaigns import campaign_dict, kill_tree, netspace_cmd, wait_for, write_campaign

LEASE_ENV = {"NETSPACE_LEASE_STALE_S": "3", "NETSPACE_LEASE_HEARTBEAT_S": "0.5", "PYTHONUNBUFFERED": "1"}


def _counts(engine) -> dict[str, int]:
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT state, COUNT(*) FROM trials GROUP BY state").fetchall()
    except sa.exc.SQLAlchemyError:
        return {}
    return {str(state).split(".")[-1]: n for state, n in rows}


def _holder_pid(engine) -> int | None:
    try:
        with engine.connect() as conn:
            row = conn.exec_driver_sql("SELECT pid FROM netspace_driver_lease").first()
    except sa.exc.SQLAlchemyError:
        return None
    return row[0] if row else None


@pytest.mark.postgres
def test_frozen_driver_loses_its_lease_and_records_nothing(ray_cluster, workdir, pg_url):
    name, samples = "fenced", 3
    path = write_campaign(workdir / "c.yaml", campaign_dict(
        name, spaces=("anynetx_a",), samples=samples, epochs=3, images=256, storage=pg_url,
        resources={"max_concurrent": 1}))
    env = {**os.environ, **LEASE_ENV}
    engine = sa.create_engine(pg_url)
    logs = [open(workdir / f"driver{i}.log", "w") for i in (1, 2)]
    first = subprocess.Popen(netspace_cmd("run", str(path), "--address", ray_cluster, "--quiet"), cwd=workdir,
                             env=env, stdout=logs[0], stderr=subprocess.STDOUT)
    second = None
    try:
        wait_for(lambda: first.poll() is not None or (_counts(engine).get("COMPLETE", 0) >= 1
                                                      and _counts(engine).get("RUNNING", 0) >= 1),
                 timeout=300, interval=0.1, what="1 finished + 1 running trial")
        assert first.poll() is None, (workdir / "driver1.log").read_text()
        first.send_signal(signal.SIGSTOP)
        frozen_at = _counts(engine)
        time.sleep(3.5)  # past the lease
        second = subprocess.Popen(netspace_cmd("resume", name, "--storage", pg_url, "--address", ray_cluster,
                                               "--quiet"), cwd=workdir, env=env, stdout=logs[1],
                                  stderr=subprocess.STDOUT)
        wait_for(lambda: _holder_pid(engine) == second.pid, timeout=180, what="the second driver taking over")
        first.send_signal(signal.SIGCONT)
        assert first.wait(180) == 2
        assert second.wait(400) == 0, (workdir / "driver2.log").read_text()
    finally:
        for p in (first, second):
            if p is not None:
                with_cont = p.poll() is None
                if with_cont:
                    p.send_signal(signal.SIGCONT)
                kill_tree(p)
        for log in logs:
            log.close()
        engine.dispose()

    out1, out2 = (workdir / "driver1.log").read_text(), (workdir / "driver2.log").read_text()
    assert "Traceback" not in out1 + out2 and "UpdateFinishedTrialError" not in out1 + out2, out1 + out2
    last = [line for line in out1.splitlines() if line.strip()][-1]
    assert last.startswith("error: campaign 'fenced': this driver lost its lease"), out1
    counts = _counts(sa.create_engine(pg_url))
    assert counts.get("COMPLETE") == samples and not counts.get("RUNNING") and not counts.get("FAIL"), counts
    assert frozen_at.get("COMPLETE", 0) >= 1

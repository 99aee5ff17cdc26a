"""Case: PostgreSQL restarted for 10 s mid-campaign killed the driver with a StorageInternalError traceback (stale
lease, RUNNING trials). Storage calls now retry with backoff for a bounded time: a 10 s outage is ridden out and
the campaign completes; a longer one stops the driver with one line, and `resume` finishes the campaign."""

from __future__ import annotations

import os
import subprocess
import time

import pytest
import sqlalchemy as sa

from tests.support.campaigns import campaign_dict, kill_tree, netspace_cmd, wait_for, write_campaign
from tests.support.private_pg import PrivatePostgres, pg_bin


@pytest.fixture
def private_pg():
    if pg_bin() is None:
        if os.environ.get("CI") == "true":
            raise RuntimeError("PostgreSQL server binaries are required under CI")
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not installed")
    pg = PrivatePostgres()
    pg.start()
    yield pg
    pg.destroy()


def _counts(url) -> dict[str, int]:
    engine = sa.create_engine(url, connect_args={"connect_timeout": 2})
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT state, COUNT(*) FROM trials GROUP BY state").fetchall()
        return {str(s).split(".")[-1]: n for s, n in rows}
    except sa.exc.SQLAlchemyError:
        return {}
    finally:
        engine.dispose()


def _start_driver(args, workdir, env_extra, log_name):
    log = open(workdir / log_name, "w")
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **env_extra}
    return subprocess.Popen(netspace_cmd(*args), cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT), log


def _start_campaign(name: str, samples: int, workdir, ray_cluster, url: str, retry_s: int):
    """A one-space campaign on ``url`` driven by a real `netspace run` subprocess with a storage retry budget."""
    path = write_campaign(workdir / "c.yaml", campaign_dict(
        name, spaces=("anynetx_a",), samples=samples, epochs=3, images=256, storage=url,
        resources={"max_concurrent": 1}))
    return _start_driver(["run", str(path), "--address", ray_cluster, "--quiet"], workdir,
                         {"NETSPACE_STORAGE_RETRY_S": str(retry_s)}, "driver.log")


@pytest.mark.postgres
def test_ten_second_outage_is_ridden_out(ray_cluster, workdir, private_pg):
    samples = 3
    proc, log = _start_campaign("outage", samples, workdir, ray_cluster, private_pg.url, 90)
    try:
        wait_for(lambda: proc.poll() is not None or (_counts(private_pg.url).get("COMPLETE", 0) >= 1
                                                     and _counts(private_pg.url).get("RUNNING", 0) >= 1),
                 timeout=300, interval=0.2, what="1 finished + 1 running trial")
        assert proc.poll() is None, (workdir / "driver.log").read_text()
        private_pg.stop()
        time.sleep(10)
        private_pg.start()
        assert proc.wait(400) == 0, (workdir / "driver.log").read_text()
    finally:
        kill_tree(proc)
        log.close()
    text = (workdir / "driver.log").read_text()
    assert "Traceback" not in text and "StorageInternalError" not in text, text
    assert "unreachable" in text and "retrying for up to 90 s" in text, text
    counts = _counts(private_pg.url)
    assert counts.get("COMPLETE") == samples and not counts.get("RUNNING") and not counts.get("FAIL"), counts


@pytest.mark.postgres
def test_longer_outage_stops_with_one_line_then_resume_completes(ray_cluster, workdir, private_pg):
    samples = 2
    proc, log = _start_campaign("outage2", samples, workdir, ray_cluster, private_pg.url, 4)
    try:
        wait_for(lambda: proc.poll() is not None or _counts(private_pg.url).get("RUNNING", 0) >= 1,
                 timeout=300, interval=0.2, what="a running trial")
        private_pg.stop()
        assert proc.wait(300) == 2
    finally:
        kill_tree(proc)
        log.close()
    lines = [line for line in (workdir / "driver.log").read_text().splitlines() if line.strip()]
    assert "Traceback" not in "\n".join(lines), lines
    assert lines[-1].startswith("error: ") and "unreachable for" in lines[-1] and "netspace resume" in lines[-1], lines
    private_pg.start()
    proc, log = _start_driver(["resume", "outage2", "--storage", private_pg.url, "--address", ray_cluster, "--quiet"],
                              workdir, {}, "resume.log")
    try:
        assert proc.wait(400) == 0, (workdir / "resume.log").read_text()
    finally:
        kill_tree(proc)
        log.close()
    counts = _counts(private_pg.url)
    assert counts.get("COMPLETE") == samples and not counts.get("RUNNING"), counts

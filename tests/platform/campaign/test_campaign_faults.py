"""Faults on real processes: the driver SIGKILLed mid-campaign, then `netspace resume`; a Ray worker SIGKILLed
mid-trial (retried from its checkpoint, or failed and replaced)."""

from __future__ import annotations

import json
import os
import signal
import subprocess

import optuna
import pytest
from optuna.trial import TrialState

from netspace.platform.campaign.faults import KILL_WORKER_ENV as FAULT_ENV
from netspace.platform.campaign.faults import MARKER_ENV as FAULT_MARKER_ENV
from netspace.platform.campaign.run import resume_campaign, run_campaign
from tests.support.campaign_checks import check_campaign, status_json
from tests.support.campaigns import (
    campaign_dict,
    kill_tree,
    netspace_cmd,
    sqlite_counts,
    wait_for,
    write_campaign,
)


def _snapshot(storage: str, name: str, spaces) -> dict:
    st = optuna.storages.RDBStorage(storage)
    out = {}
    for space in spaces:
        trials = optuna.load_study(study_name=f"{name}::{space}", storage=st).get_trials()
        out[space] = trials
    return out


def _run_and_kill(args, workdir, db, min_complete: int) -> bool:
    """Start a driver subprocess; SIGKILL it once >= min_complete trials finished and >= 1 is running.
    Returns False if it finished before that moment came."""
    log = open(workdir / "driver.log", "a")
    proc = subprocess.Popen(netspace_cmd(*args), cwd=workdir, env={**os.environ, "PYTHONUNBUFFERED": "1"},
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        def moment():
            c = sqlite_counts(db)
            return proc.poll() is not None or (c.get("COMPLETE", 0) >= min_complete and c.get("RUNNING", 0) >= 1)

        wait_for(moment, timeout=180, interval=0.1, what=f"{min_complete} finished + 1 running trial")
        if proc.poll() is not None:
            return False
        proc.send_signal(signal.SIGKILL)
    finally:
        kill_tree(proc)
        log.close()
    assert proc.returncode == -signal.SIGKILL, (workdir / "driver.log").read_text()
    return True


@pytest.mark.slow
@pytest.mark.parametrize("kills", [1, 2])
def test_driver_killed_then_resume(ray_cluster, workdir, capsys, kills):
    name, spaces, samples = "killed", ("anynetx_a", "regnetx"), 3
    path = write_campaign(workdir / "c.yaml", campaign_dict(name, spaces=spaces, samples=samples, epochs=2,
                                                           images=256))
    db = workdir / "netspace.db"
    storage = f"sqlite:///{db}"
    done_before: dict[str, dict] = {s: {} for s in spaces}
    running_before: dict[str, set] = {s: set() for s in spaces}
    # the subprocess drivers join the session's Ray cluster (exercises --address); the 2nd one is a killed resume
    args = ["run", str(path), "--address", ray_cluster, "--quiet"]
    for _k in range(kills):
        min_complete = 1 + sum(map(len, done_before.values()))
        assert _run_and_kill(args, workdir, db, min_complete), "campaign finished before the kill"
        snap = _snapshot(storage, name, spaces)
        for s, ts in snap.items():
            for t in ts:
                if t.state == TrialState.COMPLETE:
                    if t.number in done_before[s]:  # finished trials survive every kill untouched
                        assert done_before[s][t.number] == (t.values, t.datetime_complete, t.params)
                    done_before[s][t.number] = (t.values, t.datetime_complete, t.params)
            running_before[s] = {t.number for t in ts if t.state == TrialState.RUNNING}
        assert sum(map(len, running_before.values())) >= 1
        js = status_json(name, storage, capsys)
        assert js["driver"] is not None and js["driver"]["alive"] is False  # the dead driver's lease is stale
        args = ["resume", name, "--address", ray_cluster, "--quiet"]

    capsys.readouterr()
    summary = resume_campaign(name, storage=storage, show_progress=True)
    err = capsys.readouterr().err
    assert summary.complete and summary.resumed_trials == sum(map(len, running_before.values()))
    assert "resuming" in err

    after = check_campaign(name, storage, f"sqlite:///{workdir}/mlflow.db", {s: samples for s in spaces}, capsys)
    full = _snapshot(storage, name, spaces)
    for s in spaces:
        now = {t.number: (t.values, t.datetime_complete, t.params) for t in after[s]}
        # completed trials untouched, abandoned ones finished under their own numbers, nothing else trained
        for number, rec in done_before[s].items():
            assert now[number] == rec
        assert running_before[s] <= set(now)
        assert [t.state for t in full[s]].count(TrialState.COMPLETE) == samples
        assert not [t for t in full[s] if t.state == TrialState.FAIL and "rejected" not in t.user_attrs]
        assert len({json.dumps(t.params, sort_keys=True) for t in full[s]}) == len(full[s])
    # each checkpoint dir belongs to exactly one finished trial
    dirs = sorted(p.name for p in (workdir / "netspace_runs" / name / "regnetx").iterdir())
    assert dirs == sorted(f"trial-{t.number}" for t in after["regnetx"])


@pytest.mark.slow
@pytest.mark.parametrize("max_failures", [1, 0], ids=["retried", "failed-and-replaced"])
def test_worker_killed_mid_trial(ray_cluster, workdir, monkeypatch, capsys, max_failures):
    marker = workdir / "killed-once"
    monkeypatch.setenv(FAULT_ENV, "1")
    monkeypatch.setenv(FAULT_MARKER_ENV, str(marker))
    name = f"worker-{max_failures}"
    data = campaign_dict(name, spaces=("regnetx",), samples=2, epochs=2, resources={"max_failures": max_failures})
    summary = run_campaign(write_campaign(workdir / "c.yaml", data), show_progress=False)
    assert marker.exists(), "the fault hook never fired"
    space, number, epoch, pid = marker.read_text().split()
    assert space == "regnetx" and epoch == "1"
    assert summary.complete and summary.counts["regnetx"]["finished"] == 2
    storage = f"sqlite:///{workdir}/netspace.db"
    done = check_campaign(name, storage, f"sqlite:///{workdir}/mlflow.db", {"regnetx": 2}, capsys)
    trials = optuna.load_study(study_name=f"{name}::regnetx", storage=storage).get_trials()
    killed = next(t for t in trials if t.number == int(number))
    if max_failures:
        # retried from its checkpoint by Tune: the same trial finished, nothing failed or replaced
        assert killed.state == TrialState.COMPLETE and killed.user_attrs["epochs_run"] == 2
        assert [t.state for t in trials] == [TrialState.COMPLETE] * 2
    else:
        # no retries: marked failed, and a replacement sample drawn; never counted as finished
        assert killed.state == TrialState.FAIL and killed.user_attrs["status"] == "failed"
        assert killed not in done["regnetx"] and len(trials) == 3
        assert summary.counts["regnetx"]["failed"] == 1
        from mlflow.tracking import MlflowClient

        client = MlflowClient(f"sqlite:///{workdir}/mlflow.db")
        assert client.get_run(killed.user_attrs["mlflow_run_id"]).info.status == "FAILED"

"""Optimisation strategies on real Ray: TPE with ASHA early stopping, NSGA-II on error vs FLOPs."""

from __future__ import annotations

import optuna
import pytest
from optuna.trial import TrialState

from netspace.platform.campaign.run import run_campaign
from tests.support.campaign_checks import status_json
from tests.support.campaigns import campaign_dict, write_campaign


@pytest.mark.slow
def test_tpe_with_asha(ray_cluster, workdir, capsys):
    data = campaign_dict("tpe", spaces=("regnetx",), samples=4, epochs=3, images=128,
                         strategy={"kind": "tpe", "seed": 1},
                         early_stopping={"kind": "asha", "grace_period": 1, "reduction_factor": 2})
    summary = run_campaign(write_campaign(workdir / "c.yaml", data), show_progress=False)
    assert summary.complete
    storage = f"sqlite:///{workdir}/netspace.db"
    trials = optuna.load_study(study_name="tpe::regnetx", storage=storage).get_trials()
    finished = [t for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    assert len(finished) == 4 and not [t for t in trials if t.state == TrialState.RUNNING]
    for t in finished:
        assert 1e6 <= t.user_attrs["flops"] <= 4e6  # proposals outside the regime were never trained
        if t.state == TrialState.PRUNED:
            assert t.user_attrs["status"] == "pruned" and t.user_attrs["epochs_run"] < 3
        else:
            assert t.user_attrs["status"] == "completed" and t.user_attrs["epochs_run"] == 3
    assert not [t for t in trials if t.state == TrialState.FAIL]  # rejected proposals are not stored as trials
    js = status_json("tpe", storage, capsys)
    assert js["spaces"]["regnetx"]["finished"] == 4 and js["spaces"]["regnetx"]["failed"] == 0


@pytest.mark.slow
def test_nsga2_error_vs_flops(ray_cluster, workdir):
    data = campaign_dict("moo", spaces=("regnetx",), samples=2, strategy={"kind": "nsga2", "seed": 0})
    assert run_campaign(write_campaign(workdir / "c.yaml", data), show_progress=False).complete
    study = optuna.load_study(study_name="moo::regnetx", storage=f"sqlite:///{workdir}/netspace.db")
    assert len(study.directions) == 2
    done = [t for t in study.get_trials() if t.state == TrialState.COMPLETE]
    assert len(done) == 2
    for t in done:
        assert len(t.values) == 2 and t.values[1] == t.user_attrs["flops"]

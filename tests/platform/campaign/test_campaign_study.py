"""Studies per design space on a real SQLite storage (no Ray): sampling, rejection, counting, abandoned trials."""

from __future__ import annotations

import pytest
from optuna.trial import TrialState

from netspace.platform.campaign.spec import parse_campaign
from netspace.platform.campaign.study import SpaceStudy
from netspace.platform.storage.database import open_storage
from netspace.search_spaces import Geometry, Regime, get_space, sample_configs
from tests.support.campaigns import campaign_dict


def _study(tmp_path, **kw):
    spec = parse_campaign(campaign_dict("s", spaces=("regnetx",), **kw)).resolved(tmp_path)
    st = open_storage(f"sqlite:///{tmp_path}/s.db")
    return SpaceStudy(st, spec, spec.spaces[0], Geometry(32, 3, 10)), st, spec


def test_random_draws_follow_the_seeded_stream_across_drivers(tmp_path):
    s, st, spec = _study(tmp_path, samples=4)
    first = [s.draw({}) for _ in range(2)]
    s.finish(first[0], top1_err=40.0, state=TrialState.COMPLETE, attrs={"status": "completed"})
    # a new driver (fresh SpaceStudy) continues the stream instead of redrawing samples 0 and 1
    s2 = SpaceStudy(st, spec, spec.spaces[0], Geometry(32, 3, 10))
    third = s2.draw({})
    expected = sample_configs(get_space("regnetx"), 3, seed=s.seed, regime=Regime.parse("1M:4M"),
                              geometry=Geometry(32, 3, 10))
    assert [d.params for d in first + [third]] == [e.params for e in expected]
    assert [d.number for d in first + [third]] == [0, 1, 2]
    t = s2.trials()[2]
    assert t.state == TrialState.RUNNING and t.distributions and t.user_attrs["sample_index"] == 2
    c = s2.counts()
    assert (c.finished, c.running, c.best, c.best_number) == (1, 2, 40.0, 0)
    # both RUNNING trials are handed back for re-running under their own numbers
    assert sorted(d.number for d in s2.abandoned()) == [1, 2]


def test_tpe_rejections_are_never_trained_nor_counted(tmp_path):
    s, st, spec = _study(tmp_path, samples=3, strategy={"kind": "tpe", "seed": 0})
    s.study.sampler._n_startup_trials = 3  # get past the random phase quickly
    for i in range(6):
        d = s.draw({})
        assert 1e6 <= d.complexity["flops"] <= 4e6
        s.finish(d, top1_err=50.0 - i, state=TrialState.COMPLETE, attrs={"status": "completed"})
    trials = s.trials()
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 6  # rejected proposals never reach storage
    assert s.study.user_attrs.get("rejected_proposals", 0) == len(s._rejected) > 0
    assert all("rejected" in t.user_attrs and t.values == [100.0] for t in s._rejected)
    c = s.counts()
    assert c.finished == 6 and c.failed == 0 and c.best == 45.0
    # a RUNNING trial without a config (driver died inside sampling) is marked rejected, not re-run
    t = s.study.ask()
    assert s.abandoned() == [] and s.storage.get_trial(t._trial_id).state == TrialState.FAIL


@pytest.mark.parametrize("strategy", ["tpe", "nsga2"])
def test_optimising_strategies_start_inside_the_regime(tmp_path, strategy):
    s, _, _ = _study(tmp_path, samples=3, strategy={"kind": strategy, "seed": 0})
    draws = [s.draw({}) for _ in range(3)]
    assert all(1e6 <= d.complexity["flops"] <= 4e6 for d in draws)
    assert not [t for t in s.trials() if t.state == TrialState.FAIL]  # random phase drawn regime-aware


def test_studies_carry_metric_names(tmp_path):
    import optuna

    s, st, _ = _study(tmp_path)
    assert optuna.load_study(study_name=s.name, storage=st).metric_names == ["top1_err"]


def test_finish_fills_in_epochs_no_driver_recorded(tmp_path):
    # a driver killed after epoch 1 was recorded; the worker trained epoch 2 from its checkpoint and the outcome
    # arrives with the history only: the last intermediate value must be the final error
    s, _, _ = _study(tmp_path, samples=1)
    d = s.draw({})
    s.record_epoch(d, 1, 70.0, {})
    history = [{"epoch": 1, "top1_err": 70.0}, {"epoch": 2, "top1_err": 55.5}]
    s.finish(d, top1_err=55.5, state="COMPLETE", attrs={"status": "completed"}, history=history)
    t = s.trials()[0]
    assert t.intermediate_values == {1: 70.0, 2: 55.5} and t.values == [55.5]

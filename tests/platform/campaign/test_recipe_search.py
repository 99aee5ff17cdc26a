"""Searchable recipes: `training:` fields as distributions, drawn in the architecture's trial by every strategy."""

from __future__ import annotations

import math

import pytest
from optuna.trial import TrialState

from netspace.errors import CampaignError
from netspace.platform.campaign import recipe_space
from netspace.platform.campaign.spec import parse_campaign
from netspace.platform.campaign.study import SpaceStudy
from netspace.platform.storage.database import open_storage
from netspace.search_spaces import Geometry
from netspace.workers import TrainRecipe
from tests.support.campaigns import campaign_dict

LR = {"low": 0.25, "high": 5, "log": True}
WD = {"low": 5e-5, "high": 1e-3, "log": True}


def _spec(**kw):
    return parse_campaign(campaign_dict("r", **kw))


def test_distributions_move_under_search_and_fixed_fields_stay():
    spec = _spec(training={"lr": LR, "weight_decay": WD, "augment": {"values": [True, False]}})
    assert spec.training.search == {"lr": LR, "weight_decay": WD, "augment": {"values": [True, False]}}
    assert spec.training.lr == 0.1 and spec.training.batch_size == 64  # the defaults / fixed values remain
    again = parse_campaign(spec.model_dump())  # a stored spec re-validates to the same thing
    assert again.training == spec.training
    fixed, dists = recipe_space.entry_recipe(spec, spec.spaces[0])
    assert set(dists) == {"lr", "weight_decay", "augment"} and dists["lr"].log and fixed["batch_size"] == 64


@pytest.mark.parametrize("training,message", [
    ({"lr": {"low": 0, "high": 1}}, "training.lr.low: must be > 0"),
    ({"lr": {"low": 2, "high": 1}}, "training.lr: low 2 must be below high 1"),
    ({"lr": {"low": 1}}, "training.lr: a range needs both low and high"),
    ({"momentum": {"low": 0.5, "high": 1.0}}, "training.momentum.high: must be >= 0 and < 1"),
    ({"batch_size": {"low": 16.5, "high": 64}}, "training.batch_size.low: expected an integer"),
    ({"augment": {"low": 0, "high": 1}}, "training.augment: a true/false field takes values"),
    ({"device": {"values": ["cpu", "cuda"]}}, "training.device: cannot be searched"),
    ({"lr": {"low": 0.1, "high": 1, "step": 2}}, "training.lr.step: unknown key"),
    ({"weight_decay": {"low": 0.0, "high": 1e-3, "log": True}}, "needs low > 0"),
])
def test_bad_distributions_are_one_line(training, message):
    with pytest.raises(CampaignError) as info:
        _spec(training=training)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_an_entry_overrides_the_campaign_recipe():
    data = campaign_dict("r", spaces=("regnetx",), training={"lr": LR})
    data["spaces"][0]["training"] = {"lr": 0.5, "weight_decay": WD, "epochs": 2}
    spec = parse_campaign(data)
    fixed, dists = recipe_space.entry_recipe(spec, spec.spaces[0])
    assert fixed["lr"] == 0.5 and fixed["epochs"] == 2 and set(dists) == {"weight_decay"}
    data["spaces"][0]["training"] = {"device": "cpu"}
    with pytest.raises(CampaignError, match=r"spaces\[0\]\.training\.device: unknown key"):
        parse_campaign(data)
    assert recipe_space.max_epochs(_spec(training={"epochs": {"values": [1, 3]}})) == 3


def _study(tmp_path, strategy="random", space="regnetx", samples=6, regime=True):
    data = campaign_dict("r", spaces=(space,), samples=samples, strategy={"kind": strategy, "seed": 0},
                         training={"lr": LR, "weight_decay": WD, "batch_size": {"values": [32, 64]}})
    if not regime:
        data["spaces"][0].pop("regime")
    spec = parse_campaign(data).resolved(tmp_path)
    st = open_storage(f"sqlite:///{tmp_path}/r.db")
    return SpaceStudy(st, spec, spec.spaces[0], Geometry(32, 1, 10)), spec


@pytest.mark.parametrize("strategy", ["random", "tpe", "nsga2"])
def test_every_strategy_draws_the_recipe_in_the_same_trial(tmp_path, strategy):
    s, spec = _study(tmp_path, strategy)
    if strategy == "tpe":
        s.study.sampler._n_startup_trials = 2  # get to TPE's own proposals quickly
    if strategy == "nsga2":
        s.study.sampler._population_size = 2
    recipes = []
    for i in range(5):
        d = s.draw({})
        assert {"recipe.lr", "recipe.weight_decay", "recipe.batch_size"} <= set(d.params)
        assert any(not k.startswith("recipe.") for k in d.params)  # the architecture is in the same trial
        recipe = TrainRecipe.from_dict(recipe_space.recipe_for(spec, s.sspec, d.params))
        assert 0.25 <= recipe.lr <= 5 and 5e-5 <= recipe.weight_decay <= 1e-3 and recipe.batch_size in (32, 64)
        recipes.append(recipe)
        t = s.trials()[-1]
        assert t.distributions["recipe.lr"].log and t.params["recipe.lr"] == recipe.lr
        assert math.isclose(t.user_attrs["recipe_lr_wd"], recipe.lr * recipe.weight_decay)
        assert math.isclose(t.user_attrs["recipe_lr_per_256"], recipe.lr * 256 / recipe.batch_size)
        values = [40.0 + i, float(d.complexity["flops"])] if strategy == "nsga2" else None
        if values:
            s.study.tell(d.number, values=values)
        else:
            s.finish(d, top1_err=40.0 + i, state=TrialState.COMPLETE, attrs={"status": "completed"})
        # the network rebuilds from the stored params (recipe params are ignored there)
        assert s.space.config_from_params(t.params).to_dict() == d.config
    assert len({r.lr for r in recipes}) == 5


def test_a_preset_entry_samples_only_the_recipe(tmp_path):
    s, spec = _study(tmp_path, space="preset:resnet20", samples=4, regime=False)
    draws = [s.draw({}) for _ in range(4)]
    assert all(set(d.params) == {"recipe.lr", "recipe.weight_decay", "recipe.batch_size"} for d in draws)
    assert len({d.params["recipe.lr"] for d in draws}) == 4
    assert all(d.config == draws[0].config and d.complexity["params"] == 269_722 - 2 * 16 * 9 for d in draws)  # 1 input channel


def test_without_distributions_nothing_changes(tmp_path):
    spec = _spec(spaces=("regnetx",))
    assert spec.training.search == {}
    s = SpaceStudy(open_storage(f"sqlite:///{tmp_path}/n.db"), spec, spec.spaces[0], Geometry(32, 1, 10))
    d = s.draw({})
    assert not any(k.startswith("recipe.") for k in d.params) and "recipe_lr_wd" not in s.trials()[0].user_attrs
    assert recipe_space.recipe_for(spec, spec.spaces[0], d.params) == TrainRecipe.from_dict(
        recipe_space.recipe_for(spec, spec.spaces[0], {})).to_dict()


def test_training_block_is_ready_to_paste():
    import yaml

    spec = _spec(training={"lr": LR, "weight_decay": WD})
    recipe = recipe_space.recipe_for(spec, spec.spaces[0], {"recipe.lr": 1.23456, "recipe.weight_decay": 2e-4})
    block = recipe_space.training_block(recipe)
    parsed = yaml.safe_load(block)["training"]
    assert parsed["lr"] == 1.235 and parsed["weight_decay"] == 2e-4 and parsed["batch_size"] == 64
    assert _spec(training=parsed).training.search == {}


def _population(n, seed, lr_matters):
    """n models of a preset with log-uniform lr and wd; the error depends on lr (optimum near 1) when asked."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    lr = np.exp(rng.uniform(np.log(0.25), np.log(5), n))
    wd = np.exp(rng.uniform(np.log(5e-5), np.log(1e-3), n))
    err = 30 + rng.normal(0, 0.5, n) + (8 * np.log2(lr) ** 2 if lr_matters else 0)
    return pd.DataFrame({"space": "p", "number": range(n), "state": "COMPLETE", "error": err,
                         "param_recipe.lr": lr, "param_recipe.weight_decay": wd})


def _refine(df):
    from netspace.platform.analysis.refine import refine_space

    spec = _spec(training={"lr": LR, "weight_decay": WD})
    return refine_space(df, "p", base="preset:resnet20", samples=32, recipe=recipe_space.entry_recipe(spec, spec.spaces[0]))


def test_refine_narrows_the_recipe_only_where_the_evidence_supports_it():
    import yaml

    res = _refine(_population(64, 0, lr_matters=True))
    entry = yaml.safe_load(res.yaml)[0]
    lr = entry["training"]["lr"]
    assert lr["log"] and 0.25 < lr["low"] < 1 < lr["high"] < 5  # narrowed around the optimum
    wd = entry["training"]["weight_decay"]
    assert wd["log"] and _share(wd, WD) > 0.6 > 0.4 > _share(lr, LR)  # wd has no effect: (nearly) kept
    assert "restrict" not in entry and entry["space"] == "preset:resnet20"
    best = yaml.safe_load(res.training_yaml)["training"]
    assert 0.5 < best["lr"] < 2 and "weight_decay" in best
    again = parse_campaign(campaign_dict("again", spaces=(), training=best) | {"spaces": [entry]})
    assert set(again.spaces[0].training) == {"lr", "weight_decay"}  # the printed entry runs as it is


def _share(new, old):
    """The share of the old log-range a proposed range keeps."""
    return math.log(new["high"] / new["low"]) / math.log(old["high"] / old["low"])


def test_refine_keeps_the_recipe_when_nothing_matters():
    import yaml

    entry = yaml.safe_load(_refine(_population(64, 1, lr_matters=False)).yaml)[0]
    assert _share(entry["training"]["lr"], LR) > 0.6 and _share(entry["training"]["weight_decay"], WD) > 0.6


def test_the_driver_sends_each_trial_its_drawn_recipe(tmp_path):
    """The task a worker receives carries the trial's own recipe, and MLflow records the recipe params."""
    from mlflow.tracking import MlflowClient

    from netspace.platform.campaign.driver import CampaignDriver
    from netspace.platform.campaign.progress import Progress
    from netspace.platform.campaign.task import TrialTask
    from netspace.platform.tracking.tracker import Tracker

    data = campaign_dict("r", spaces=("regnetx",), samples=3, training={"lr": LR, "weight_decay": WD},
                         mlflow={"tracking_uri": f"sqlite:///{tmp_path}/mlflow.db",
                                 "artifact_location": str(tmp_path / "art")})
    spec = parse_campaign(data).resolved(tmp_path)
    st = open_storage(f"sqlite:///{tmp_path}/r.db")
    studies = {"regnetx": SpaceStudy(st, spec, spec.spaces[0], Geometry(32, 1, 10))}
    tracker = Tracker(spec.mlflow, spec.name)
    tracker.open(None, None)
    try:
        driver = CampaignDriver(spec, studies, tracker, Progress(spec.name, enabled=False), max_concurrent=3)
        for _ in range(3):
            task = TrialTask.from_config(driver.next_trial())
            d = driver.active[task.key]
            recipe = TrainRecipe.from_dict(task.recipe)
            assert (recipe.lr, recipe.weight_decay) == (d.params["recipe.lr"], d.params["recipe.weight_decay"])
            assert recipe.epochs == 1 and recipe.batch_size == 64 and recipe.augment is False  # the fixed fields
            run = MlflowClient(spec.mlflow.tracking_uri).get_run(d.mlflow_run_id)
            assert float(run.data.params["optuna.recipe.lr"]) == recipe.lr
    finally:
        tracker.close("FINISHED")

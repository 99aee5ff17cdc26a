"""Cross-checks of a finished campaign: Optuna storage, MLflow and `netspace status --json` must agree."""

from __future__ import annotations

import json
import os

import optuna
from optuna.trial import TrialState

from netspace.cli import main
from netspace.search_spaces import get_space

TRIAL_ATTRS = {"config", "flops", "params", "acts", "status", "train_time_s", "epochs_run", "mlflow_run_id",
               "weights_path", "dataset", "progress"}
STUDY_ATTRS = {"campaign", "space", "target", "spec", "mlflow_experiment_id", "mlflow_parent_run_id"}


def status_json(name: str, storage: str, capsys) -> dict:
    capsys.readouterr()
    assert main(["status", name, "--storage", storage, "--json", "--top", "100"]) == 0
    return json.loads(capsys.readouterr().out)


def check_campaign(name: str, storage: str, tracking_uri: str, targets: dict[str, int], capsys) -> dict:
    """Assert a complete campaign is consistent everywhere; returns {space: [COMPLETE FrozenTrial]}."""
    from mlflow.tracking import MlflowClient

    from netspace.platform.storage.project import load_path, project_dir
    from netspace.platform.storage.urls import normalize_url

    st = optuna.storages.RDBStorage(normalize_url(storage))
    project = project_dir(storage)  # stored paths are relative to the project directory
    complete: dict[str, list] = {}
    parent_ids = set()
    for space, target in targets.items():
        study = optuna.load_study(study_name=f"{name}::{space}", storage=st)
        assert set(study.user_attrs) >= STUDY_ATTRS, study.user_attrs
        assert study.user_attrs["target"] == target and study.user_attrs["campaign"] == name
        parent_ids.add(study.user_attrs["mlflow_parent_run_id"])
        trials = study.get_trials()
        done = [t for t in trials if t.state == TrialState.COMPLETE]
        assert len(done) == target, [(t.number, t.state) for t in trials]
        assert not [t for t in trials if t.state == TrialState.RUNNING]
        ds = get_space(space)
        for t in done:
            assert set(t.user_attrs) >= TRIAL_ATTRS, set(t.user_attrs) ^ TRIAL_ATTRS
            assert t.user_attrs["status"] == "completed"
            assert ds.config_from_params(t.params).to_dict() == t.user_attrs["config"]
            assert 1e6 <= t.user_attrs["flops"] <= 4e6
            assert os.path.isfile(load_path(t.user_attrs["weights_path"], project) or "")
            assert t.intermediate_values and 0 <= t.values[0] <= 100
            assert t.intermediate_values[max(t.intermediate_values)] == t.values[0]
        assert len({t.number for t in done}) == target
        assert len({json.dumps(t.params, sort_keys=True) for t in done}) == target
        complete[space] = done
    assert len(parent_ids) == 1

    # MLflow: one FINISHED child run per finished trial, with the config as params and per-epoch metrics
    client = MlflowClient(normalize_url(tracking_uri))
    parent = client.get_run(parent_ids.pop())
    runs = client.search_runs([parent.info.experiment_id],
                              filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'", max_results=1000)
    finished = {r.info.run_id: r for r in runs
                if r.info.status == "FINISHED" and r.data.tags.get("netspace.space") in targets}
    all_trials = [t for ts in complete.values() for t in ts]
    assert len(finished) == len(all_trials), (len(finished), len(all_trials), len(runs))
    for t in all_trials:
        run = finished[t.user_attrs["mlflow_run_id"]]
        assert run.data.params["space"] in targets
        assert run.data.params["trial_number"] == str(t.number)
        cfg = t.user_attrs["config"]
        assert {f"config.{k}" for k in cfg} <= set(run.data.params)
        assert abs(run.data.metrics["final_top1_err"] - t.values[0]) < 1e-6
        assert run.data.metrics["flops"] == t.user_attrs["flops"]
        assert len(client.get_metric_history(run.info.run_id, "top1_err")) >= 1

    # `netspace status --json` agrees on counts and the best trial
    js = status_json(name, storage, capsys)
    for space, target in targets.items():
        assert js["spaces"][space]["finished"] == target == js["spaces"][space]["completed"]
        assert js["spaces"][space]["running"] == 0
    best = min(all_trials, key=lambda t: t.values[0])
    listed = [b for b in js["best"] if b["space"] in targets]
    assert listed[0]["top1_err"] == best.values[0]
    assert sum(js["spaces"][s]["finished"] for s in targets) == len(all_trials)
    if set(js["spaces"]) == set(targets):
        assert js["totals"]["finished"] == len(all_trials) and js["done"] is True
    return complete

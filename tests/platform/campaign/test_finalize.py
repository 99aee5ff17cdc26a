"""`netspace finalize`: the chosen networks at full schedules × seeds, a tracked and resumable campaign stage."""

from __future__ import annotations

import json
import os
import subprocess

import optuna
import pytest
from optuna.trial import TrialState

from netspace.cli import main
from netspace.errors import CampaignError
from netspace.platform.campaign.finalize import (
    PlannedRun,
    best_finalized,
    final_table,
    make_plan,
    parse_epochs,
    parse_source,
)
from tests.support.campaigns import campaign_dict, kill_tree, netspace_cmd, wait_for, write_campaign


def test_plan_and_arguments():
    assert parse_source("regnetx#12") == ("regnetx", 12) and parse_source("preset:resnet20#3") == ("preset:resnet20", 3)
    assert parse_source("regnetx:4") == ("regnetx", 4)
    with pytest.raises(CampaignError, match="expected LABEL#N"):
        parse_source("regnetx")
    assert parse_epochs("100,50,50", 5) == [50, 100] and parse_epochs(None, 5) == [5]
    with pytest.raises(CampaignError, match="whole numbers"):
        parse_epochs("fifty", 5)
    plan = make_plan(["a#1", "b#2"], [1, 3], 2)
    assert len(plan) == 8 and len({p.key for p in plan}) == 8 and PlannedRun("a#1", 3, 1) in plan


def test_data_parallel_settings_given_stored_and_checked():
    from netspace.platform.campaign.finalize import data_parallel_of
    from netspace.platform.campaign.scheduler import DataParallel
    from netspace.platform.campaign.spec import CampaignSpec

    spec = CampaignSpec(**campaign_dict("dp", resources={"cpus_per_trial": 2}))
    assert data_parallel_of(spec, None, None, None) is None  # one process per run
    assert data_parallel_of(spec, None, 2, None) == DataParallel(2, 2.0, 0.0)
    assert data_parallel_of(spec, {"workers": 4, "gpus_per_worker": 1.0}, None, None) == DataParallel(4, 2.0, 1.0)
    assert data_parallel_of(spec, {"workers": 4, "gpus_per_worker": 0.0}, 1, None) is None  # back to one process
    for workers, gpus, message in ((2, 0.5, "need a GPU each"), (None, 1.0, "needs --workers"),
                                   (0, None, "whole number >= 1")):
        with pytest.raises(CampaignError, match=message):
            data_parallel_of(spec, None, workers, gpus)


def test_table_is_mean_and_std_per_network_and_epochs():
    study = optuna.create_study()
    for src, ep, errs in (("a#1", 10, [10.0, 12.0]), ("a#1", 20, [8.0, 8.0]), ("b#2", 20, [9.0, 11.0, 7.0])):
        for seed, e in enumerate(errs):
            study.add_trial(optuna.trial.create_trial(value=e, user_attrs={
                "source": src, "epochs": ep, "seed": seed, "source_top1_err": 30.0}))
    study.add_trial(optuna.trial.create_trial(state=TrialState.FAIL, user_attrs={"source": "b#2", "epochs": 20,
                                                                                  "seed": 3}))
    rows = final_table(study.get_trials())
    assert [(r["source"], r["epochs"], r["runs"], r["mean_err"]) for r in rows] == [
        ("a#1", 10, 2, 11.0), ("a#1", 20, 2, 8.0), ("b#2", 20, 3, 9.0)]
    assert rows[0]["std_err"] == pytest.approx(2 ** 0.5) and rows[2]["std_err"] == pytest.approx(2.0)
    assert {k: r["epochs"] for k, r in best_finalized(rows).items()} == {"a#1": 20, "b#2": 20}


def _final_counts(db) -> dict[str, int]:
    import sqlite3

    if not db.exists():
        return {}
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        rows = con.execute("SELECT t.state, COUNT(*) FROM trials t JOIN studies s ON s.study_id = t.study_id "
                           "WHERE s.study_name = 'fin::final' GROUP BY t.state").fetchall()
    except sqlite3.OperationalError:
        return {}
    finally:
        con.close()
    return dict(rows)


@pytest.mark.slow
def test_finalize_killed_and_resumed_ends_with_every_run_once(ray_cluster, workdir, capsys):
    from mlflow.tracking import MlflowClient

    from netspace.platform.campaign.run import run_campaign
    from netspace.platform.tracking.promote import promote

    data = campaign_dict("fin", spaces=("regnetx",), samples=3, epochs=1, images=128)
    assert run_campaign(write_campaign(workdir / "c.yaml", data), show_progress=False).complete
    storage = f"sqlite:///{workdir}/netspace.db"
    k, epochs, seeds = 2, (1, 2), 2
    args = ["finalize", "fin", "--top", str(k), "--epochs", ",".join(map(str, epochs)), "--seeds", str(seeds),
            "--address", ray_cluster, "--quiet", "--storage", storage]
    log = open(workdir / "finalize-1.log", "w")
    proc = subprocess.Popen(netspace_cmd(*args), cwd=workdir, env={**os.environ, "PYTHONUNBUFFERED": "1"},
                            stdout=log, stderr=subprocess.STDOUT)
    try:  # SIGKILL the driver once some runs finished while others are in flight
        wait_for(lambda: _final_counts(workdir / "netspace.db").get("COMPLETE", 0) >= 2
                 and _final_counts(workdir / "netspace.db").get("RUNNING", 0) >= 1, 600, what="final runs under way")
    finally:
        kill_tree(proc)
    assert _final_counts(workdir / "netspace.db").get("COMPLETE", 0) < k * len(epochs) * seeds
    capsys.readouterr()
    assert main(["finalize", "fin", "--address", ray_cluster, "--quiet", "--storage", storage, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["finished"] == out["target"] == k * len(epochs) * seeds

    study = optuna.load_study(study_name="fin::final", storage=storage)
    done = [t for t in study.get_trials() if t.state == TrialState.COMPLETE]
    keys = [(t.user_attrs["source"], t.user_attrs["epochs"], t.user_attrs["seed"]) for t in done]
    assert len(done) == len(set(keys)) == k * len(epochs) * seeds  # every run recorded once in Optuna
    assert not [t for t in study.get_trials() if t.state == TrialState.RUNNING]
    assert {t.user_attrs["epochs_run"] for t in done} == set(epochs)
    best_two = sorted(optuna.load_study(study_name="fin::regnetx", storage=storage).get_trials(
        states=(TrialState.COMPLETE,)), key=lambda t: (t.values[0], t.number))[:k]
    assert {s for s, _, _ in keys} == {f"regnetx#{t.number}" for t in best_two}

    # MLflow: one FINISHED child run per final run, under the campaign's parent run
    client = MlflowClient(f"sqlite:///{workdir}/mlflow.db")
    parent = study.user_attrs["mlflow_parent_run_id"]
    assert parent == optuna.load_study(study_name="fin::regnetx", storage=storage).user_attrs["mlflow_parent_run_id"]
    runs = client.search_runs([study.user_attrs["mlflow_experiment_id"]], max_results=1000,
                              filter_string=f"tags.mlflow.parentRunId = '{parent}' and tags.`netspace.space` = 'final'")
    finished_runs = [r for r in runs if r.info.status == "FINISHED"]
    assert sorted(r.info.run_id for r in finished_runs) == sorted(t.user_attrs["mlflow_run_id"] for t in done)

    # status and promote use the finalized means
    capsys.readouterr()
    assert main(["status", "fin", "--storage", storage, "--json"]) == 0
    final = json.loads(capsys.readouterr().out)["final"]
    assert len(final) == k * len(epochs) and all(r["runs"] == seeds for r in final)
    longest = [r for r in final if r["epochs"] == max(epochs)]
    best = min(longest, key=lambda r: (r["mean_err"], r["source"]))
    [model] = promote(storage, "fin", tracking_uri=f"sqlite:///{workdir}/mlflow.db")
    assert f"regnetx#{model.trial_number}" == best["source"] and model.top1_err == pytest.approx(best["mean_err"])
    assert "finalized mean of 2 seed(s) at 2 epochs" in model.describe()


def test_report_section_and_population_split(tmp_path):
    import pandas as pd

    from netspace.platform.reporting.recipe_report import final_html, without_final

    url = f"sqlite:///{tmp_path}/f.db"
    study = optuna.create_study(study_name="c::final", storage=url)
    for seed, e in enumerate([10.0, 14.0]):
        study.add_trial(optuna.trial.create_trial(value=e, user_attrs={"source": "regnetx#3", "epochs": 4,
                                                                       "seed": seed, "source_top1_err": 30.0}))
    page = final_html(url, "c")
    assert "Final training" in page and "regnetx#3" in page and "12.00" in page and "2.83" in page
    assert final_html(url, "other") == ""
    df = pd.DataFrame({"space": ["regnetx", "final"], "error": [1.0, 2.0]})
    assert without_final(df)["space"].tolist() == ["regnetx"]


@pytest.mark.slow
def test_finalize_with_two_gloo_workers_records_every_run(ray_cluster, workdir, capsys):
    """`finalize --workers 2`: each run trains data-parallel on two Ray Train workers (gloo on CPU), is recorded
    once in Optuna and MLflow, keeps loadable weights, and the settings stay with the final study."""
    from mlflow.tracking import MlflowClient

    from netspace.platform.campaign.run import run_campaign
    from netspace.platform.tracking.promote import promote

    data = campaign_dict("dp", spaces=("regnetx",), samples=1, epochs=1, images=128)
    assert run_campaign(write_campaign(workdir / "c.yaml", data), show_progress=False).complete
    storage = f"sqlite:///{workdir}/netspace.db"
    capsys.readouterr()
    assert main(["finalize", "dp", "--workers", "2", "--gpus-per-worker", "0.5", "--storage", storage]) == 2
    assert "need a GPU each" in capsys.readouterr().err  # checked before anything is planned or stored
    assert main(["finalize", "dp", "--top", "1", "--epochs", "1,2", "--workers", "2", "--address", ray_cluster,
                 "--quiet", "--storage", storage, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["finished"] == out["target"] == 2 and out["failed"] == 0

    study = optuna.load_study(study_name="dp::final", storage=storage)
    assert study.user_attrs["data_parallel"] == {"workers": 2, "gpus_per_worker": 0.0}
    done = [t for t in study.get_trials() if t.state == TrialState.COMPLETE]
    assert sorted(t.user_attrs["epochs_run"] for t in done) == [1, 2]
    assert all(t.user_attrs["workers"] == 2 and 0 <= t.values[0] <= 100 for t in done)
    client = MlflowClient(f"sqlite:///{workdir}/mlflow.db")
    assert {client.get_run(t.user_attrs["mlflow_run_id"]).info.status for t in done} == {"FINISHED"}
    [model] = promote(storage, "dp", tracking_uri=f"sqlite:///{workdir}/mlflow.db")  # weights of the plain network
    assert "finalized mean of 1 seed(s) at 2 epochs" in model.describe()


@pytest.mark.slow
def test_raylet_error_messages_stay_off_stdout(ray_cluster, capsys):
    """Ray prints the raylet's errors on stdout (e.g. Ray Train force-killing a worker that was already exiting
    after a data-parallel run): they go to stderr, so `finalize --json` prints only its JSON."""
    from ray._private import worker

    capsys.readouterr()
    worker.print_to_stdstream({"lines": ["A worker died or was killed"], "pid": "raylet", "is_err": False},
                              ignore_prefix=False)
    out, err = capsys.readouterr()
    assert out == "" and "A worker died or was killed" in err

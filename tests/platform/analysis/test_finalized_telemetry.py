"""Pure summaries: the final runs of `netspace finalize` per network and epoch count (the figures `status` and
`promote` use), and the input-pipeline telemetry (mean data wait, which trials are input-bound)."""

from __future__ import annotations

import math

import optuna
import pandas as pd
import pytest
from optuna.trial import TrialState

from netspace.platform.analysis.finalized import final_summary, promote_pick
from netspace.platform.analysis.telemetry import INPUT_BOUND, input_bound, is_input_bound, mean_data_wait
from netspace.platform.campaign.finalize import best_finalized, final_table

# (source, epochs, seed, state, error)
RUNS = [("a#1", 10, 0, "COMPLETE", 10.0), ("a#1", 10, 1, "COMPLETE", 12.0),
        ("a#1", 20, 0, "COMPLETE", 8.0), ("a#1", 20, 1, "RUNNING", None),
        ("b#2", 10, 0, "COMPLETE", 9.0), ("b#2", 10, 1, "COMPLETE", 11.0), ("b#2", 10, 2, "COMPLETE", 7.0),
        ("b#2", 10, 3, "FAIL", None)]
PLAN = [{"source": s, "epochs": e, "seed": k} for s in ("a#1", "b#2") for e in (10, 20) for k in range(2)]


def _runs() -> pd.DataFrame:
    return pd.DataFrame([{"source": s, "epochs": e, "seed": k, "state": st, "error": math.nan if err is None else err,
                          "source_top1_err": 30.0 if s == "a#1" else 25.0, "flops": 1e6, "params": 2e5}
                         for s, e, k, st, err in RUNS])


def _optuna_trials():
    study = optuna.create_study()
    for s, e, k, st, err in RUNS:
        attrs = {"source": s, "epochs": e, "seed": k, "source_top1_err": 30.0 if s == "a#1" else 25.0,
                 "flops": 1e6, "params": 2e5}
        study.add_trial(optuna.trial.create_trial(state=TrialState[st], value=err, user_attrs=attrs))
    return study.get_trials()


def test_final_summary_counts_done_planned_running_failed():
    s = final_summary(_runs(), PLAN)
    got = [(r.source, r.epochs, r.done, r.planned, r.running, r.failed) for r in s.itertuples()]
    assert got == [("b#2", 10, 3, 2, 0, 1), ("a#1", 10, 2, 2, 0, 0), ("a#1", 20, 1, 2, 1, 0), ("b#2", 20, 0, 2, 0, 0)]
    row = s[(s["source"] == "b#2") & (s["epochs"] == 10)].iloc[0]
    assert row["mean_err"] == pytest.approx(9.0) and row["std_err"] == pytest.approx(2.0)
    assert row["search_err"] == 25.0
    never = s[(s["source"] == "b#2") & (s["epochs"] == 20)].iloc[0]  # planned, not started: no figure yet
    assert math.isnan(never["mean_err"]) and math.isnan(never["std_err"]) and not never["promote"]


def test_final_summary_has_the_figures_of_status_and_promote():
    s = final_summary(_runs(), PLAN)
    table = final_table(_optuna_trials())  # what `netspace status` and the report print
    mine = s[s["done"] > 0]
    assert [(r["source"], r["epochs"], r["runs"]) for r in table] == list(zip(mine["source"], mine["epochs"],
                                                                             mine["done"]))
    assert mine["mean_err"].tolist() == pytest.approx([r["mean_err"] for r in table])
    assert mine["std_err"].tolist() == pytest.approx([r["std_err"] for r in table])
    # promote ranks each network at its longest epoch count with a finished run (a#1: 20, b#2: only 10 finished)
    ranked = {r.source: r.epochs for r in s[s["promote"]].itertuples()}
    assert ranked == {k: r["epochs"] for k, r in best_finalized(table).items()} == {"a#1": 20, "b#2": 10}
    pick = promote_pick(s)
    assert (pick["source"], pick["epochs"], pick["mean_err"]) == ("a#1", 20, 8.0)


def test_final_summary_without_runs_or_plan():
    assert final_summary(pd.DataFrame(), []).empty
    assert promote_pick(final_summary(pd.DataFrame(), [])) is None
    only_plan = final_summary(pd.DataFrame(), PLAN[:2])
    assert only_plan[["done", "planned"]].values.tolist() == [[0, 2]] and promote_pick(only_plan) is None


def test_data_wait_mean_and_input_bound():
    history = [{"epoch": 1, "data_wait": 0.5}, {"epoch": 2, "data_wait": 0.1}, {"epoch": 3}, "junk"]
    assert mean_data_wait(history) == pytest.approx(0.3)
    assert mean_data_wait([{"epoch": 1}]) is None and mean_data_wait(None) is None
    assert mean_data_wait([{"data_wait": 7.0}, {"data_wait": float("nan")}]) is None  # not a fraction
    assert is_input_bound(INPUT_BOUND + 0.01) and not is_input_bound(INPUT_BOUND) and not is_input_bound(None)
    df = pd.DataFrame({"data_wait": [0.05, 0.62, None, 0.31]})
    assert input_bound(df).tolist() == [False, True, False, True]
    assert input_bound(pd.DataFrame({"x": [1]})).tolist() == [False]

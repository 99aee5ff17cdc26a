"""The summary strip's facts, the live-refresh rule and the chart helpers (pure functions, no Streamlit run)."""

import json

import altair as alt
import numpy as np
import pandas as pd
import pytest

from netspace.dashboard import charts, summary
from netspace.dashboard.view import is_live


def _counts(**states) -> pd.DataFrame:
    return pd.DataFrame({k: [v] for k, v in states.items()}, index=["regnetx"])


@pytest.mark.parametrize("counts, attrs, live", [
    (pd.DataFrame(), {}, True),                                          # no study yet: the campaign is being created
    (_counts(COMPLETE=0, RUNNING=0, FAIL=0), {"regnetx": {"target": 8}}, True),  # before the first trial
    (_counts(COMPLETE=3, RUNNING=0, FAIL=1), {"regnetx": {"target": 8}}, True),  # between two trials
    (_counts(COMPLETE=2, RUNNING=1, FAIL=0), {"regnetx": {"target": 3}}, True),
    (_counts(COMPLETE=7, RUNNING=0, FAIL=1), {"regnetx": {"target": 8}}, False),  # reached its target
    (_counts(COMPLETE=5, RUNNING=0, FAIL=0), {"regnetx": {}}, False),            # no target, all finished
])
def test_live_until_the_targets_are_reached(counts, attrs, live):
    assert is_live(counts, attrs) is live


def test_winner_reads_the_pair_of_the_two_best_medians_in_either_order():
    done = pd.DataFrame({"space": ["a"] * 3 + ["b"] * 3 + ["c"] * 3,
                         "error": [5, 6, 7, 3, 4, 5, 8, 9, 10.0]})
    pairs = pd.DataFrame([{"a": "a", "b": "b", "p_value": 0.01, "median_diff": -2.0, "diff_lo": -3.0, "diff_hi": -1.0,
                           "verdict": "b better than a, p = 0.01"},
                          {"a": "b", "b": "c", "p_value": 0.001, "median_diff": 5.0, "diff_lo": 4.0, "diff_hi": 6.0,
                           "verdict": "b better than c"}])
    w = summary.winner(done, pairs)
    assert (w.space, w.runner_up, w.verdict, w.p_value) == ("b", "a", "b better than a, p = 0.01", 0.01)
    assert (w.diff, w.lo, w.hi) == (2.0, 1.0, 3.0)  # runner-up − winner
    one = summary.winner(done[done["space"] == "c"], pairs.iloc[:0])
    assert one.space == "c" and one.runner_up is None


def test_progress_and_eta_from_the_throughput_so_far():
    counts = _counts(COMPLETE=4, RUNNING=1, FAIL=1)
    assert summary.progress(counts, {"regnetx": {"target": 12}, "regnety": {"target": 8}}) == (5, 20)
    t0 = pd.Timestamp("2026-01-01 10:00")
    trials = pd.DataFrame({"datetime_start": [t0 + pd.Timedelta(minutes=i) for i in range(5)],
                           "datetime_complete": [t0 + pd.Timedelta(minutes=i + 1) for i in range(5)]})
    assert summary.eta_s(trials, 5, 20) == pytest.approx(15 * 60.0)  # 5 trials in 5 minutes, 15 to go
    assert summary.eta_s(trials.iloc[:1], 1, 20) is None and summary.eta_s(trials, 20, 20) == 0.0
    assert summary.fmt_duration(15 * 60) == "15 min 00 s" and summary.fmt_duration(None) == "unknown"
    assert summary.fmt_duration(7384) == "2 h 03 min"


def test_axes_fit_the_data():
    lo, hi = charts.fitted([2e6, 6e6], log=True)
    assert 1.8e6 < lo < 2e6 and 6e6 < hi < 6.5e6  # not a 1–10 MF decade
    assert charts.fitted([np.nan]) is alt.Undefined
    df = pd.DataFrame({"space": "regnetx", "number": range(4), "error": [30.0, 31, 32, 33],
                       "flops": [2e6, 3e6, 5e6, 6e6], "params": 1e5, "acts": 1e5})
    spec = charts.complexity_chart(df, "flops", {"regnetx": "#4e79a7"}).to_dict()
    x = spec["layer"][0]["encoding"]["x"]
    assert x["scale"]["type"] == "log" and x["scale"]["nice"] is False and 1.8 < x["scale"]["domain"][0] < 2


def test_history_axis_reads_as_clock_time_or_dates():
    t0 = pd.Timestamp("2026-01-01 10:00")
    assert charts.time_format([t0, t0 + pd.Timedelta(hours=2)])[0] == "%H:%M"
    assert charts.time_format([t0, t0 + pd.Timedelta(minutes=3)])[0] == "%H:%M:%S"
    assert charts.time_format([t0, t0 + pd.Timedelta(days=2)])[0] == "%a %H:%M"
    assert charts.time_format([t0, t0 + pd.Timedelta(days=40)])[0] == "%d %b"


def test_edf_legend_sits_outside_and_trends_encode_the_statistic_by_dash():
    curves = pd.DataFrame({"space": ["a", "a", "b", "b"], "error": [1.0, 2, 1.5, 3], "F": [0.5, 1, 0.5, 1]})
    spec = charts.edf_chart(curves, "t", {"a": "#111111", "b": "#222222"}).to_dict()
    legend = spec["layer"][0]["encoding"]["color"]["legend"]
    assert legend["orient"] in ("top", "bottom", "right", "left")
    df = pd.DataFrame({"error": np.linspace(20, 40, 50), "param_d": np.arange(50) % 10 + 1})
    _, trends = charts.trends_chart(df, ["param_d"], color="#4e79a7")
    text = json.dumps(trends)
    assert '"strokeDash"' in text and "MEDIAN_COLOR" not in text and "#f28e2b" not in text and "#4e79a7" in text


def test_parallel_coordinates_draw_the_best_last_on_real_unit_axes():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"number": range(30), "error": rng.uniform(20, 40, 30),
                       "param_w0": rng.integers(8, 200, 30).astype(float), "param_wm": rng.uniform(1.5, 3, 30)})
    spec = charts.parallel_chart(df, ["param_w0", "param_wm"], max_lines=20).to_dict()
    datasets = list(spec["datasets"].values())
    lines = next(d for d in datasets if d and "trial" in d[0])
    errors = [r["error"] for r in lines if r["param"] == "w0"]
    assert errors == sorted(errors, reverse=True) and len(errors) == 20  # worst first, the best on top
    labels = [r["label"] for d in datasets for r in d if "label" in r]
    assert any(float(lbl.split()[0]) > 100 for lbl in labels if lbl)  # w0 in channels, not 0–1
    opacity = next(lyr for lyr in spec["layer"] if "opacity" in lyr.get("encoding", {}))["encoding"]["opacity"]
    assert opacity["scale"]["range"][0] > opacity["scale"]["range"][1]  # low error: most opaque

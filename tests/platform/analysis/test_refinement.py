"""Confident comparisons, the authors' normalized EDF, e_fit over every w0 and `refine_space` (pure analysis)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from netspace.platform.analysis import (
    EmptyBinWarning,
    complexity_edges,
    ks_statistic,
    median_diff_interval,
    normalized_weights_in_range,
    pairwise_comparisons,
    refine_space,
)
from netspace.platform.analysis.fit import fit_error, quantized_linear_fit, quantized_widths
from netspace.platform.analysis.stratified import pool_bins, stratified_ks_test
from netspace.platform.campaign.spec import parse_campaign
from netspace.search_spaces import Geometry, get_space, sample_configs


def _frame(groups: dict[str, np.ndarray], flops: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    parts = []
    for s, e in groups.items():
        part = pd.DataFrame({"space": s, "error": e, "state": "COMPLETE"})
        if flops is not None:
            part["flops"] = flops[s]
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def test_pairwise_p_values_equal_scipy_on_unweighted_data():
    rng = np.random.default_rng(0)
    groups = {"A": rng.normal(50, 5, 16), "B": rng.normal(44, 5, 16), "C": rng.normal(50, 5, 23)}
    df = _frame(groups)
    df.loc[len(df)] = {"space": "A", "error": np.nan, "state": "COMPLETE"}  # unfinished rows are ignored
    t = pairwise_comparisons(df, n_boot=500)
    assert list(zip(t["a"], t["b"])) == [("A", "B"), ("A", "C"), ("B", "C")]
    for r in t.itertuples(index=False):
        ref = stats.ks_2samp(groups[r.a], groups[r.b])
        assert r.ks == pytest.approx(ref.statistic) and r.p_value == pytest.approx(ref.pvalue)
        assert r.median_diff == pytest.approx(np.median(groups[r.b]) - np.median(groups[r.a]))
        assert r.diff_lo <= r.median_diff <= r.diff_hi
    assert t["p_adjusted"].tolist() == pytest.approx(np.minimum(1, np.maximum.accumulate(
        np.sort(t["p_value"]) * [3, 2, 1]))[np.argsort(np.argsort(t["p_value"]))].tolist())  # Holm over the 3 pairs
    ab = t.iloc[0]
    assert ab["better"] == "B" and ab["verdict"].startswith("B better than A, p ") and ", adjusted " in ab["verdict"]
    assert ab["diff_hi"] < 0
    ac = t.iloc[1]
    assert ac["better"] == "" and ac["verdict"].startswith("no detectable difference at n = 16/23")


def test_median_difference_interval_covers_the_truth():
    rng = np.random.default_rng(1)
    covered = 0
    for k in range(40):
        a, b = rng.normal(0, 1, 40), rng.normal(1.0, 1, 40)
        lo, hi = median_diff_interval(a, b, n_boot=400, seed=k)
        covered += lo <= 1.0 <= hi
    assert covered >= 34  # nominal 95 % of 40 = 38


def test_normalized_weights_hand_computed_with_empty_bin_warning():
    """Fixed range [0, 40], 40 linear bins (1 unit each): A has models in bins 0, 0, 1, 39; B in 0, 1 and one
    model outside the range. Equal mass per occupied bin: A = 1/6, 1/6, 1/3, 1/3; B = 1/2, 1/2, 0."""
    c = [0.5, 0.7, 1.5, 39.9, 0.2, 1.2, 55.0]
    g = ["A", "A", "A", "A", "B", "B", "B"]
    edges = complexity_edges(c, 40, range=(0, 40))
    assert edges.size == 41 and edges[1] == pytest.approx(1.0)
    with pytest.warns(EmptyBinWarning) as rec:
        w = normalized_weights_in_range(c, g, edges, what="flops")
    assert w.tolist() == pytest.approx([1 / 6, 1 / 6, 1 / 3, 1 / 3, 0.5, 0.5, 0.0])
    msg = str(rec[0].message)
    assert "B has no model in 1 of the 40 flops bins other spaces occupy (first: 39–40)" in msg
    assert "1 model(s) outside the flops range [0, 40] are left out" in msg
    # log bins over the same data: edges are geometric
    e = complexity_edges([1, 10, 100], 2, log=True)
    assert e.tolist() == pytest.approx([1, 10, 100])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        normalized_weights_in_range([1, 2, 1, 2], ["A", "A", "B", "B"], complexity_edges([1, 2], 2))


def test_stratified_ks_permutation_p_value():
    rng = np.random.default_rng(2)
    n = 40
    c = rng.uniform(1, 10, 2 * n)
    is_b = np.r_[np.zeros(n, bool), np.ones(n, bool)]
    edges = complexity_edges(c, 5)
    bins = np.clip(np.searchsorted(edges, c, side="right") - 1, 0, 4)
    pooled, k, reason = pool_bins(bins, is_b, 5)
    assert reason == "" and k >= 2
    w = normalized_weights_in_range(c, is_b, edges)
    same = rng.normal(0, 1, 2 * n)
    d, p = stratified_ks_test(same, pooled, is_b, k, n_perm=400, seed=0)
    if k == 5:  # no pooling: the weights are the authors' normalized weights
        assert d == pytest.approx(ks_statistic(same[~is_b], same[is_b], w[~is_b], w[is_b]), abs=1e-6)
    assert p > 0.01
    shifted = same + 1.5 * is_b
    d2, p2 = stratified_ks_test(shifted, pooled, is_b, k, n_perm=400, seed=0)
    assert d2 > d and p2 < 0.01 and p2 >= 1 / 401
    df = _frame({"A": shifted[~is_b], "B": shifted[is_b]}, {"A": c[~is_b], "B": c[is_b]})
    t = pairwise_comparisons(df, normalize="flops", n_bins=5, n_boot=400)
    assert t.loc[0, "ks"] == pytest.approx(d2) and t.loc[0, "better"] == "A" and t.loc[0, "bins"] == k


def test_e_fit_searches_every_multiple_of_8():
    """On random AnyNetX-E samples the fit is never worse than a brute-force grid over every multiple of 8 as
    w0 (and a dense wa x wm grid); on a model whose best w0 is far from its first width it finds that w0."""
    samples = sample_configs(get_space("anynetx_e"), 4, seed=3, geometry=Geometry(resolution=32, in_channels=1, num_classes=10))
    for s in samples:
        w = np.array(s.config.block_widths, dtype=float)
        fit = quantized_linear_fit(w)
        assert fit.e_fit == pytest.approx(fit_error(w, quantized_widths(fit.w0, fit.wa, fit.wm, w.size)))
        w0s = np.arange(8, 8 * np.ceil(w.max() / 8) + 8, 8)
        la = np.r_[-np.inf, np.linspace(np.log(0.1), np.log(max(256, 4 * w.max())), 60)]
        lm = np.linspace(np.log(1.05), np.log(4.0), 60)
        W0, A, M = (x.ravel() for x in np.meshgrid(w0s, la, lm, indexing="ij"))
        brute = fit_error(w, quantized_widths(W0, np.exp(A), np.exp(M), w.size)).min()
        assert fit.e_fit <= brute + 1e-9, (list(w), fit, brute)
    w = [8, 56, 56, 56, 152, 152, 152]  # w0 = 8 is far from the best multiplier origin
    fit = quantized_linear_fit(w)
    assert fit.e_fit <= fit_error(np.array(w, float), quantized_widths(8.0, 48.0, 2.714, 7)) + 1e-9


def test_refine_space_narrows_to_the_good_region_and_emits_a_runnable_entry():
    samples = sample_configs(get_space("regnetx_c"), 120, seed=0, geometry=Geometry(resolution=32, in_channels=1, num_classes=10))
    rng = np.random.default_rng(0)
    rows = []
    for s in samples:  # error lowest around d = 20, independent of the other parameters
        err = 20 + 0.05 * (s.params["d"] - 20) ** 2 + rng.normal(0, 0.5)
        rows.append({"space": "c", "error": err, "state": "COMPLETE", **{f"param_{k}": v for k, v in s.params.items()}})
    df = pd.DataFrame(rows)
    res = refine_space(df, "c", base="regnetx_c", restrict={"g": {"values": [8, 16, 32]}}, samples=12,
                       regime={"flops": {"low": 2e6, "high": 6e6}}, n_boot=1000)
    t = res.table.set_index("parameter")
    assert t.loc["b", "direction"] == "fixed" and t.loc["d", "n"] == 120
    assert 12 <= t.loc["d", "good_lo"] <= 20 <= t.loc["d", "good_hi"] <= 28
    assert res.restrict["g"] == {"values": [8, 16, 32]}  # the old restriction stays
    d = res.restrict["d"]
    assert 12 <= d["low"] <= 20 <= d["high"] <= 28
    assert "best models at d in [" in t.loc["d", "evidence"]
    entry = yaml.safe_load("spaces:\n" + res.yaml)["spaces"][0]
    assert entry == {"label": "c-r1", "space": "regnetx_c", "samples": 12,
                     "regime": {"flops": {"low": 2e6, "high": 6e6}}, "restrict": res.restrict}
    spec = parse_campaign({"name": "x", "spaces": [{"space": "regnetx_c", "label": "c", "samples": 12}, entry]})
    derived = spec.spaces[1].design_space()
    assert derived.parameters()["d"].low == d["low"]

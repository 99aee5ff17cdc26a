"""Analysis maths against hand-computed cases, brute force and scipy."""

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from netspace.platform.analysis import (
    binned_trend,
    complexity_trend,
    e_fit,
    edf,
    edf_at,
    edf_band,
    edf_curves,
    efficiency_curve,
    expected_min_error,
    good_region,
    ks_matrix,
    ks_statistic,
    log_bins,
    normalized_weights,
    param_trends,
    quantized_linear_fit,
    quantized_widths,
    summary_table,
)
from netspace.search_spaces.regnet import REGNETX_ZOO, REGNETY_ZOO, block_widths


# ---------------------------------------------------------------------------------------------------- EDF
def test_edf_steps_strictly_below():
    e = [1.0, 2.0, 2.0, 4.0]
    grid = [0, 1, 1.5, 2, 3, 4, 5]
    assert edf_at(e, grid).tolist() == [0, 0, 0.25, 0.25, 0.75, 0.75, 1.0]
    x, f = edf(e)
    assert x.tolist() == [1, 2, 4] and f.tolist() == [0.25, 0.75, 1.0]


def test_edf_ignores_nan_and_weights():
    assert edf_at([1.0, np.nan, 3.0], [2.0]).tolist() == [0.5]
    assert edf_at([1, 2, 3], [2.5, 3.5], weights=[1, 1, 2]).tolist() == [0.5, 1.0]
    assert np.isnan(edf_at([], [1.0])).all()


# ---------------------------------------------------------------------------------------------------- KS
def test_ks_hand_computed():
    assert ks_statistic([1, 2, 3, 4], [3, 4, 5, 6]) == 0.5
    assert ks_statistic([1, 2], [1, 2]) == 0.0
    assert ks_statistic([1, 2], [3, 4]) == 1.0


def test_ks_matches_scipy():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=300), rng.normal(0.3, 1.2, size=200)
    assert ks_statistic(a, b) == pytest.approx(stats.ks_2samp(a, b).statistic, abs=1e-12)
    m = ks_matrix([a, b, a])
    assert m[0, 2] == 0 and m[0, 1] == m[1, 0] == pytest.approx(stats.ks_2samp(a, b).statistic)


def test_weighted_ks_equals_duplicated_sample():
    a, b = np.array([1.0, 2.0, 5.0]), np.array([1.5, 3.0])
    # weight 2 on the value 5 == the sample with 5 twice
    assert ks_statistic(a, b, weights_a=[1, 1, 2]) == pytest.approx(ks_statistic([1, 2, 5, 5], b))


# ---------------------------------------------------------------------------------------------------- normalized
def test_normalized_weights_hand_computed():
    c = [1, 1, 10, 100]
    g = ["A", "A", "A", "B"]
    w = normalized_weights(c, g, edges=np.array([0.5, 5, 50, 500]))
    assert w.tolist() == pytest.approx([0.25, 0.25, 0.5, 1.0])


def test_normalized_weights_equalise_bin_mass():
    rng = np.random.default_rng(1)
    ca = np.exp(rng.uniform(np.log(1e8), np.log(4e8), 500))       # space A: uniform in log flops
    cb = np.exp(rng.normal(np.log(3e8), 0.1, 500)).clip(1e8, 4e8)  # space B: concentrated
    c, g = np.concatenate([ca, cb]), np.array(["A"] * 500 + ["B"] * 500)
    edges = log_bins(c, 5)
    w = normalized_weights(c, g, edges=edges)
    for s in "AB":
        m = g == s
        assert w[m].sum() == pytest.approx(1.0)
        mass = np.bincount(np.clip(np.searchsorted(edges, c[m], "right") - 1, 0, 4), weights=w[m], minlength=5)
        occupied = mass > 0
        assert np.allclose(mass[occupied], 1.0 / occupied.sum())
    assert (normalized_weights([1.0, np.nan, -1.0]) == [1.0, 0.0, 0.0]).all()


# ---------------------------------------------------------------------------------------------------- bootstrap
def test_edf_band_seeded_and_covers():
    rng = np.random.default_rng(2)
    e = rng.normal(40, 5, 400)
    grid = np.linspace(25, 55, 50)
    lo, hi = edf_band(e, grid, n_boot=300, seed=7)
    lo2, hi2 = edf_band(e, grid, n_boot=300, seed=7)
    f = edf_at(e, grid)
    assert np.array_equal(lo, lo2) and np.array_equal(hi, hi2)
    assert np.all(lo <= f + 1e-12) and np.all(f <= hi + 1e-12)
    assert 0.02 < np.max(hi - lo) < 0.15  # ~ 2·1.96·sqrt(.25/400) = 0.098 at the median
    wl, wh = edf_band(e, grid, weights=np.ones_like(e), n_boot=300, seed=7)
    assert np.max(np.abs((wh - wl) - (hi - lo))) < 0.05


def test_good_region_finds_optimum():
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 10, 2000)
    err = (x - 6.0) ** 2 + rng.normal(0, 0.5, x.size)
    r = good_region(x, err, seed=0)
    assert r["lo"] < 6.0 < r["hi"] and abs(r["median"] - 6.0) < 0.5


# ---------------------------------------------------------------------------------------------------- trends
def test_binned_trend_categorical_and_numeric():
    t = binned_trend([1, 1, 2, 2, 4], [5, 3, 4, 6, 1])
    assert t["x"].tolist() == [1, 2, 4] and t["best"].tolist() == [3, 4, 1] and t["median"].tolist() == [4, 5, 1]
    x = np.arange(100, dtype=float)
    t = binned_trend(x, x * 2, n_bins=4, max_categories=10, log=False)
    assert t["n"].tolist() == [25, 25, 25, 25]
    assert t["best"].tolist() == [0, 50, 100, 150]
    assert t["median"].tolist() == [24, 74, 124, 174]


# ---------------------------------------------------------------------------------------------------- fit
def test_efit_zero_for_regnetx_200mf():
    ws, _ = block_widths(24, 36.44, 2.49, 13)
    f = quantized_linear_fit(ws)
    assert f.e_fit <= 1e-9 and list(f.widths) == ws
    assert quantized_widths(f.w0, f.wa, f.wm, 13).tolist() == ws


@pytest.mark.parametrize("zoo", [REGNETX_ZOO, REGNETY_ZOO])
def test_efit_zero_for_every_zoo_model(zoo):
    for d, w0, wa, wm, _g in zoo.values():
        assert e_fit(block_widths(w0, wa, wm, d)[0]) <= 1e-9


def test_efit_zero_for_sampled_regnets():
    from netspace.search_spaces import get_space, sample_configs

    for s in sample_configs(get_space("regnetx"), 300, seed=9):
        c = s.config
        ws, _ = block_widths(c.w0, c.wa, c.wm, c.depth)
        f = quantized_linear_fit(ws)
        assert f.e_fit <= 1e-9 and quantized_widths(f.w0, f.wa, f.wm, len(ws)).tolist() == ws, c


def test_efit_positive_for_perturbed_model():
    ws, _ = block_widths(24, 36.44, 2.49, 13)
    ws[3] = 160  # not monotone any more: no quantized linear function produces it
    assert e_fit(ws) > 1e-3
    # an arbitrary AnyNet (non-monotone stage widths) fits badly
    assert e_fit([256] * 3 + [64] * 2 + [512] * 4 + [128]) > 0.1



def test_w0_lower_bound_holds_for_every_candidate():
    """The fit skips starting widths whose lower bound exceeds its keep-th best error; that changes nothing only if
    the bound never exceeds the error of any candidate starting there."""
    from netspace.platform.analysis.fit import fit_error, w0_lower_bound

    rng = np.random.default_rng(4)
    for _ in range(40):
        w = rng.integers(1, 120, int(rng.integers(1, 25))).astype(float) * 8
        w0 = rng.integers(1, 150, 5000).astype(float) * 8
        wa = np.where(rng.random(5000) < 0.1, 0.0, np.exp(rng.uniform(np.log(0.1), np.log(1000), 5000)))
        wm = np.exp(rng.uniform(np.log(1.0001), np.log(4), 5000))
        err = fit_error(w, quantized_widths(w0, wa, wm, w.size))
        assert np.all(err >= w0_lower_bound(w, w0) * (1 - 1e-12))


def test_fit_reports_the_error_of_its_own_widths():
    from netspace.platform.analysis.fit import fit_error

    ws = [48, 48, 112, 104, 104, 104, 104, 208, 216, 208, 208, 208, 208, 208, 208, 208, 208, 440, 440, 440, 432, 440]
    f = quantized_linear_fit(ws)
    assert 0 < f.e_fit < 0.05 and f.widths[0] == f.w0
    assert f.e_fit == pytest.approx(float(fit_error(ws, f.widths)), abs=1e-12)
    assert list(f.widths) == quantized_widths(f.w0, f.wa, f.wm, len(ws)).ravel().tolist()

# ---------------------------------------------------------------------------------------------------- efficiency
def test_expected_min_matches_brute_force():
    e = np.array([3.0, 1.0, 4.0, 1.5, 9.0])
    for k in (1, 2, 3):
        brute = np.mean([min(c) for c in itertools.product(e, repeat=k)])
        assert expected_min_error(e, [k])[0] == pytest.approx(brute, rel=1e-12)
        brute_wo = np.mean([min(c) for c in itertools.combinations(e, k)])
        assert expected_min_error(e, [k], replace=False)[0] == pytest.approx(brute_wo, rel=1e-12)
    assert expected_min_error(e, [1])[0] == pytest.approx(e.mean())
    assert expected_min_error(e, [5], replace=False)[0] == pytest.approx(1.0)
    ks, curve = efficiency_curve(np.random.default_rng(0).normal(size=1000))
    assert ks[0] == 1 and np.all(np.diff(curve) <= 1e-12)


# ---------------------------------------------------------------------------------------------------- tables
def _population(n=100_000, seed=0):
    rng = np.random.default_rng(seed)
    half = n // 2
    flops = np.exp(rng.uniform(np.log(2e8), np.log(4e8), n))
    err = 40 - 5 * np.log10(flops / 1e8) + rng.gamma(2, 2, n) + np.r_[np.zeros(half), np.full(n - half, 1.5)]
    return pd.DataFrame({"space": ["a"] * half + ["b"] * (n - half), "error": err, "flops": flops,
                         "param_d": rng.integers(1, 30, n), "param_wm": rng.uniform(1.5, 3, n)})


def test_tables_on_population():
    df = _population(4000)
    s = summary_table(df)
    assert s["n"].tolist() == [2000, 2000] and s.loc[0, "ks_vs_first"] == 0
    a, b = df[df.space == "a"].error, df[df.space == "b"].error
    assert s.loc[1, "ks_vs_first"] == pytest.approx(stats.ks_2samp(a, b).statistic)
    assert s.loc[1, "min_error"] == pytest.approx(b.min())
    cur = edf_curves(df, bands=True, normalize="flops", points=50)
    assert set(cur["space"]) == {"a", "b"} and cur["F"].between(0, 1).all() and (cur["lo"] <= cur["hi"]).all()
    tr = param_trends(df, "a")
    assert set(tr["param"]) == {"d", "wm"}
    ct = complexity_trend(df, "flops", n_bins=5)
    assert ct.groupby("space")["n"].sum().tolist() == [2000, 2000]
    assert ct.loc[ct.space == "a", "best"].min() == pytest.approx(a.min())


def test_100k_trials_are_analysed():
    """Scale, not speed (benchmarks/bench_analysis.py prints the timing): 100k trials go through every analysis."""
    df = _population(100_000)
    curves = edf_curves(df)
    normalized = edf_curves(df, normalize="flops")
    assert set(curves["space"]) == set(df["space"]) and curves["F"].between(0, 1).all()
    assert normalized["F"].between(0, 1).all()
    assert summary_table(df)["n"].sum() == len(df)
    assert not param_trends(df, "a").empty and not param_trends(df, "b").empty
    assert len(binned_trend(df["flops"], df["error"])) > 0

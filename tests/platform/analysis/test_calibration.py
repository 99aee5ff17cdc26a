"""Decisions checked on synthetic populations whose truth is known (fixed seeds): false-decision rates of the
pairwise verdicts and of `refine_space`, their power on planted effects, and the pieces they are built from."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from netspace.platform.analysis import pairwise_comparisons, refine_space
from netspace.platform.analysis.multiplicity import holm, min_p_adjust
from netspace.platform.analysis.stratified import default_n_bins, pool_bins, weighted_median
from netspace.platform.analysis.verdicts import decide, verdict_text
from netspace.search_spaces import get_space


def _frame(errors: dict, flops: dict | None = None) -> pd.DataFrame:
    parts = []
    for s, e in errors.items():
        part = pd.DataFrame({"space": s, "error": e, "state": "COMPLETE"})
        if flops is not None:
            part["flops"] = flops[s]
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


# -- building blocks ---------------------------------------------------------------------------------------------
def test_refine_evidence_depends_on_the_order_of_the_errors_only():
    """Each round's winner is the lowest error (first of equals): any increasing transform of the errors, ties
    included, gives the same good regions and their raw p-values (the winners are found on the errors' ranks; the
    trends, and so the adjustment over regions and trends together, use the values)."""
    from netspace.platform.analysis.evidence import refine_evidence

    rng = np.random.default_rng(5)
    x = rng.random((600, 4)) * [1, 10, 100, 1000]
    e = np.round(rng.gamma(2, 2, 600), 1)  # rounded: many ties, as with a small test set
    a = refine_evidence(x, e, [False, True, False, True], n_null=99, seed=2)
    b = refine_evidence(x, np.exp(e / 3) + 7, [False, True, False, True], n_null=99, seed=2)
    for f in ("lo", "median", "hi", "width", "p_region"):
        assert np.array_equal(getattr(a, f), getattr(b, f), equal_nan=True), f


def test_holm_matches_the_step_down_definition():
    p = np.array([0.01, 0.04, 0.03, 0.005, np.nan])
    adj = holm(p)
    # sorted 0.005, 0.01, 0.03, 0.04 (m = 4): 0.02, 0.03, 0.06, 0.06 (monotone)
    assert adj[[3, 0, 2, 1]].tolist() == pytest.approx([0.02, 0.03, 0.06, 0.06])
    assert np.isnan(adj[4])


def test_min_p_adjust_controls_the_family_and_finds_a_real_signal():
    rng = np.random.default_rng(0)
    null = rng.normal(size=(999, 6))
    raw, adj = min_p_adjust(np.r_[5.0, rng.normal(size=5)], null)
    assert raw[0] == pytest.approx(1 / 1000) and adj[0] < 0.01
    assert (adj >= raw - 1e-12).all() and (adj[1:] > 0.05).all()
    hits = 0
    for _ in range(200):  # observation drawn from the null: any adjusted p < 0.05 in about 5 % of families
        obs = rng.normal(size=6)
        hits += bool((min_p_adjust(obs, null)[1] < 0.05).any())
    assert hits <= 18


def test_pool_bins_merges_until_both_spaces_occupy_every_bin():
    # bins 0..4: a in 0, 1, 4; b in 1, 2, 4 -> groups {0, 1}, {2, 3, 4}
    bins = np.array([0, 1, 4, 1, 2, 4])
    is_b = np.array([0, 0, 0, 1, 1, 1], bool)
    pooled, k, reason = pool_bins(bins, is_b, 5, min_count=1)
    assert reason == "" and k == 2 and pooled.tolist() == [0, 0, 1, 0, 1, 1]
    # by default 3 models of each space per bin: 3 + 3 in bins 0-1, then 3 + 3 in bins 2-4
    bins = np.array([0, 0, 1, 2, 3, 4, 1, 1, 1, 3, 3, 4])
    pooled, k, reason = pool_bins(bins, np.r_[np.zeros(6, bool), np.ones(6, bool)], 5)
    assert k == 2 and pooled.tolist() == [0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1]
    pooled, k, reason = pool_bins(np.array([0, 0, 4, 4]), np.array([0, 0, 1, 1], bool), 5, min_count=1)
    assert pooled is None and "barely overlap" in reason
    pooled, k, reason = pool_bins(np.array([0, -1]), np.array([0, 1], bool), 5)
    assert pooled is None and "space b has no model in the complexity range" in reason
    assert default_n_bins(8) == 2 and default_n_bins(50) == 10 and default_n_bins(5000) == 40


def test_weighted_median_and_verdict_words():
    assert weighted_median([1, 2, 3, 4], [1, 1, 1, 1]) == 2.5
    assert weighted_median([1, 2, 3, 4], [0.1, 0.1, 0.1, 0.7]) == 4
    assert decide("A", "B", 0.01, -2.0, -0.5) == ("B", True, True)
    assert decide("A", "B", 0.01, -2.0, 0.5) == ("", True, False)
    assert decide("A", "B", 0.2, 0.5, 2.0) == ("", False, True)
    text = verdict_text("A", "B", better="", differ=True, medians=False, p=0.004, p_adj=0.012, family=3, n_a=9, n_b=9)
    assert text == ("distributions differ (p = 0.004, adjusted 0.01) but the medians do not (the 95 % interval of "
                    "the median difference spans 0)")
    text = verdict_text("A", "B", better="A", differ=True, medians=True, p=0.0001, p_adj=0.02, family=3, n_a=9, n_b=9)
    assert text == "A better than B, p < 0.001, adjusted 0.02"


# -- pairwise verdicts: false decisions and the direction -----------------------------------------------------------
@pytest.mark.slow
def test_identical_spaces_rarely_name_a_winner():
    """5 identical spaces, n = 50 each: a campaign names a winner in at most 5 % (+ noise) of 100 campaigns."""
    rng = np.random.default_rng(11)
    winners = 0
    for k in range(100):
        df = _frame({s: rng.gamma(2.0, 2.0, 50) + 40 for s in "ABCDE"})
        t = pairwise_comparisons(df, n_boot=300, seed=k)
        assert len(t) == 10 and (t["p_adjusted"] >= t["p_value"] - 1e-12).all()
        winners += bool((t["better"] != "").any())
    assert winners <= 8


def _mixes(rng, n: int, shift_a: float = 0.0):
    """Error depends on complexity only (falls with flops); A holds smaller models than B."""
    fa = rng.uniform(1, 10, n) ** 1.0
    fb = 1 + 9 * rng.beta(3, 1.2, n)
    ea = 60 - 3 * fa + rng.normal(0, 1.5, n) - shift_a
    eb = 60 - 3 * fb + rng.normal(0, 1.5, n)
    return _frame({"A": ea, "B": eb}, {"A": fa, "B": fb})


@pytest.mark.slow
def test_normalized_comparison_of_equal_error_at_every_complexity_rejects_about_5_percent():
    rng = np.random.default_rng(3)
    rejections = 0
    for k in range(80):
        t = pairwise_comparisons(_mixes(rng, 60), normalize="flops", n_boot=199, seed=k)
        assert t.loc[0, "bins"] >= 2
        rejections += t.loc[0, "p_value"] < 0.05
    assert rejections <= 8  # nominal 4 of 80; the old all-models shuffle rejected about 20 %


def test_normalized_direction_follows_the_weighted_medians():
    """A is two points better at every complexity but holds smaller (worse) models: plain medians favour B, the
    normalized comparison names A."""
    df = _mixes(np.random.default_rng(5), 300, shift_a=2.0)
    plain = pairwise_comparisons(df, n_boot=500).iloc[0]
    assert plain["median_b"] < plain["median_a"]  # unweighted, B looks better
    norm = pairwise_comparisons(df, normalize="flops", n_boot=500).iloc[0]
    assert norm["median_a"] < norm["median_b"] and norm["diff_lo"] > 0
    assert norm["better"] == "A" and norm["verdict"].startswith("A better than B")


def test_spread_only_differences_are_not_called_better():
    """Equal medians, spreads 1 and 5: the KS test rejects every time, "better" needs the median interval too,
    which excludes 0 only at its own error rate (about 5 %)."""
    rng = np.random.default_rng(7)
    better = 0
    for k in range(40):
        df = _frame({"A": rng.normal(50, 1, 200), "B": rng.normal(50, 5, 200)})
        r = pairwise_comparisons(df, n_boot=500, seed=k).iloc[0]
        assert r["p_value"] < 0.001
        better += r["better"] != ""
        if r["better"] == "":
            assert r["verdict"].startswith("distributions differ (p < 0.001) but the medians do not")
    assert better <= 4


def test_a_pair_without_common_complexity_gets_no_normalized_verdict():
    rng = np.random.default_rng(1)
    df = _frame({"A": rng.normal(50, 1, 30), "B": rng.normal(45, 1, 30)},
                {"A": rng.uniform(1, 2, 30), "B": rng.uniform(8, 9, 30)})
    r = pairwise_comparisons(df, normalize="flops", n_bins=10).iloc[0]
    assert r["better"] == "" and np.isnan(r["p_value"])
    assert r["verdict"].startswith("no verdict: no normalized comparison of A and B by flops: pooling complexity bins")


# -- refine: noise gets no proposal, a planted effect does ----------------------------------------------------------
def _population(n: int, rng, effect: bool) -> pd.DataFrame:
    """regnetx_c parameter draws (no network built); error pure noise, or falling with d up to 20, then flat."""
    params = get_space("regnetx_c").parameters()
    df = pd.DataFrame({f"param_{k}": p.draw(rng, n) for k, p in params.items()})
    d = df["param_d"].to_numpy(dtype=float)
    err = 50 + rng.normal(0, 1.0, n) + (0.6 * np.clip(20 - d, 0, None) if effect else 0.0)
    df["feature_total_depth"] = d  # a derived quantity (RegNet: the total depth is d)
    return df.assign(space="c", error=err, state="COMPLETE")


@pytest.mark.slow
def test_refine_proposes_nothing_from_noise():
    rng = np.random.default_rng(21)
    proposals = 0
    for k in range(20):
        res = refine_space(_population(64, rng, effect=False), "c", base="regnetx_c", seed=k)
        proposals += bool(res.restrict)
    assert proposals <= 2  # at most about 1 in 10


@pytest.mark.slow
def test_refine_finds_a_planted_effect_on_d():
    rng = np.random.default_rng(4)
    found = 0
    for k in range(3):
        res = refine_space(_population(200, rng, effect=True), "c", base="regnetx_c", seed=k)
        d = res.restrict.get("d")
        found += bool(d and 16 <= d["low"] <= 24 and d["high"] >= 30)  # from about 20 on, the flat part kept
        if d:
            assert res.check.startswith("inside (n = ") and "inside better than outside" in res.check
    assert found == 3


def test_refine_below_the_minimum_n_says_what_it_needs():
    res = refine_space(_population(12, np.random.default_rng(0), effect=True), "c", base="regnetx_c", n_null=200)
    assert res.restrict == {} and "restrict" not in res.yaml
    assert any("has 12 finished models; refine proposes a restriction from 32 on (sample 20 more" in n
               for n in res.notes)

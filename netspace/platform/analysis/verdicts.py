"""The decision rule and the plain words of a pairwise verdict (pure functions).

A space is called *better* only when both hold:

1. the distributions differ: the family-wise adjusted p-value (Holm across all pairs of the campaign) is below
   ``alpha``;
2. the medians differ: the bootstrap ``1 − alpha`` interval of median(b) − median(a) excludes 0 (for normalized
   EDFs, of the weighted medians).

The better space is the one with the lower median (the sign of the interval). When only one condition holds the
verdict says which one failed ("distributions differ (p = 0.004, adjusted 0.012) but the medians do not"), so a
difference in spread alone is never read as one space being better.
"""

from __future__ import annotations

import math


def format_p(p: float) -> str:
    if p is None or not math.isfinite(p):
        return "p = n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def _p_value_only(p: float) -> str:
    return format_p(p)[2:].lstrip("= ")  # "0.012", "< 0.001"


def p_text(p: float, p_adj: float, family: int) -> str:
    """``p = 0.004`` for one pair; ``p = 0.004, adjusted 0.012`` when several pairs share the family."""
    if family <= 1 or p_adj is None or not math.isfinite(p_adj):
        return format_p(p)
    return f"{format_p(p)}, adjusted {_p_value_only(p_adj)}"


def decide(a: str, b: str, p_adj: float, lo: float, hi: float, alpha: float = 0.05) -> tuple[str, bool, bool]:
    """``(better, distributions_differ, medians_differ)`` under the rule of this module."""
    differ = p_adj is not None and math.isfinite(p_adj) and p_adj < alpha
    medians = lo is not None and hi is not None and math.isfinite(lo) and math.isfinite(hi) and (lo > 0 or hi < 0)
    better = (b if hi < 0 else a) if differ and medians else ""
    return better, differ, medians


def verdict_text(a: str, b: str, *, better: str, differ: bool, medians: bool, p: float, p_adj: float, family: int,
                 n_a: int, n_b: int, level: float = 0.95, reason: str = "") -> str:
    """The verdict sentence of one pair (``reason``: why the pair has no verdict at all)."""
    if reason:
        return f"no verdict: {reason}"
    ps = p_text(p, p_adj, family)
    ci = f"{round(level * 100):d} % interval of the median difference"
    if better:
        worse = a if better == b else b
        return f"{better} better than {worse}, {ps}"
    if differ:
        return f"distributions differ ({ps}) but the medians do not (the {ci} spans 0)"
    if medians:
        return (f"medians differ (the {ci} excludes 0) but the distributions do not after correction for "
                f"{family} pairs ({ps})" if family > 1 else
                f"medians differ (the {ci} excludes 0) but the distributions do not ({ps})")
    n = f"n = {n_a}" if n_a == n_b else f"n = {n_a}/{n_b}"
    return f"no detectable difference at {n} ({ps})"

"""Named complexity rules: limits on parameters and activations that follow from a FLOPs limit.

``regnetx_c`` — the limits the RegNet authors used with RegNetX_C (pycls, ``pycls/sweep/config.py``, the comment
on ``SETUP.CONSTRAINTS.CX``: "For RegNets, if flops<F (B), setting params<3+5.5F and acts<6.5*sqrt(F) (M) works
well"): with F the FLOPs upper limit in GFLOPs,

    params <= (3 + 5.5·F) · 10^6        acts <= 6.5·sqrt(F) · 10^6

A rule only ever tightens a regime: an explicit params / acts limit that is already lower stays. Usable in any
campaign regime, e.g. ``regime: {flops: {low: 2M, high: 6M}, rule: regnetx_c}``
(:class:`~netspace.platform.campaign.spec.RegimeSpec`).
"""

from __future__ import annotations

import math

from netspace.errors import RegimeError


def regnetx_c_limits(flops_high: float) -> dict[str, float]:
    """``{"params": (3 + 5.5 F)·1e6, "acts": 6.5·sqrt(F)·1e6}`` for a FLOPs upper limit of F GFLOPs."""
    f = float(flops_high) / 1e9
    return {"params": (3.0 + 5.5 * f) * 1e6, "acts": 6.5 * math.sqrt(f) * 1e6}


RULES = {"regnetx_c": regnetx_c_limits}


def apply_rule(regime, rule: str):
    """``regime`` (a :class:`~netspace.search_spaces.sampling.Regime`) with the named rule's limits added."""
    from netspace.search_spaces.sampling import Regime

    if rule not in RULES:
        raise RegimeError(f"unknown regime rule {rule!r}; expected one of {', '.join(RULES)}")
    ranges = {m: (lo, hi) for m, lo, hi in regime.ranges}
    flops_high = ranges.get("flops", (0.0, math.inf))[1]
    if not math.isfinite(flops_high):
        raise RegimeError(f"rule {rule} needs a FLOPs upper limit (e.g. flops: {{high: 6M}})")
    for metric, limit in RULES[rule](flops_high).items():
        lo, hi = ranges.get(metric, (0.0, math.inf))
        if lo > limit:
            raise RegimeError(f"rule {rule}: the {metric} low {lo:g} is above the rule's limit {limit:g}")
        ranges[metric] = (lo, min(hi, limit))
    return Regime.of(**ranges)

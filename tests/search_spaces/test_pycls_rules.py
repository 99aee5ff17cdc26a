"""`regnetx_pycls` against an independent re-implementation of pycls's RegNet sweep sampler (marginals on many
draws), and the named regime rule `regnetx_c` (RegNetX_C's FLOPs-dependent params / acts limits)."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from netspace.errors import CampaignError
from netspace.platform.campaign.spec import RegimeSpec, parse_campaign
from netspace.search_spaces import Geometry, get_space, sample_configs
from netspace.search_spaces.rules import regnetx_c_limits
from netspace.search_spaces.sampling import RandomTrial

N = 200_000


# -- pycls/sweep/random.py, re-implemented from its description (vectorised) ----------------------------------------
def _uniform(rng, low, high, q, n):  # f in [l, h + q), floor-quantized
    return np.floor(rng.uniform(low, high + q, n) / q) * q


def _log_uniform(rng, low, high, q, n):  # f in (l − q*, h], ceil-quantized, q* = min(q, l / 2)
    f = np.exp(-rng.uniform(-np.log(high), -np.log(low - min(q, low / 2)), n))
    return np.ceil(f / q) * q


def _power2_uniform(rng, low, high, q, n):
    f2 = np.floor(rng.uniform(np.log2(low), np.log2(high) + 1, n))
    return np.floor(2**f2 / q) * q


def _power2_or_log_uniform(rng, low, high, q, n):
    f = _power2_uniform(rng, low, high, low, n)
    return np.where(f >= q, _log_uniform(rng, max(low, q), high, min(high, q), n), f)


def pycls_regnet_sampler(rng, n):
    """``regnet_sampler`` with the default REGNET_SAMPLER ranges of pycls/sweep/config.py."""
    return {"d": _uniform(rng, 12, 28, 1, n), "w0": _log_uniform(rng, 8, 256, 8, n),
            "wa": _log_uniform(rng, 8.0, 256.0, 0.1, n), "wm": _log_uniform(rng, 2.0, 3.0, 0.001, n),
            "g": _power2_or_log_uniform(rng, 8, 128, 8, n), "b": 1 / _power2_uniform(rng, 1.0, 1.0, 1 / 128, n)}


def _max_cdf_gap(a, b) -> float:
    x = np.unique(np.r_[a, b])
    fa = np.searchsorted(np.sort(a), x, side="right") / a.size
    fb = np.searchsorted(np.sort(b), x, side="right") / b.size
    return float(np.abs(fa - fb).max())


def test_regnetx_pycls_marginals_match_pycls_sampler():
    ref = pycls_regnet_sampler(np.random.default_rng(0), N)
    params = get_space("regnetx_pycls").parameters()
    rng = np.random.default_rng(1)
    ours = {k: np.asarray(p.value(p.draw(rng, N)), dtype=float) for k, p in params.items()}
    for k in ("d", "w0", "wa", "wm", "g", "b"):
        assert ours[k].min() >= ref[k].min() - 1e-9 and ours[k].max() <= ref[k].max() + 1e-9, k
        assert _max_cdf_gap(np.round(ours[k], 6), np.round(ref[k], 6)) < 0.008, k  # KS 5 % critical value: 0.0043
    assert set(np.unique(ours["w0"])) == set(range(8, 257, 8))
    assert ours["wa"].min() == pytest.approx(8.0) and ours["wa"].max() == pytest.approx(256.0)
    p8 = math.log(2) / math.log(32)  # P(g = 8) = log(8 / 4) / log(128 / 4)
    assert np.mean(ref["g"] == 8) == pytest.approx(p8, abs=0.004)
    assert np.mean(ours["g"] == 8) == pytest.approx(p8, abs=0.004)


def test_regnetx_pycls_suggest_path_and_accepted_samples():
    """The Optuna-style path (what campaigns use) gives the same values as the vectorised one, and accepted
    samples stay inside pycls's ranges (no wa < 8, w0 up to 256)."""
    sp = get_space("regnetx_pycls")
    rnd = random.Random(0)
    vals = []
    for _ in range(3000):
        t = RandomTrial(rnd)
        cfg = sp.sample(t)
        assert cfg.w0 == sp.parameters()["w0"].value(np.array([t.params["w0"]]))[0]
        vals.append(cfg.group_width)
    assert abs(np.mean(np.array(vals) == 8) - 0.2) < 0.025
    for s in sample_configs(sp, 30, seed=0, geometry=Geometry(resolution=32, in_channels=1, num_classes=10)):
        c = s.config
        assert 12 <= c.depth <= 28 and 8 <= c.w0 <= 256 and c.w0 % 8 == 0 and 8.0 <= c.wa <= 256.0
        assert 2.0 <= c.wm <= 3.0 and c.bottleneck_ratio == 1 and 8 <= c.group_width <= 128


def test_regnetx_c_rule_limits_params_and_acts_from_the_flops():
    lim = regnetx_c_limits(4e9)  # F = 4 GF: params < 3 + 22 = 25 M, acts < 6.5 * 2 = 13 M
    assert lim == {"params": pytest.approx(25e6), "acts": pytest.approx(13e6)}
    r = RegimeSpec(flops={"low": "2M", "high": "6M"}, rule="regnetx_c").to_regime()
    assert r.ranges == [("flops", 2e6, 6e6), ("params", 0.0, pytest.approx(3.033e6)),
                        ("acts", 0.0, pytest.approx(6.5e6 * math.sqrt(0.006)))]
    # an explicit, lower limit stays; the single-metric form takes the rule too
    r = RegimeSpec(flops="2M:6M", params={"high": "1M"}, rule="regnetx_c").to_regime()
    assert dict((m, hi) for m, _, hi in r.ranges)["params"] == 1e6
    r = RegimeSpec(metric="flops", low="2M", high="6M", rule="regnetx_c").to_regime()
    assert [m for m, _, _ in r.ranges] == ["flops", "params", "acts"]
    spec = parse_campaign({"name": "x", "spaces": [{"space": "regnetx", "samples": 4,
                                                    "regime": {"flops": "2M:6M", "rule": "regnetx_c"}}]})
    again = parse_campaign(json_roundtrip(spec))
    assert again.spaces[0].regime.to_regime() == spec.spaces[0].regime.to_regime()
    with pytest.raises(CampaignError, match="rule regnetx_c needs a FLOPs upper limit"):
        parse_campaign({"name": "x", "spaces": [{"space": "regnetx", "samples": 4,
                                                 "regime": {"params": ":1M", "rule": "regnetx_c"}}]})
    with pytest.raises(CampaignError, match="rule"):
        parse_campaign({"name": "x", "spaces": [{"space": "regnetx", "samples": 4,
                                                 "regime": {"flops": ":1M", "rule": "nope"}}]})


def json_roundtrip(spec) -> dict:
    import json

    return json.loads(spec.model_dump_json())

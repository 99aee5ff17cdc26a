"""Derived spaces: restriction is conditioning (checked against rejection from the base), ties, presets, errors,
multi-metric regimes."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from scipy import stats

from netspace.errors import InvalidConfigError, RegimeError
from netspace.search_spaces import (
    DerivedSpace,
    Geometry,
    RandomTrial,
    Regime,
    get_space,
    iter_samples,
    sample_configs,
    space_of_study,
)
from netspace.search_spaces.restrict import restrict

GEOM = {"geometry": Geometry(resolution=32, in_channels=1, num_classes=10)}
RESTRICTION = {"b": 1, "d": {"high": 40}, "wm": {"low": 2}, "w0": {"low": 16, "high": 64}, "g": {"values": [8, 16]}}


def _inside(s) -> bool:
    c = s.config
    return (c.bottleneck_ratio == 1 and c.depth <= 40 and c.wm >= 2 and 16 <= c.w0 <= 64
            and s.params["g"] in (8, 16))


def _columns(samples):
    return {
        "d": np.array([s.config.depth for s in samples]), "w0": np.array([s.config.w0 for s in samples]),
        "wa": np.array([s.config.wa for s in samples]), "wm": np.array([s.config.wm for s in samples]),
        "g": np.array([s.params["g"] for s in samples]),
        "flops": np.array([s.complexity.flops for s in samples], dtype=float),
    }


def test_restriction_is_conditioning_of_the_base_distribution():
    """Derived draws vs base draws kept only when inside the subset (rejection from the base): every marginal and
    the complexity (a function of all parameters jointly) agree by two-sample KS / chi-square tests; with a
    regime on top, as in campaigns."""
    base = get_space("regnetx")
    derived = restrict(base, RESTRICTION)
    regime = Regime.of(flops="1M:20M")
    n = 600
    mine = sample_configs(derived, n, seed=1, regime=regime, **GEOM)
    assert all(_inside(s) for s in mine)
    kept = []
    for s in iter_samples(base, 2, regime, **GEOM):
        if _inside(s):
            kept.append(s)
            if len(kept) == n:
                break
    a, b = _columns(mine), _columns(kept)
    for key in ("d", "w0", "wa", "wm", "flops"):
        p = stats.ks_2samp(a[key], b[key]).pvalue
        assert p > 1e-3, f"{key}: derived and rejection-sampled distributions differ (KS p = {p:.2g})"
    table = np.array([[np.sum(a["g"] == g), np.sum(b["g"] == g)] for g in (8, 16)])
    assert stats.chi2_contingency(table).pvalue > 1e-3
    # the narrowed Optuna distributions are what the trials record
    dist = mine[0].specs
    assert dist["d"].high == 40 and dist["wm"].low == 2 and dist["b"].choices == (1,) and dist["g"].choices == (8, 16)


def test_narrowing_keeps_the_density_shape():
    """A log-uniform integer and a quantized log-uniform width narrowed by the derived space, against rejection
    of the base's own raw draws (the batch path's Param.draw), 200k draws each: same frequencies."""
    from netspace.search_spaces.anynet import AnyNetXSpace
    from netspace.search_spaces.restrict import _narrow

    rng = np.random.default_rng(0)
    for p, lo, hi in ((AnyNetXSpace.DEPTH, 3, 9), (AnyNetXSpace.WIDTH, 20, 200)):
        narrowed = _narrow(p, lo, hi, "x")
        base = p.value(p.draw(rng, 400_000))
        base = base[(base >= lo) & (base <= hi)][:100_000]
        mine = narrowed.value(narrowed.draw(rng, base.size))
        assert mine.min() >= lo and mine.max() <= hi
        values = np.union1d(base, mine)
        table = np.array([[np.sum(base == v), np.sum(mine == v)] for v in values])
        assert stats.chi2_contingency(table).pvalue > 1e-3, p


def test_tie_copies_the_source_draw():
    space = restrict(get_space("regnetx"), wa={"low": 8, "high": 248}, w0={"same_as": "wa"})
    assert "w0" not in space.parameters() and space.ties == {"w0": "wa"}
    samples = sample_configs(space, 300, seed=3, **GEOM)
    for s in samples:
        assert "w0" not in s.params
        assert s.config.w0 == max(8, int(round(s.params["wa"] / 8)) * 8)
        assert space.config_from_params(s.params) == s.config
    # before constraints, the source keeps its (narrowed) base law: log-uniform on [8, 248]; w0 is not drawn
    rng = random.Random(5)
    drawn = []
    for _ in range(2000):
        t = RandomTrial(rng)
        space.sample(t)
        assert set(t.params) == {"d", "wa", "wm", "b", "g"}
        drawn.append(t.params["wa"])
    loguniform = stats.loguniform(8, 248)
    assert stats.kstest(drawn, loguniform.cdf).pvalue > 1e-3
    assert "same as wa" in space.describe()["parameters"]["w0"]


def test_tie_on_choices_and_scalar_path():
    space = restrict(get_space("anynetx_a"), b2={"same_as": "b1"}, g2={"same_as": "g1"})
    assert space.has_batch_path() is space.base.has_batch_path()
    for s in sample_configs(space, 50, seed=0, **GEOM):
        assert s.config.bottleneck_ratios[0] == s.config.bottleneck_ratios[1]


@pytest.mark.parametrize("restriction, message", [
    ({"wm": {"low": 3.5}}, "restrict.wm.low: 3.5 is above the base range [1.5, 3]"),
    ({"wm": {"high": 1}}, "restrict.wm.high: 1 is below the base range [1.5, 3]"),
    ({"d": {"low": 5, "high": 2}}, "restrict.d: low 5 is above high 2"),
    ({"zz": 1}, "restrict.zz: unknown parameter of regnetx; known: d, w0, wa, wm, b, g"),
    ({"b": 3}, "restrict.b: 3 is not one of {1, 2, 4}"),
    ({"d": 70}, "restrict.d: 70 is outside the base range [1, 63]"),
    ({"w0": 20}, "restrict.w0: 20 is not a multiple of 8"),
    ({"g": {"values": [8, 64]}}, "restrict.g.values: 64 is not one of {1, 2, 4, 8, 16, 32}"),
    ({"wa": {"values": [1, 2]}}, "restrict.wa.values: values cannot restrict a continuous parameter"),
    ({"d": {"lo": 1}}, "restrict.d.lo: unknown key"),
    ({"d": {"low": 1, "values": [2]}}, "restrict.d: give exactly one of"),
    ({"w0": {"same_as": "wa"}}, "restrict.w0.same_as: wa's range [1, 256] is not inside w0's [8, 248]"),
    ({"w0": {"same_as": "w0"}}, "restrict.w0.same_as: a parameter cannot be tied to itself"),
    ({"w0": {"same_as": "d"}}, "restrict.w0.same_as: w0"),
    ({"d": [1, 2]}, "restrict.d: a list is ambiguous"),
])
def test_impossible_restrictions_name_the_key(restriction, message):
    with pytest.raises(InvalidConfigError) as exc:
        restrict(get_space("regnetx"), restriction)
    assert str(exc.value).startswith(message) and "\n" not in str(exc.value)


def test_presets_and_derived_space_everywhere():
    c = get_space("regnetx_c")
    assert isinstance(c, DerivedSpace) and c.base.name == "regnetx"
    info = c.describe()
    assert info["base"] == "regnetx" and info["restrict"] == {"b": 1, "d": {"high": 40}, "wm": {"low": 2}}
    assert info["parameters"]["d"].startswith("int [1, 40]")
    for s in sample_configs(c, 100, seed=0, **GEOM):
        assert s.config.bottleneck_ratio == 1 and s.config.depth <= 40 and s.config.wm >= 2
    p = get_space("regnetx_pycls")
    assert p.parameters()["d"].low == 12 and p.parameters()["g"].high == 128
    gs = {s.config.group_width for s in sample_configs(p, 200, seed=0, **GEOM)}
    assert all(g % 8 == 0 and 8 <= g <= 128 for g in gs) and max(gs) > 32 and {s.config.depth for s in
                                                                                sample_configs(p, 50, seed=1, **GEOM)} <= set(range(12, 29))
    # a restriction of a preset narrows further; the network and complexity are the base's
    cc = restrict(c, d={"low": 12, "high": 28})
    s = sample_configs(cc, 1, seed=0, **GEOM)[0]
    assert 12 <= s.config.depth <= 28 and cc.complexity(s.config, GEOM["geometry"]) == s.complexity
    model = cc.build(s.config, Geometry(resolution=32, in_channels=1, num_classes=10))
    assert sum(p.numel() for p in model.parameters()) == s.complexity.params
    assert restrict(c, {}) is c
    # readers rebuild a study's space from its attrs
    again = space_of_study({"space": "regnetx_c", "label": "cc", "restrict": '{"d": {"low": 12, "high": 28}}'})
    assert again.name == "cc" and again.parameters()["d"].low == 12
    assert space_of_study({"space": "regnetx"}) is get_space("regnetx")


def test_multi_metric_regime():
    regime = Regime.of(flops="2M:6M", params=(0, 3e5))
    assert regime.ranges == [("flops", 2e6, 6e6), ("params", 0.0, 3e5)]
    assert str(regime) == "flops in [2M, 6M] and params in [0, 300k]"
    samples = sample_configs(get_space("regnetx"), 40, seed=0, regime=regime, **GEOM)
    assert all(2e6 <= s.complexity.flops <= 6e6 and s.complexity.params <= 3e5 for s in samples)
    assert not regime.contains(type(samples[0].complexity)(flops=int(3e6), params=int(4e5), acts=0))
    assert regime.violations(type(samples[0].complexity)(flops=int(3e6), params=int(4e5), acts=0)) == \
        ["params 400k outside [0, 300k]"]
    # the old single-metric form is unchanged
    assert Regime.parse("2M:6M").ranges == [("flops", 2e6, 6e6)] and not Regime.parse("2M:6M").more
    with pytest.raises(RegimeError, match="given twice"):
        Regime("flops", 0, 1, more=(("flops", 0, 2),))
    with pytest.raises(RegimeError, match="unknown complexity metric"):
        Regime.of(macs="1:2")
    # impossible together (each alone is fine): one line naming both ranges
    with pytest.raises(RegimeError, match=r"flops in \[2M, 6M\] and params in \[0, 1k\]"):
        sample_configs(get_space("regnetx"), 1, seed=0, regime=Regime.of(flops="2M:6M", params=":1k"),
                       max_consecutive_rejections=20_000, **GEOM)
    assert math.isinf(Regime.of(acts="1k:").high)

"""Properties every built-in design space must have (one parametrised test each)."""

import pytest
import torch

from netspace.search_spaces import Geometry, Regime, get_space, sample_configs

from .forward_count import measure
from .screening import screen_vs_scalar

BUILTIN = ["anynetx_a", "anynetx_b", "anynetx_c", "anynetx_d", "anynetx_e", "regnetx", "regnety", "vgg", "inception", "resnext"]


@pytest.mark.parametrize("name", BUILTIN)
def test_seeds_reproduce(name):
    space = get_space(name)
    regime = Regime.parse("1M:50M")
    a = sample_configs(space, 10, seed=7, regime=regime, geometry=Geometry(resolution=32))
    b = sample_configs(space, 10, seed=7, regime=regime, geometry=Geometry(resolution=32))
    c = sample_configs(space, 10, seed=8, regime=regime, geometry=Geometry(resolution=32))
    assert [s.params for s in a] == [s.params for s in b]
    assert [s.params for s in a] != [s.params for s in c]


@pytest.mark.parametrize("name", BUILTIN)
def test_config_round_trips(name):
    space = get_space(name)
    for s in sample_configs(space, 5, seed=2):
        assert space.config_from_dict(s.config.to_dict()) == s.config
        assert space.config_from_params(s.params) == s.config


@pytest.mark.parametrize("name", BUILTIN)
@pytest.mark.parametrize("resolution,in_channels,classes", [(32, 1, 10), (224, 3, 1000)])
def test_builds_and_forwards(name, resolution, in_channels, classes):
    space = get_space(name)
    [s] = sample_configs(space, 1, seed=5, geometry=Geometry(resolution=resolution), regime=Regime.parse(":400M"))
    assert space.check(s.config) == []
    model = space.build(s.config, geometry=Geometry(in_channels=in_channels, num_classes=classes, resolution=resolution)).eval()
    with torch.no_grad():
        out = model(torch.randn(2, in_channels, resolution, resolution))
    assert out.shape == (2, classes)


@pytest.mark.parametrize("name", BUILTIN)
def test_vectorised_screen_agrees_with_scalar_checks(name):
    """The numpy screen (fast regime sampling) accepts exactly the draws that the exact scalar code accepts."""
    cases = [(Geometry(32, 3, 10), Regime.parse("5M:100M")), (Geometry(224, 3, 10), Regime.parse("20M:2G"))]
    for mask, scalar in screen_vs_scalar(get_space(name), 1500, 3, cases):
        assert mask == scalar
        assert sum(scalar) > 0


@pytest.mark.parametrize("name", BUILTIN)
@pytest.mark.parametrize("in_channels,num_classes,n", [(3, 10, 20), (1, 5, 3)])
def test_analytic_complexity_equals_counted_forward_pass(name, in_channels, num_classes, n):
    """FLOPs, params and activations of `complexity` equal a (meta-device) forward pass under FlopCounterMode."""
    space = get_space(name)
    for s in sample_configs(space, n, seed=1, geometry=Geometry(resolution=32, in_channels=in_channels, num_classes=num_classes)):
        cx = s.complexity
        assert measure(space, s.config, 32, in_channels, num_classes) == ((1, num_classes), cx.flops, cx.params, cx.acts)

import pytest
import torch.nn as nn

from netspace.search_spaces import Geometry, Regime, get_space, sample_configs
from netspace.search_spaces import complexity as cx
from netspace.search_spaces.regnet import zoo_config

from .forward_count import forward_complexity


def test_conv_counts_by_hand():
    c, h, w = cx.conv(32, 32, 16, 32, 3, stride=2, groups=4)
    assert (h, w) == (16, 16)
    assert c.params == 32 * (16 // 4) * 9
    assert c.flops == 16 * 16 * 32 * 4 * 9
    assert c.acts == 16 * 16 * 32
    c, _, _ = cx.conv(1, 1, 8, 2, 1, bias=True)
    assert (c.flops, c.params, c.acts) == (8 * 2 + 2, 8 * 2 + 2, 2)
    assert cx.linear(10, 3) == cx.Complexity(33, 33, 3)
    assert cx.out_size(7, 2) == 4


@pytest.mark.parametrize("space", ["anynetx_a", "anynetx_e", "regnetx", "regnety"])
@pytest.mark.parametrize("resolution", [32, 224])
def test_analytic_complexity_equals_forward_pass(space, resolution):
    ds = get_space(space)
    for s in sample_configs(ds, 3, seed=11, geometry=Geometry(resolution=resolution), regime=Regime.parse(":600M")):
        model = ds.build(s.config, geometry=Geometry(in_channels=3, num_classes=10, resolution=resolution))
        counted = forward_complexity(model, 3, resolution)
        analytic = ds.complexity(s.config, geometry=Geometry(resolution=resolution, in_channels=3, num_classes=10))
        assert (analytic.flops, analytic.params, analytic.acts) == counted


def test_regnety_200mf_forward_equals_published():
    ds = get_space("regnety")
    model = ds.build(zoo_config("regnety", "200MF"))
    assert forward_complexity(model, 3, 224) == (199_519_076, 3_162_996, 2_168_052)


def test_complexity_allocates_no_weights(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("complexity must not build layers")

    monkeypatch.setattr(nn.Conv2d, "__init__", boom)
    cfg = zoo_config("regnetx", "4.0GF")
    assert get_space("regnetx").complexity(cfg).flops == 3_964_499_816

"""Structural options: every variant space samples valid configs whose analytic complexity equals the counted
forward pass, and whose vectorised screen agrees with the exact scalar checks."""

from __future__ import annotations

import pytest

from netspace.search_spaces import Geometry, Regime, get_space, sample_configs
from netspace.search_spaces.anynet import AnyNetConfig, AnyNetXA, AnyNetXE
from netspace.search_spaces.inception import InceptionSpace
from netspace.search_spaces.regnet import RegNetX, RegNetY
from netspace.search_spaces.resnext import ResNeXtSpace
from netspace.search_spaces.vgg import VGGSpace

from .forward_count import measure
from .screening import screen_vs_scalar

VARIANTS = {
    "vgg classic head, no BN, biased convs": lambda: VGGSpace(head="classic", bn=False, conv_bias=True),
    "vgg classic head with BN": lambda: VGGSpace(head="classic"),
    "anynetx_a 5 stages of R blocks, ResNet stem": lambda: AnyNetXA(num_stages=5, block="R", stem="resnet"),
    "anynetx_a V blocks": lambda: AnyNetXA(block="V"),
    "regnetx 5 stages": lambda: RegNetX(num_stages=5),
    "regnetx R blocks": lambda: RegNetX(block="R"),
    "resnext ResNet stem": lambda: ResNeXtSpace(stem="resnet"),
    "inception GoogLeNet stem, 3 stages, no BN, bias, 3x3": lambda: InceptionSpace(
        num_stages=3, stem="googlenet", bn=False, conv_bias=True, kernel_5x5=3, stem_width=16),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("geometry", [Geometry(32, 3, 10), Geometry(96, 1, 5)], ids=str)
def test_analytic_complexity_equals_counted_forward_pass(variant, geometry):
    space = VARIANTS[variant]()
    g = geometry
    for s in sample_configs(space, 3, seed=4, regime=Regime.parse(":300M"), geometry=g):
        assert space.check(s.config) == []
        cx = s.complexity
        assert measure(space, s.config, g.resolution, g.in_channels, g.num_classes) == (
            (1, g.num_classes), cx.flops, cx.params, cx.acts)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_vectorised_screen_agrees_with_scalar_checks(variant):
    [(mask, scalar)] = screen_vs_scalar(VARIANTS[variant](), 400, 5, [(Geometry(32, 3, 10), Regime.parse("2M:200M"))])
    assert mask == scalar and sum(scalar) > 0


def test_options_are_fixed_in_every_sample():
    s = sample_configs(AnyNetXE(num_stages=5, block="R", stem="resnet"), 5, seed=0, geometry=Geometry(32, 3, 10))
    assert all(len(x.config.depths) == 5 and x.config.block == "R" and x.config.stem == "resnet" for x in s)
    assert not any(k.startswith(("b", "g")) for k in s[0].params)  # R blocks have no bottleneck ratio or group width
    v = sample_configs(VGGSpace(head="classic", bn=False), 2, seed=0, geometry=Geometry(32, 3, 10))
    assert all(x.config.head == "classic" and x.config.bn is False for x in v)


def test_resnet_stem_keeps_stage_one_at_stride_one():
    """A ResNet-18-like net with one R block per stage, counted by hand: 7x7/2 stem and 3x3/2 pool to 56 px, stage 1
    at stride 1 (no projection), stages 2-4 halve the map and project the shortcut."""
    config = AnyNetConfig((1, 1, 1, 1), (64, 128, 256, 512), (1,) * 4, (1,) * 4, 64, block="R", stem="resnet")
    space = AnyNetXA(block="R", stem="resnet")
    flops = 112 * 112 * 64 * 3 * 49 + 2 * 56 * 56 * 64 * 64 * 9
    for h, w_in, w in ((28, 64, 128), (14, 128, 256), (7, 256, 512)):
        flops += h * h * w * (w_in * 9 + w * 9 + w_in)
    flops += 512 * 1000 + 1000
    cx = space.complexity(config, Geometry(224, 3, 1000))
    assert cx.flops == flops
    assert measure(space, config, 224, 3, 1000) == ((1, 1000), cx.flops, cx.params, cx.acts)


@pytest.mark.parametrize("bad", [
    lambda: AnyNetXA(num_stages=6), lambda: AnyNetXA(block="Q"), lambda: RegNetY(block="R"),
    lambda: VGGSpace(head="mlp"), lambda: ResNeXtSpace(stem="deep"), lambda: InceptionSpace(kernel_5x5=7),
])
def test_unknown_options_are_refused(bad):
    with pytest.raises(ValueError):
        bad()


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_options_rebuild_the_same_space(variant):
    space = VARIANTS[variant]()
    again = type(space)(**space.options())
    assert again.options() == space.options() == space.describe()["options"]
    assert again.parameters() == space.parameters()


def test_registered_spaces_have_the_default_options():
    assert get_space("anynetx_e").options() == {"num_stages": 4, "block": "X", "stem": "simple", "activation": "relu",
                                                "bottleneck_ratios": [1, 2, 4]}
    assert get_space("regnety").options() == {"num_stages": 4, "block": "X", "activation": "relu"}
    assert get_space("vgg").options() == {"head": "gap", "bn": True, "conv_bias": False, "activation": "relu"}
    assert get_space("resnext").options() == {"stem": "simple", "activation": "relu"}
    assert get_space("inception").options()["num_stages"] == 4

"""The paper's alternate design choices as space options: inverted bottleneck (b = 1/4, 1/2) and SiLU/Swish on every
family. Complexity stays exact (analytic count == counted forward pass), the vectorised screen agrees with the
scalar checks, ``restrict`` reaches the new b values, and the built networks really use the chosen activation."""

from __future__ import annotations

import pytest
import torch.nn as nn

from netspace.search_spaces import Geometry, Regime, get_space, restrict, sample_configs
from netspace.search_spaces.anynet import AnyNetXA, AnyNetXC, AnyNetXE, adjust_compatibility, adjust_compatibility_batch
from netspace.search_spaces.inception import InceptionSpace
from netspace.search_spaces.regnet import RegNetX, RegNetY
from netspace.search_spaces.resnext import ResNeXtSpace
from netspace.search_spaces.vgg import VGGSpace

from .forward_count import measure
from .screening import screen_vs_scalar

IB = (0.25, 0.5, 1, 2, 4)
VARIANTS = {
    "regnetx b=1/4": lambda: restrict(RegNetX(bottleneck_ratios=IB), b=0.25),
    "regnetx b=1/2 g=1 (depthwise)": lambda: restrict(RegNetX(bottleneck_ratios=IB), b=0.5, g=1),
    "regnety b=1/4 silu": lambda: restrict(RegNetY(bottleneck_ratios=IB, activation="silu"), b=0.25),
    "anynetx_a per-stage b incl. 1/4": lambda: AnyNetXA(bottleneck_ratios=IB),
    "anynetx_c shared b = 1/4 or 1/2": lambda: AnyNetXC(bottleneck_ratios=(0.25, 0.5)),
    "anynetx_a R blocks silu resnet stem": lambda: AnyNetXA(block="R", stem="resnet", activation="silu"),
    "regnetx_silu (registered)": lambda: get_space("regnetx_silu"),
    "vgg classic head silu": lambda: VGGSpace(head="classic", activation="swish"),
    "inception silu": lambda: InceptionSpace(activation="silu"),
    "resnext silu": lambda: ResNeXtSpace(activation="silu"),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("geometry", [Geometry(32, 3, 10), Geometry(64, 1, 5)], ids=str)
def test_analytic_complexity_equals_counted_forward_pass(variant, geometry):
    space, g = VARIANTS[variant](), geometry
    samples = sample_configs(space, 2, seed=3, regime=Regime.parse(":300M"), geometry=g)
    for s in samples:
        assert space.check(s.config) == []
        cx = s.complexity
        assert measure(space, s.config, g.resolution, g.in_channels, g.num_classes) == (
            (1, g.num_classes), cx.flops, cx.params, cx.acts)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_vectorised_screen_agrees_with_scalar_checks(variant):
    [(mask, scalar)] = screen_vs_scalar(VARIANTS[variant](), 300, 7, [(Geometry(32, 3, 10), Regime.parse("1M:3G"))])
    assert mask == scalar and sum(scalar) > 0


def test_inverted_bottleneck_block_is_wider_than_the_block():
    """b = 1/4: the 3x3 conv of every X block is 4x the block's width (w_b = w / b), counted by hand on one block."""
    space = restrict(RegNetX(bottleneck_ratios=IB), b=0.25, g=1)
    [s] = sample_configs(space, 1, seed=0, regime=Regime.parse(":20M"), geometry=Geometry(32, 3, 10))
    anynet = s.config.to_anynet()
    assert set(anynet.bottleneck_ratios) == {0.25}
    model = space.build(s.config, Geometry(32, 3, 10))
    block = model.stages[0][0]
    convs = [m for m in block.f.modules() if isinstance(m, nn.Conv2d)]
    w = anynet.widths[0]
    assert [(c.in_channels, c.out_channels, c.groups) for c in convs] == [(32, 4 * w, 1), (4 * w, 4 * w, 4 * w), (4 * w, w, 1)]


def test_restrict_reaches_the_new_ratios_and_refuses_others():
    space = get_space("regnetx_ib")
    assert {s.config.bottleneck_ratio for s in sample_configs(restrict(space, b={"values": [0.25, 0.5]}), 30, seed=1,
                                                                geometry=Geometry(32, 3, 10))} == {0.25, 0.5}
    with pytest.raises(Exception, match="not one of"):
        restrict(get_space("regnetx"), b=0.25)  # the plain space does not draw b < 1
    s = restrict(get_space("anynetx_a_ib"), b1=0.25, b2=0.5)
    [x] = sample_configs(s, 1, seed=2, geometry=Geometry(32, 3, 10))
    assert x.config.bottleneck_ratios[:2] == (0.25, 0.5)


def test_adjusted_widths_stay_whole_for_inverted_bottlenecks():
    import numpy as np

    widths, ratios, groups = [8, 24, 40, 104, 200], [0.25, 0.5, 0.25, 0.5, 2], [3, 32, 24, 16, 8]
    ws, gs = adjust_compatibility(widths, ratios, groups)
    for w, b, g in zip(ws, ratios, gs):
        assert w == round(w / b) * b and round(w / b) % g == 0  # whole block width; g divides w_b
    bw, bg = adjust_compatibility_batch(np.array(widths), np.array(ratios), np.array(groups))
    assert tuple(bw.tolist()) == ws and tuple(bg.tolist()) == gs


@pytest.mark.parametrize("make, act", [
    (lambda a: RegNetY(activation=a), None), (lambda a: AnyNetXA(block="V", activation=a), None),
    (lambda a: VGGSpace(head="classic", activation=a), None), (lambda a: InceptionSpace(activation=a), None),
    (lambda a: ResNeXtSpace(activation=a), None),
])
def test_every_family_uses_the_chosen_activation_everywhere(make, act):
    for name, want, other in (("relu", nn.ReLU, nn.SiLU), ("silu", nn.SiLU, nn.ReLU)):
        space = make(name)
        [s] = sample_configs(space, 1, seed=5, regime=Regime.parse(":50M"), geometry=Geometry(32, 3, 10))
        model = space.build(s.config, Geometry(32, 3, 10))
        kinds = {type(m) for m in model.modules()}
        assert want in kinds and other not in kinds
        assert s.config.to_dict()["activation"] == name


@pytest.mark.parametrize("bad", [
    lambda: RegNetX(bottleneck_ratios=(0.3,)), lambda: AnyNetXA(bottleneck_ratios=()), lambda: RegNetX(activation="tanh"),
    lambda: VGGSpace(activation="gelu"), lambda: InceptionSpace(activation="elu"), lambda: ResNeXtSpace(activation="x"),
])
def test_unknown_options_are_refused(bad):
    with pytest.raises(ValueError):
        bad()


@pytest.mark.parametrize("make", [lambda: RegNetX(bottleneck_ratios=IB, activation="silu"),
                                  lambda: AnyNetXE(bottleneck_ratios=(0.25, 1)), lambda: get_space("regnety_ib")])
def test_options_rebuild_the_same_space(make):
    space = make()
    again = type(space)(**space.options())
    assert again.options() == space.options() == space.describe()["options"]
    assert again.parameters() == space.parameters()


def test_a_config_of_another_activation_is_not_a_member():
    [s] = sample_configs(get_space("regnetx_silu"), 1, seed=0, geometry=Geometry(32, 3, 10))
    assert get_space("regnetx").check(s.config) and not get_space("regnetx_silu").check(s.config)

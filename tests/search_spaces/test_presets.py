"""Presets: every seed network is a member of its space and reproduces its reference exactly."""

from __future__ import annotations

import hashlib
import json

import pytest
import torch
import torchvision
from torch.utils.flop_counter import FlopCounterMode

from netspace.errors import NetspaceError, UnknownSpaceError
from netspace.search_spaces import Geometry, Regime, get_space, presets, sample_configs
from netspace.search_spaces.presets import (
    Preset,
    Reference,
    get_preset,
    list_presets,
    register_preset,
)

from . import d2l_reference as d2l
from .forward_count import measure

TORCHVISION = ["vgg11", "vgg11_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn", "googlenet", "resnext50_32x4d", "resnet50"]
ZOO = [n for n in list_presets() if n.startswith("regnet")]


def counted(model: torch.nn.Module, geometry: Geometry) -> tuple[int, int]:
    """(parameters, multiply-adds under FlopCounterMode) of one meta-device forward pass."""
    x = torch.empty(1, geometry.in_channels, geometry.resolution, geometry.resolution, device="meta")
    with FlopCounterMode(display=False) as fcm:
        model.eval()(x)
    return sum(p.numel() for p in model.parameters()), fcm.get_total_flops() // 2


def test_the_seed_networks_are_registered():
    names = set(list_presets())
    assert set(TORCHVISION) <= names
    assert {"d2l_vgg11", "d2l_googlenet", "d2l_regnetx32"} <= names
    assert len(ZOO) == 24 and {"regnetx_200mf", "regnetx_1_6gf", "regnetx_32gf", "regnety_16gf"} <= set(ZOO)


@pytest.mark.parametrize("name", list_presets())
def test_every_preset_is_a_member_of_its_space(name):
    preset = get_preset(name)
    space = preset.design_space()
    config = space.config_from_dict(preset.config)
    assert space.check(config) == []
    assert space.config_from_dict(json.loads(json.dumps(config.to_dict()))) == config
    assert type(space) is type(get_space(preset.space))


@pytest.mark.parametrize("name", TORCHVISION)
def test_torchvision_presets_have_exactly_torchvision_params_and_multiply_adds(name):
    preset = get_preset(name)
    ref = preset.reference
    with torch.device("meta"):
        theirs = getattr(torchvision.models, ref.torchvision)(weights=None, **ref.torchvision_kwargs)
        ours = preset.build()
    assert counted(theirs, preset.geometry) == counted(ours, preset.geometry) == (ref.params, ref.macs)
    cx = preset.complexity()  # analytic: the same multiply-adds plus one add per biased output element
    g = preset.geometry
    assert measure(preset.design_space(), preset.build_config(), g.resolution, g.in_channels, g.num_classes) == (
        (1, g.num_classes), cx.flops, cx.params, cx.acts)


D2L = {
    "d2l_vgg11": lambda: d2l.d2l_vgg(((1, 16), (1, 32), (2, 64), (2, 128), (2, 128)), 1, 10, 224),
    "d2l_googlenet": lambda: d2l.d2l_googlenet(1, 10),
    "d2l_regnetx32": lambda: d2l.d2l_regnetx32(1, 10),
}


@pytest.mark.parametrize("name", sorted(D2L))
def test_d2l_presets_equal_the_books_networks(name):
    preset = get_preset(name)
    with torch.device("meta"):
        theirs, ours = D2L[name](), preset.build()
    assert counted(theirs, preset.geometry) == counted(ours, preset.geometry) == (preset.reference.params,
                                                                                   preset.reference.macs)
    g = preset.geometry
    cx = preset.complexity()
    assert measure(preset.design_space(), preset.build_config(), g.resolution, g.in_channels, g.num_classes) == (
        (1, 10), cx.flops, cx.params, cx.acts)


@pytest.mark.parametrize("name", ZOO)
def test_zoo_presets_reproduce_the_published_complexity(name):
    preset = get_preset(name)
    ref = preset.reference
    cx = preset.complexity()
    assert (cx.flops, cx.params, cx.acts) == (ref.flops, ref.params, ref.acts)


SAME_AS_TORCHVISION = {n: get_preset(n).reference.same_as_torchvision for n in ZOO
                       if get_preset(n).reference.same_as_torchvision}
SMALL = {"regnetx_800mf", "regnety_400mf", "regnety_1_6gf"}  # the others are slow tests: CPU-built weights


def torchvision_regnet(builder: str) -> torch.nn.Module:
    """torchvision computes RegNet widths with tensor ops that cannot run on the meta device: build, then move."""
    return getattr(torchvision.models, builder)(weights=None).to("meta")


@pytest.mark.parametrize("name", sorted(SMALL))
def test_zoo_presets_equal_to_torchvision_regnets(name):
    preset = get_preset(name)
    with torch.device("meta"):
        ours = preset.build()
    assert counted(ours, preset.geometry) == counted(torchvision_regnet(SAME_AS_TORCHVISION[name]), preset.geometry)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(set(SAME_AS_TORCHVISION) - SMALL))
def test_large_zoo_presets_equal_to_torchvision_regnets(name):
    test_zoo_presets_equal_to_torchvision_regnets(name)


@pytest.mark.parametrize("name", ["regnetx_400mf", "regnety_800mf"])
def test_torchvision_regnets_that_round_widths_otherwise(name):
    """torchvision rounds a group-compatible width half up (400MF's last stage: 392 → 400, the authors 384)."""
    from netspace.search_spaces.seeds import TORCHVISION_REGNETS_DIFFERENT

    preset = get_preset(name)
    with torch.device("meta"):
        ours = counted(preset.build(), preset.geometry)
    theirs = counted(torchvision_regnet(TORCHVISION_REGNETS_DIFFERENT[name]), preset.geometry)
    assert ours[0] == preset.reference.params and theirs[0] > ours[0] and theirs[1] > ours[1]


def test_published_figures_of_some_presets():
    assert get_preset("resnet50").complexity().params == 25_557_032
    assert get_preset("regnetx_32gf").complexity().flops == 31_735_930_792
    assert get_preset("googlenet").complexity().as_dict() == {"flops": 1_498_377_192, "params": 6_624_904, "acts": 3_227_160}
    assert get_preset("vgg16").complexity(Geometry(224, 3, 10)).params == 138_357_544 - 990 * 4097


def test_complexity_at_another_geometry_matches_the_built_network():
    preset = get_preset("resnext50_32x4d")
    g = Geometry(64, 1, 10)
    cx = preset.complexity(g)
    assert measure(preset.design_space(), preset.build_config(), 64, 1, 10) == ((1, 10), cx.flops, cx.params, cx.acts)


def test_register_and_look_up():
    preset = Preset("test_tiny_vgg", "vgg", {"depths": (1,) * 5, "widths": (16,) * 5}, Reference("a test"))
    register_preset(preset)
    try:
        assert get_preset("test_tiny_vgg") is preset and "test_tiny_vgg" in list_presets()
        with pytest.raises(NetspaceError, match="already registered"):
            register_preset(preset)
        register_preset(preset, replace=True)
        assert get_preset("test_tiny_vgg").complexity(Geometry(32, 3, 10)).params == 9 * 16 * (3 + 16 * 4) + 32 * 5 + 170
    finally:
        presets._PRESETS.pop("test_tiny_vgg")
    with pytest.raises(UnknownSpaceError, match="did you mean .*resnet50"):
        get_preset("resnet5")
    with pytest.raises(UnknownSpaceError) as info:
        get_preset("nothing_like_it")
    assert "\n" not in str(info.value)


# sha256 (first 16 hex digits) of the params and complexity of 20 samples (seed 0, 5M:300M FLOPs at 3x32x32, 10 classes)
# drawn by the spaces before the structural options were added: the options leave every default distribution alone.
SAMPLES_BEFORE_OPTIONS = {
    "anynetx_a": "1241251c573a294d", "anynetx_b": "1ce06366fb72a407", "anynetx_c": "893c410b225ff981",
    "anynetx_d": "a0dfeedc18f71b4b", "anynetx_e": "91641c436fa3c0bf", "regnetx": "466df2542ce4f62f",
    "regnety": "3e5d009b9e486785", "vgg": "b0b35232a62245f2", "inception": "5cec1cdee04f54f7",
    "resnext": "dcdef0fa0e493651",
}


@pytest.mark.parametrize("name", sorted(SAMPLES_BEFORE_OPTIONS))
def test_default_sampling_is_unchanged(name):
    samples = sample_configs(get_space(name), 20, seed=0, regime=Regime.parse("5M:300M"), geometry=Geometry(32, 3, 10))
    blob = json.dumps([[s.params, s.complexity.as_dict()] for s in samples], sort_keys=True, default=float)
    assert hashlib.sha256(blob.encode()).hexdigest()[:16] == SAMPLES_BEFORE_OPTIONS[name]

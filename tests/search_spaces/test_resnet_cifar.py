"""The CIFAR ResNets of He et al. (2016): the paper's parameter counts, FLOPs as counted by a forward pass."""

import pytest
import torch

from netspace.search_spaces import Geometry, get_preset, get_space, sample_configs
from netspace.search_spaces.resnet_cifar import PAPER_TABLE_6, ResNetCifarSpace, resnet_cifar_config

from .forward_count import measure
from .test_presets import counted

CIFAR10 = Geometry(32, 3, 10)


@pytest.mark.parametrize("n", sorted(PAPER_TABLE_6))
def test_presets_have_the_papers_parameter_counts(n):
    millions, params, macs = PAPER_TABLE_6[n]
    preset = get_preset(f"resnet{6 * n + 2}")
    cx = preset.complexity()
    assert preset.geometry == CIFAR10 and preset.build_config().layers == 6 * n + 2
    decimals = len(str(millions).split(".")[1])
    assert round(cx.params / 1e6, decimals) == millions  # Table 6 as printed: 0.27M, 0.46M, 0.66M, 0.85M, 1.7M
    assert cx.params == preset.reference.params == params
    with torch.device("meta"):
        model = preset.build()
    assert counted(model, CIFAR10) == (params, macs)  # FlopCounterMode: multiply-adds without the classifier's bias adds
    assert measure(preset.design_space(), preset.build_config(), 32, 3, 10) == ((1, 10), cx.flops, cx.params, cx.acts)
    assert cx.flops == macs + 10


def test_resnet20_and_resnet56_are_the_papers():
    assert get_preset("resnet20").config["depths"] == [3, 3, 3]
    assert get_preset("resnet56").config["widths"] == [16, 32, 64]
    assert round(get_preset("resnet20").complexity().params / 1e6, 2) == 0.27
    assert round(get_preset("resnet56").complexity().params / 1e6, 2) == 0.85


def test_stage_resolutions_are_32_16_8():
    model = get_preset("resnet20").build().eval()
    x = model.stem(torch.randn(1, 3, 32, 32))
    sizes = []
    for stage in model.stages:
        x = stage(x)
        sizes.append((x.shape[1], x.shape[2]))
    assert sizes == [(16, 32), (32, 16), (64, 8)]


def test_projection_shortcuts_add_the_two_1x1_convs():
    a = ResNetCifarSpace("A").complexity(resnet_cifar_config(9, "A"), CIFAR10)
    b = ResNetCifarSpace("B").complexity(resnet_cifar_config(9, "B"), CIFAR10)
    assert b.params - a.params == (16 * 32 + 64) + (32 * 64 + 128)  # pycls's projections: 0.86M for ResNet-56
    assert measure(ResNetCifarSpace("B"), resnet_cifar_config(9, "B"), 32, 3, 10)[1:] == (b.flops, b.params, b.acts)


@pytest.mark.parametrize("in_channels,num_classes", [(3, 10), (1, 5)])
def test_sampled_members_count_like_a_forward_pass(in_channels, num_classes):
    space = get_space("resnet_cifar")
    g = Geometry(32, in_channels, num_classes)
    for s in sample_configs(space, 6, seed=3, geometry=g):
        assert space.check(s.config) == []
        assert space.config_from_params(s.params) == s.config
        assert space.config_from_dict(s.config.to_dict()) == s.config
        assert measure(space, s.config, 32, in_channels, num_classes) == (
            (1, num_classes), s.complexity.flops, s.complexity.params, s.complexity.acts)


def test_preset_space_trains_a_forward_and_backward_pass():
    space = get_space("preset:resnet20")
    model = space.build(space.config_from_params({}), Geometry(32, 1, 10))
    loss = model(torch.randn(2, 1, 32, 32)).sum()
    loss.backward()
    assert space.parameters() == {}


def test_bad_options_are_one_line():
    with pytest.raises(ValueError, match="shortcut 'C'"):
        ResNetCifarSpace("C")
    problems = get_space("resnet_cifar").check(resnet_cifar_config(3, "B"))
    assert problems and "shortcut" in problems[0]

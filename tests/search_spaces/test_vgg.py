"""VGG design space: sampling, validity, building and exact analytic complexity."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn
from torch.utils.flop_counter import FlopCounterMode

from netspace.errors import InvalidConfigError
from netspace.search_spaces import Regime, get_space, sample_configs
from netspace.search_spaces.vgg import VGGConfig, pools


def measure(model: nn.Module, resolution: int, in_channels: int) -> tuple[int, int, int]:
    """(flops, params, acts) of one image through ``model``: FlopCounterMode's 2·MAC count halved plus one add
    per output element of every biased conv/linear; output elements of every conv/linear; counted params."""
    outs: list[tuple[int, bool]] = []
    hooks = [
        m.register_forward_hook(lambda mod, i, o: outs.append((o.numel(), mod.bias is not None)))
        for m in model.modules()
        if isinstance(m, (nn.Conv2d, nn.Linear))
    ]
    model.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as fcm:
        model(torch.randn(1, in_channels, resolution, resolution))
    for h in hooks:
        h.remove()
    total = fcm.get_total_flops()
    assert total % 2 == 0
    flops = total // 2 + sum(n for n, biased in outs if biased)
    return flops, sum(p.numel() for p in model.parameters()), sum(n for n, _ in outs)


SPACE = get_space("vgg")
SMALL = Regime("flops", 0, 60e6)


def test_registered_and_declared():
    assert SPACE.name == "vgg"
    assert set(SPACE.parameters()) == {f"{k}{i}" for k in "dw" for i in range(1, 6)}
    assert SPACE.size() == (4 * 127) ** 5


def test_twenty_seeded_samples_validate():
    samples = sample_configs(SPACE, 20, seed=0, resolution=32)
    assert len(samples) == 20
    for s in samples:
        assert SPACE.check(s.config) == []
        assert len(s.config.depths) == 5 and all(1 <= d <= 4 for d in s.config.depths)
        assert all(w % 8 == 0 and 16 <= w <= 1024 for w in s.config.widths)


@pytest.mark.parametrize("in_channels,num_classes", [(3, 10), (1, 7)])
def test_build_forward_and_complexity_at_32(in_channels, num_classes):
    for s in sample_configs(SPACE, 10, seed=1, regime=SMALL, resolution=32, in_channels=in_channels, num_classes=num_classes):
        model = SPACE.build(s.config, in_channels=in_channels, num_classes=num_classes, resolution=32)
        assert model(torch.randn(2, in_channels, 32, 32)).shape == (2, num_classes)
        cx = SPACE.complexity(s.config, resolution=32, in_channels=in_channels, num_classes=num_classes)
        assert cx == s.complexity
        assert measure(model, 32, in_channels) == (cx.flops, cx.params, cx.acts)


def test_build_forward_and_complexity_at_224():
    config = VGGConfig((1, 1, 2, 2, 1), (16, 32, 48, 64, 96))
    model = SPACE.build(config, in_channels=3, num_classes=1000, resolution=224)
    assert model(torch.randn(1, 3, 224, 224)).shape == (1, 1000)
    cx = SPACE.complexity(config, resolution=224)
    # hand count: conv FLOPs are h²·c_in·c_out·9 at h = 224, 112, 56, 28, 14; FC 96·1000 + 1000 bias adds
    convs = [(224, 3, 16), (112, 16, 32), (56, 32, 48), (56, 48, 48), (28, 48, 64), (28, 64, 64), (14, 64, 96)]
    assert cx.flops == sum(h * h * a * b * 9 for h, a, b in convs) + 96 * 1000 + 1000
    assert cx.params == sum(a * b * 9 + 2 * b for _, a, b in convs) + 96 * 1000 + 1000
    assert measure(model, 224, 3) == (cx.flops, cx.params, cx.acts)


def test_small_resolutions_skip_pools():
    assert pools(32) == [True] * 5
    assert pools(8) == [True, True, True, False, False]
    config = VGGConfig((1, 1, 1, 1, 1), (16, 16, 16, 16, 16))
    model = SPACE.build(config, in_channels=1, num_classes=3, resolution=8)
    assert model(torch.randn(2, 1, 8, 8)).shape == (2, 3)
    cx = SPACE.complexity(config, resolution=8, in_channels=1, num_classes=3)
    assert measure(model, 8, 1) == (cx.flops, cx.params, cx.acts)


def test_seeds_reproduce():
    a = [s.params for s in sample_configs(SPACE, 5, seed=3)]
    b = [s.params for s in sample_configs(SPACE, 5, seed=3)]
    assert a == b
    assert a != [s.params for s in sample_configs(SPACE, 5, seed=4)]


def test_check_rejects_invalid():
    bad = VGGConfig((1, 5, 1, 1, 1), (16, 20, 32, 32, 2048))
    problems = SPACE.check(bad)
    assert any("depths" in p for p in problems) and any("widths" in p for p in problems)
    assert SPACE.check(VGGConfig((1, 1), (16, 16))) == ["depths and widths must have 5 entries (got 2, 2)"]
    with pytest.raises(InvalidConfigError, match="vgg: invalid config"):
        SPACE.validate(bad)


def test_round_trips():
    for s in sample_configs(SPACE, 5, seed=2):
        assert SPACE.config_from_dict(s.config.to_dict()) == s.config
        assert SPACE.config_from_params(s.params) == s.config

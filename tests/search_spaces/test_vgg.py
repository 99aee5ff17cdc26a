"""VGG design space: sampling, validity, building and exact analytic complexity."""

from __future__ import annotations

import pytest
import torch

from netspace.errors import InvalidConfigError
from netspace.search_spaces import Geometry, Regime, get_space, sample_configs
from netspace.search_spaces.vgg import VGGConfig, pools

from .forward_count import measure

SPACE = get_space("vgg")
SMALL = Regime("flops", 0, 20e6)
N_SCREEN = 2000


def test_registered_and_declared():
    assert SPACE.name == "vgg"
    assert set(SPACE.parameters()) == {f"{k}{i}" for k in "dw" for i in range(1, 6)}
    assert SPACE.size() == (4 * 127) ** 5


@pytest.mark.parametrize("in_channels,num_classes", [(3, 10), (1, 7)])
def test_twenty_seeded_samples_respect_ranges(in_channels, num_classes):
    samples = sample_configs(SPACE, 20, seed=0, geometry=Geometry(resolution=32, in_channels=in_channels, num_classes=num_classes))
    for s in samples:
        assert SPACE.check(s.config) == []
        assert len(s.config.depths) == 5 and all(1 <= d <= 4 for d in s.config.depths)
        assert all(w % 8 == 0 and 16 <= w <= 1024 for w in s.config.widths)


def test_real_forward_at_32():
    for s in sample_configs(SPACE, 3, seed=1, regime=SMALL, geometry=Geometry(resolution=32, num_classes=10)):
        model = SPACE.build(s.config, geometry=Geometry(in_channels=3, num_classes=10, resolution=32))
        assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)
        assert sum(p.numel() for p in model.parameters()) == s.complexity.params


def test_build_forward_and_complexity_at_224():
    config = VGGConfig((1, 1, 2, 2, 1), (16, 32, 48, 64, 96))
    model = SPACE.build(config, geometry=Geometry(in_channels=3, num_classes=1000, resolution=224))
    with torch.no_grad():
        assert model(torch.randn(1, 3, 224, 224)).shape == (1, 1000)
    cx = SPACE.complexity(config, geometry=Geometry(resolution=224))
    # hand count: conv FLOPs are h²·c_in·c_out·9 at h = 224, 112, 56, 28, 14; FC 96·1000 + 1000 bias adds
    convs = [(224, 3, 16), (112, 16, 32), (56, 32, 48), (56, 48, 48), (28, 48, 64), (28, 64, 64), (14, 64, 96)]
    assert cx.flops == sum(h * h * a * b * 9 for h, a, b in convs) + 96 * 1000 + 1000
    assert cx.params == sum(a * b * 9 + 2 * b for _, a, b in convs) + 96 * 1000 + 1000
    assert cx.acts == sum(h * h * b for h, _, b in convs) + 1000
    assert measure(SPACE, config, 224, 3, 1000) == ((1, 1000), cx.flops, cx.params, cx.acts)


def test_small_resolutions_skip_pools():
    assert pools(32) == [True] * 5
    assert pools(8) == [True, True, True, False, False]
    config = VGGConfig((1, 1, 1, 1, 1), (16, 16, 16, 16, 16))
    model = SPACE.build(config, geometry=Geometry(in_channels=1, num_classes=3, resolution=8))
    assert model(torch.randn(2, 1, 8, 8)).shape == (2, 3)
    cx = SPACE.complexity(config, geometry=Geometry(resolution=8, in_channels=1, num_classes=3))
    assert measure(SPACE, config, 8, 1, 3) == ((1, 3), cx.flops, cx.params, cx.acts)




def test_check_rejects_invalid():
    bad = VGGConfig((1, 5, 1, 1, 1), (16, 20, 32, 32, 2048))
    problems = SPACE.check(bad)
    assert any("depths" in p for p in problems) and any("widths" in p for p in problems)
    assert SPACE.check(VGGConfig((1, 1), (16, 16))) == ["depths and widths must have 5 entries (got 2, 2)"]
    with pytest.raises(InvalidConfigError, match="vgg: invalid config"):
        SPACE.validate(bad)




"""ResNeXt design space: sampling, validity, building and exact analytic complexity."""

from __future__ import annotations

import pytest
import torch
import torchvision

from netspace.errors import InvalidConfigError
from netspace.search_spaces import Geometry, Regime, get_space, sample_configs
from netspace.search_spaces.resnext import ResNeXtConfig, stage_group_widths

from .forward_count import measure

SPACE = get_space("resnext")
SMALL = Regime("flops", 0, 20e6)
N_SCREEN = 2000
RESNEXT50 = ResNeXtConfig((3, 4, 6, 3), cardinality=32, group_width=4, width_multiplier=2.0, bottleneck_ratio=2)


def test_declared_and_derived_widths():
    assert set(SPACE.parameters()) == {"d1", "d2", "d3", "d4", "c", "g", "m", "b"}
    assert SPACE.size() == 16**4 * 7 * 5 * 3 * 3
    assert stage_group_widths(4, 2.0) == (4, 8, 16, 32)
    assert stage_group_widths(4, 1.5) == (4, 6, 9, 14)  # 13.5 rounds half to even
    assert RESNEXT50.bottleneck_widths == (128, 256, 512, 1024)
    assert RESNEXT50.widths == (256, 512, 1024, 2048)
    assert SPACE.check(RESNEXT50) == []


def test_resnext50_params_match_torchvision():
    """Same bottleneck stack as torchvision's resnext50_32x4d: only the stem differs (7×7 vs 3×3 conv of 64)."""
    with torch.device("meta"):
        tv = sum(p.numel() for p in torchvision.models.resnext50_32x4d().parameters())
    assert tv == 25_028_904
    ours = SPACE.complexity(ResNeXtConfig((3, 4, 6, 3), 32, 4, 2.0, 2, stem_width=64), geometry=Geometry(resolution=224))
    assert ours.params == tv - 7 * 7 * 3 * 64 + 3 * 3 * 3 * 64


def test_twenty_seeded_samples_respect_width_bounds():
    for s in sample_configs(SPACE, 20, seed=0, geometry=Geometry(resolution=32, num_classes=10)):
        assert SPACE.check(s.config) == []
        assert max(s.config.bottleneck_widths) <= 1024 and max(s.config.widths) <= 2048


def test_real_forward_at_32():
    shallowest = sorted(sample_configs(SPACE, 20, seed=1, regime=SMALL, geometry=Geometry(resolution=32, num_classes=10)), key=lambda s: sum(s.config.depths))
    for s in shallowest[:2]:  # real compute costs per layer on CPU: keep it to the two shallowest
        model = SPACE.build(s.config, geometry=Geometry(in_channels=3, num_classes=10, resolution=32))
        with torch.no_grad():  # train-mode BN, no autograd graph
            assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)
        assert sum(p.numel() for p in model.parameters()) == s.complexity.params


def test_build_forward_and_complexity_at_224():
    config = ResNeXtConfig((1, 1, 1, 1), cardinality=4, group_width=4, width_multiplier=2.0, bottleneck_ratio=2)
    model = SPACE.build(config, geometry=Geometry(resolution=224))
    with torch.no_grad():
        assert model(torch.randn(1, 3, 224, 224)).shape == (1, 1000)
    assert measure(SPACE, config, 224, 3, 1000) == ((1, 1000), *SPACE.complexity(config, geometry=Geometry(resolution=224)).as_dict().values())
    cx = SPACE.complexity(RESNEXT50, geometry=Geometry(resolution=224))
    assert measure(SPACE, RESNEXT50, 224, 3, 1000) == ((1, 1000), cx.flops, cx.params, cx.acts)
    assert 4.0e9 < cx.flops < 4.3e9  # ResNeXt-50 (32×4d): 4.2 GMACs with its 7×7 stem




def test_check_rejects_invalid():
    too_wide = ResNeXtConfig((1, 1, 1, 1), cardinality=64, group_width=64, width_multiplier=2.0, bottleneck_ratio=1)
    assert SPACE.check(too_wide) == ["bottleneck widths [4096, 8192, 16384, 32768] exceed 1024", "stage widths [4096, 8192, 16384, 32768] exceed 2048"]
    off_grid = ResNeXtConfig((0, 1, 1, 17), cardinality=3, group_width=4)
    problems = SPACE.check(off_grid)
    assert "depths [0, 1, 1, 17] outside [1, 16]" in problems
    assert "cardinality 3 not in (1, 2, 4, 8, 16, 32, 64)" in problems
    assert SPACE.check(ResNeXtConfig((1, 1), 4, 4)) == ["2 stages, expected 4"]
    with pytest.raises(InvalidConfigError, match="resnext: invalid config: bottleneck widths"):
        SPACE.validate(too_wide)




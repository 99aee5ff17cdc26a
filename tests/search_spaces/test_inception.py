"""Inception design space: width split, validity, building and exact analytic complexity."""

from __future__ import annotations

import itertools

import numpy as np
import optuna
import pytest
import torch

from netspace.errors import InvalidConfigError
from netspace.search_spaces import Geometry, Regime, get_space, sample_configs
from netspace.search_spaces.inception import (
    InceptionConfig,
    complexity_inception_block,
    count_stage_configs,
    reduction_width,
    reduction_width_batch,
    split_width,
    split_width_batch,
)

from .forward_count import measure

SPACE = get_space("inception")
SMALL = Regime("flops", 0, 20e6)
N_SCREEN = 1000
# GoogLeNet's inception (3a) block on a 192-channel 28×28 input: 64 | 96→128 | 16→32 | pool→32
GOOGLENET_3A = (64, 96, 128, 16, 32, 32)


def test_split_width():
    assert split_width(256, (0.5, 1, 0.25, 0.25)) == (64, 120, 40, 32)  # 28 spare units: 7, 14, 3.5, 3.5 (+1 to 5x5)
    assert split_width(32, (1, 0, 0, 0)) == (8, 8, 8, 8)
    assert split_width(64, (0, 0, 0, 0)) == (16, 16, 16, 16)
    assert split_width(1024, (1e-9, 0, 0, 1)) == (8, 8, 8, 1000)
    assert split_width(256, (7, 15, 3, 3)) == (64, 128, 32, 32)  # GoogLeNet 3a's split
    with pytest.raises(ValueError):
        split_width(24, (1, 1, 1, 1))
    for width in range(32, 1025, 8):
        for weights in itertools.product((0.0, 0.3, 1.0), repeat=4):
            parts = split_width(width, weights)
            assert sum(parts) == width and all(p >= 8 and p % 8 == 0 for p in parts)


def test_split_width_batch_matches_scalar_including_ties():
    grid = list(itertools.product((0.0, 0.3, 1.0, 0.1), repeat=4))
    widths = np.array([w for w in range(32, 1025, 40) for _ in grid])
    weights = [np.array([g[k] for _ in range(32, 1025, 40) for g in grid]) for k in range(4)]
    got = np.stack(split_width_batch(widths, weights), axis=1)
    want = [split_width(int(w), [float(x[i]) for x in weights]) for i, w in enumerate(widths)]
    assert got.tolist() == [list(t) for t in want]
    ratios = np.array([0.25, 0.5, 0.75, 1.0] * 3)
    branch = np.array([8] * 4 + [40] * 4 + [128] * 4)
    assert reduction_width_batch(branch, ratios).tolist() == [reduction_width(int(c), float(r)) for c, r in zip(branch, ratios)]


def test_reduction_width():
    assert [reduction_width(128, r) for r in (0.25, 0.5, 0.75, 1.0)] == [32, 64, 96, 128]
    assert [reduction_width(8, r) for r in (0.25, 0.5, 0.75, 1.0)] == [8, 8, 8, 8]
    assert reduction_width(32, 0.5) == 16


def test_size_counts_distinct_configs():
    """The closed-form count equals a brute-force enumeration on a small width range."""
    ratios = (0.25, 0.5, 0.75, 1.0)
    brute = set()
    for units in range(4, 9):  # widths 32..64
        for a, b, c in itertools.product(range(1, units), repeat=3):
            d = units - a - b - c
            if d < 1:
                continue
            for r3, r5 in itertools.product(ratios, repeat=2):
                brute.add((a, b, c, d, reduction_width(8 * b, r3), reduction_width(8 * c, r5)))
    assert count_stage_configs(32, 64, 8, ratios, 1) == len(brute)
    assert SPACE.size() == float(count_stage_configs()) ** 4
    assert 1e35 < SPACE.size() < 1e36


def test_twenty_seeded_samples_validate():
    samples = sample_configs(SPACE, 20, seed=0, geometry=Geometry(resolution=32))
    for s in samples:
        assert SPACE.check(s.config) == []
        assert all(32 <= w <= 1024 and w % 8 == 0 for w in s.config.widths)
        assert [s.params[f"w{i}"] for i in range(1, 5)]  # widths were sampled, then split


def test_any_optuna_sampler_gives_valid_configs():
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0, n_startup_trials=3))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    for _ in range(6):
        trial = study.ask()
        config = SPACE.sample(trial)
        assert SPACE.check(config) == []
        study.tell(trial, float(sum(config.widths)))
        assert SPACE.config_from_params(trial.params) == config


def test_block_complexity_googlenet_3a():
    """Block (3a) counted by hand: convs h²·c_in·c_out·k², params weights + 2 BN per channel."""
    c1, r3, c3, r5, c5, cp = GOOGLENET_3A
    convs = [(192, c1, 1), (192, r3, 1), (r3, c3, 3), (192, r5, 1), (r5, c5, 5), (192, cp, 1)]
    got = complexity_inception_block(28, 192, *GOOGLENET_3A)
    assert got.flops == sum(28 * 28 * a * b * k * k for a, b, k in convs) == 128_049_152  # GoogLeNet paper, Table 1: 128M
    assert got.params == sum(a * b * k * k + 2 * b for a, b, k in convs)
    assert got.acts == 28 * 28 * (c1 + r3 + c3 + r5 + c5 + cp)




def test_real_forward_at_32():
    shallowest = sorted(sample_configs(SPACE, 20, seed=1, regime=SMALL, geometry=Geometry(resolution=32, num_classes=10)), key=lambda s: sum(s.config.depths))
    for s in shallowest[:2]:  # real compute costs per layer on CPU: keep it to the two shallowest
        model = SPACE.build(s.config, geometry=Geometry(in_channels=3, num_classes=10, resolution=32))
        assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)
        assert sum(p.numel() for p in model.parameters()) == s.complexity.params


def test_build_forward_and_complexity_at_224():
    (s,) = sample_configs(SPACE, 1, seed=5, regime=Regime("flops", 0, 400e6), geometry=Geometry(resolution=224))
    model = SPACE.build(s.config, geometry=Geometry(resolution=224))
    with torch.no_grad():
        assert model(torch.randn(1, 3, 224, 224)).shape == (1, 1000)
    cx = SPACE.complexity(s.config, geometry=Geometry(resolution=224))
    assert measure(SPACE, s.config, 224, 3, 1000) == ((1, 1000), cx.flops, cx.params, cx.acts)




def test_check_rejects_invalid():
    ok = InceptionConfig((1,) * 4, (8,) * 4, (8,) * 4, (8,) * 4, (8,) * 4, (8,) * 4, (8,) * 4)
    assert SPACE.check(ok) == []
    bad = InceptionConfig((1, 1, 1, 9), (8, 4, 8, 8), (8,) * 4, (8,) * 4, (16, 8, 8, 8), (8,) * 4, (8,) * 4)
    problems = SPACE.check(bad)
    assert any("depths [1, 1, 1, 9]" in p for p in problems)
    assert any(p.startswith("stage 2:") and "multiples of 8" in p for p in problems)
    assert any(p.startswith("stage 1:") and "wider than their branches" in p for p in problems)
    with pytest.raises(InvalidConfigError, match="inception: invalid config"):
        SPACE.validate(bad)




"""Pieces of the loop: batch augmentation, normalisation layout, lr schedule, atomic files, recipe checks."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from netspace.errors import InvalidConfigError
from netspace.workers import TrainRecipe
from netspace.workers.augment import Normalizer, crop_flip
from netspace.workers.checkpoint import load_json, load_torch, save_json, save_torch
from netspace.workers.schedule import lr_factor, warmup_iterations
from netspace.workers.train import batch_bounds, param_groups


def test_crop_flip_draws_padded_crops_and_mirrors():
    x = torch.randint(0, 256, (64, 3, 8, 8), dtype=torch.uint8)
    g = torch.Generator().manual_seed(0)
    assert torch.equal(crop_flip(x, g, pad=0, flip=False), x)
    out = crop_flip(x, g, pad=2, flip=True)
    padded = F.pad(x, (2, 2, 2, 2))
    flipped = 0
    for i in range(len(x)):
        crops = [padded[i, :, r:r + 8, c:c + 8] for r in range(5) for c in range(5)]
        plain = any(torch.equal(out[i], c) for c in crops)
        mirrored = any(torch.equal(out[i], c.flip(2)) for c in crops)
        assert plain or mirrored
        flipped += mirrored and not plain
    assert 10 < flipped < 54
    again = crop_flip(x, torch.Generator().manual_seed(0), pad=0, flip=False)
    assert torch.equal(again, x)


def test_normalizer_output_layout_and_values():
    x = torch.randint(0, 256, (4, 1, 6, 6), dtype=torch.uint8).permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)
    norm = Normalizer((0.5,), (0.25,), torch.device("cpu"))
    out = norm(x)
    assert out.stride() == (36, 36, 6, 1)  # plain NCHW even for one channel
    assert torch.allclose(out, (x.float() / 255 - 0.5) / 0.25, atol=1e-5)
    assert norm(torch.zeros(2, 3, 4, 4, dtype=torch.uint8), torch.channels_last).is_contiguous(memory_format=torch.channels_last)


def test_schedule_warms_up_linearly_then_decays_by_cosine():
    total, warm = 100, warmup_iterations(1.0, 10, 100)
    assert warm == 10
    assert lr_factor(0, total, warm) == pytest.approx(0.1)
    assert lr_factor(5, total, warm) == pytest.approx(0.55 * 0.5 * (1 + math.cos(math.pi * 0.05)))
    assert lr_factor(50, total, warm) == pytest.approx(0.5)
    assert lr_factor(100, total, warm) == pytest.approx(0.0)
    assert warmup_iterations(5.0, 10, 20) == 10  # capped at half the run


def test_batches_and_weight_decay_groups():
    assert batch_bounds(65, 32) == [(0, 32), (32, 64)]  # a lone last image would break BN
    assert batch_bounds(66, 32)[-1] == (64, 66)
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Flatten(), torch.nn.Linear(4, 2))
    decay, no_decay = param_groups(model, 5e-5)
    assert decay["weight_decay"] == 5e-5 and {p.ndim for p in decay["params"]} == {2, 4}
    assert no_decay["weight_decay"] == 0 and len(no_decay["params"]) == 4  # conv bias, BN weight+bias, fc bias


def test_atomic_files_leave_no_temporaries(tmp_path):
    save_torch({"a": torch.ones(2)}, tmp_path / "x.pt")
    save_json({"b": 1}, tmp_path / "r.json")
    save_json({"b": 2}, tmp_path / "r.json")
    assert load_json(tmp_path / "r.json") == {"b": 2} and torch.equal(load_torch(tmp_path / "x.pt")["a"], torch.ones(2))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "x.pt"]


def test_recipe_rejects_nonsense():
    with pytest.raises(InvalidConfigError, match="epochs"):
        TrainRecipe(epochs=0)
    with pytest.raises(InvalidConfigError, match="lr"):
        TrainRecipe(lr=float("nan"))
    assert TrainRecipe.from_dict(TrainRecipe(epochs=3).to_dict()) == TrainRecipe(epochs=3)

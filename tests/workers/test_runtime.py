"""Measured runtime: the inference timer (fixed batch, warm-up excluded, median of the timed runs, training dtype)
and its record in every trial's result."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from netspace.search_spaces import Geometry, Regime, get_space, sample_configs
from netspace.workers import DatasetSpec, TrainRecipe, TrialResult, run_trial
from netspace.workers.device import plan_device
from netspace.workers.runtime import device_name, measure_inference


class Counting(nn.Module):
    """Records the batch shapes and grad mode of every forward pass."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.calls: list[tuple] = []

    def forward(self, x):
        self.calls.append((tuple(x.shape), torch.is_grad_enabled(), self.training))
        return self.conv(x)


def test_timer_runs_warmup_plus_timed_passes_in_eval_mode_and_restores_mode():
    model = Counting().train()
    rt = measure_inference(model, plan_device("cpu"), 3, 16, batch=5, warmup=2, runs=3)
    assert len(model.calls) == 5 and all(c == ((5, 3, 16, 16), False, False) for c in model.calls)
    assert model.training  # restored
    assert rt.inference_s > 0 and rt.batch == 5 and rt.dtype == "float32" and rt.device_name.startswith("cpu")
    assert rt.inference_ms == 1000 * rt.inference_s


def test_device_name_names_the_cpu():
    assert device_name(torch.device("cpu")).startswith("cpu: ")


@pytest.mark.slow
def test_every_trial_records_its_runtime(tmp_path):
    cfg = sample_configs(get_space("regnetx"), 1, seed=0, regime=Regime.parse("1M:2M"), geometry=Geometry(32, 1, 10))[0]
    recipe = TrainRecipe(epochs=1, batch_size=32, max_train_images=64, augment=False)
    result = run_trial("regnetx", cfg.config.to_dict(), DatasetSpec("digits"), recipe, device="cpu", checkpoint_dir=tmp_path)
    assert result.inference_ms > 0 and result.inference_batch == 64 and result.inference_dtype == "float32"
    assert result.device_name.startswith("cpu") and result.images_per_s > 0
    stored = TrialResult.from_dict(__import__("json").loads((tmp_path / "result.json").read_text()))
    assert stored.inference_ms == result.inference_ms and stored.device_name == result.device_name

"""Data-parallel training through Ray Train's TorchTrainer: two gloo workers on CPU train like one."""

from __future__ import annotations

import pytest

from netspace.search_spaces import Geometry, Regime, get_space, sample_configs

RECIPE = {"epochs": 3, "batch_size": 64, "lr": 0.1, "warmup_epochs": 0.5, "augment": False, "device": "cpu"}
CHANCE = 90.0


@pytest.fixture(scope="module")
def ray_two_cpus():
    import ray

    from netspace.platform.campaign.scheduler import ensure_ray

    started = ensure_ray(None, num_cpus=2)
    yield
    if started:
        ray.shutdown()


@pytest.mark.slow
def test_two_gloo_workers_equal_one_within_data_order_noise(ray_two_cpus, tmp_path):
    from netspace.workers.data_parallel import train_data_parallel

    [s] = sample_configs(get_space("regnetx"), 1, seed=0, regime=Regime.parse("1M:4M"), geometry=Geometry(32, 1, 10))
    runs = {w: train_data_parallel("regnetx", s.config.to_dict(), {"name": "digits"}, RECIPE, workers=w, seed=0,
                                   storage_path=str(tmp_path), name=f"w{w}") for w in (1, 2)}
    one, two = runs[1], runs[2]
    assert one["workers"] == 1 and two["workers"] == 2 and one["epochs_run"] == two["epochs_run"] == 3
    assert one["top1_err"] < CHANCE - 30 and two["top1_err"] < CHANCE - 30  # both learned
    # same batches, same init, averaged gradients: only BN's per-shard statistics and augmentation differ
    assert abs(two["top1_err"] - one["top1_err"]) <= 10.0
    assert abs(two["train_loss"] - one["train_loss"]) <= 0.5

"""Data-parallel training: two gloo workers on CPU train like one (through Ray Train's TorchTrainer), and the
pure-torch part in netspace.workers runs under any launcher."""

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
    from netspace.platform.campaign.scheduler import train_data_parallel

    [s] = sample_configs(get_space("regnetx"), 1, seed=0, regime=Regime.parse("1M:4M"), geometry=Geometry(32, 1, 10))
    runs = {w: train_data_parallel("regnetx", s.config.to_dict(), {"name": "digits"}, RECIPE, workers=w, seed=0,
                                   storage_path=str(tmp_path), name=f"w{w}") for w in (1, 2)}
    one, two = runs[1], runs[2]
    assert one["workers"] == 1 and two["workers"] == 2 and one["epochs_run"] == two["epochs_run"] == 3
    assert one["top1_err"] < CHANCE - 30 and two["top1_err"] < CHANCE - 30  # both learned
    # same batches, same init, averaged gradients: only BN's per-shard statistics and augmentation differ
    assert abs(two["top1_err"] - one["top1_err"]) <= 10.0
    assert abs(two["train_loss"] - one["train_loss"]) <= 0.5


def _rank(rank: int, world: int, port: int, config: dict, ckdir: str) -> None:
    """One rank of a two-process gloo group started without Ray (torch.multiprocessing)."""
    import os

    import torch.distributed as dist

    from netspace.workers import DatasetSpec, TrainRecipe, run_trial

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        recipe = TrainRecipe(**{**RECIPE, "epochs": 1, "max_train_images": 128})
        run_trial("regnetx", config, DatasetSpec("digits"), recipe, seed=0, checkpoint_dir=ckdir, data_parallel=True)
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_run_trial_data_parallel_without_ray_writes_the_plain_network_once(tmp_path):
    """The pure-torch part (netspace.workers): any launcher that sets up the process group drives run_trial; rank 0
    alone writes the files, and the weights are the plain network's (they load without DDP)."""
    import socket

    import torch
    import torch.multiprocessing as mp

    from netspace.workers.checkpoint import RESULT, WEIGHTS, load_json

    [s] = sample_configs(get_space("regnetx"), 1, seed=0, regime=Regime.parse("1M:4M"), geometry=Geometry(32, 1, 10))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    mp.spawn(_rank, args=(2, port, s.config.to_dict(), str(tmp_path)), nprocs=2, join=True)
    result = load_json(tmp_path / RESULT)
    assert result["epochs_run"] == 1 and result["weights_path"] == str((tmp_path / WEIGHTS).resolve())
    state = torch.load(tmp_path / WEIGHTS, weights_only=True)
    model = get_space("regnetx").build(s.config, Geometry(32, 1, 10))
    model.load_state_dict(state)  # no "module." prefix
    assert sorted(p.name for p in tmp_path.iterdir()) == [RESULT, WEIGHTS]  # checkpoint.pt gone, no stray files

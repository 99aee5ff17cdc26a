"""Data-parallel training of one network with Ray Train's ``TorchTrainer`` (DDP; gloo on CPU, NCCL on GPUs).

Every worker draws the same per-epoch permutation (same seed) and trains on its share of each global batch
(``batch[rank::world]``), so N workers step through the same batches of ``recipe.batch_size`` images as one worker
does; DDP averages the gradients. What differs from one worker is only BN's batch statistics (per shard) and the
augmentation draws: the result equals one worker's within the noise of the data order.

:func:`train_data_parallel` returns the last epoch's report of rank 0 (``top1_err`` on the whole test split,
``train_loss``, ``epochs_run``, ``workers``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F

from netspace.workers.augment import crop_flip
from netspace.workers.recipe import TrainRecipe
from netspace.workers.train import FINITE_CHECK_EVERY, Trainer, batch_bounds


class ShardedTrainer(Trainer):
    """:class:`Trainer` on the ``rank``-th of ``world`` shards of every batch (the model is DDP-wrapped)."""

    def __init__(self, *args: Any, rank: int = 0, world: int = 1, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.rank, self.world = int(rank), int(world)

    def train_epoch(self):
        d, plan, model, opt, sched = self.data, self.plan, self.model, self.optimizer, self.scheduler
        n = len(d.train_y)
        perm = torch.randperm(n, generator=self.generator, device=plan.device)  # the same on every worker
        loss_sum = torch.zeros((), dtype=torch.float32, device=plan.device)
        images = 0
        start = time.perf_counter()
        for i, (a, b) in enumerate(batch_bounds(n, int(self.recipe.batch_size))):
            idx = perm[a:b][self.rank::self.world]
            x, y = d.train_x[idx], d.train_y[idx]
            if self.recipe.augment:
                x = crop_flip(x, self.generator, d.crop_pad, d.hflip)
            x = d.normalize(x, plan.memory_format)
            with plan.autocast():
                loss = F.cross_entropy(model(x), y, label_smoothing=float(self.recipe.label_smoothing))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.detach().float() * len(idx)
            images += len(idx)
            if (i + 1) % FINITE_CHECK_EVERY == 0 and not bool(torch.isfinite(loss_sum)):
                return None
        total = float(loss_sum.item())
        if not torch.isfinite(torch.tensor(total)):
            return None
        return total / max(images, 1), images, time.perf_counter() - start, 0.0  # no data wait: in memory


def _loop(cfg: dict[str, Any]) -> None:
    """One Ray Train worker."""
    import ray.train
    import ray.train.torch

    from netspace.search_spaces import Geometry, get_space
    from netspace.workers.datasets import DatasetSpec, load_dataset
    from netspace.workers.device import plan_device
    from netspace.workers.train import DeviceData

    ctx = ray.train.get_context()
    rank, world = ctx.get_world_rank(), ctx.get_world_size()
    torch.set_num_threads(max(1, int(cfg["threads"])))
    recipe = TrainRecipe.from_dict(cfg["recipe"])
    device = ray.train.torch.get_device()
    plan = plan_device(device if device.type == "cuda" else "cpu")
    space = get_space(cfg["space"])
    config = space.config_from_dict(cfg["config"])
    data = load_dataset(DatasetSpec(**cfg["dataset"]))
    torch.manual_seed(int(cfg["seed"]))
    model = space.build(config, Geometry.of(data.info)).to(plan.device)
    model = ray.train.torch.prepare_model(model, move_to_device=False)
    trainer = ShardedTrainer(model, DeviceData.create(data, plan, recipe.max_train_images), recipe, plan,
                             int(cfg["seed"]), rank=rank, world=world)
    while trainer.epoch < recipe.epochs:
        rep = trainer.run_epoch()
        if rep is None:
            ray.train.report({"epoch": trainer.epoch, "top1_err": 100.0, "status": "diverged", "workers": world})
            return
        ray.train.report({"epoch": rep.epoch, "epochs_run": rep.epoch, "top1_err": rep.top1_err,
                          "train_loss": rep.train_loss, "images_per_s": rep.images_per_s * world,
                          "status": "completed", "workers": world})


def train_data_parallel(space: str, config: Mapping[str, Any], dataset: Mapping[str, Any],
                        recipe: Mapping[str, Any], *, workers: int = 2, gpus_per_worker: float = 0.0,
                        cpus_per_worker: float = 1.0, seed: int = 0, storage_path: str | None = None,
                        name: str | None = None) -> dict[str, Any]:
    """Train ``config`` of ``space`` on ``workers`` Ray Train workers; the last epoch's metrics (rank 0)."""
    import tempfile

    from ray.train.torch import TorchTrainer

    extra: dict[str, Any] = {}
    if TorchTrainer.__module__.startswith("ray.train.v2"):  # the config classes of the trainer's own API version
        from ray.train.v2.api.config import RunConfig, ScalingConfig
    else:
        from ray.air.config import RunConfig, ScalingConfig

        extra["trainer_resources"] = {"CPU": 0}  # the coordinating actor only waits: all CPUs go to the workers

    from netspace.errors import NetspaceError

    if workers < 1:
        raise NetspaceError(f"workers must be >= 1 (got {workers})")
    use_gpu = gpus_per_worker > 0
    resources = {"CPU": float(cpus_per_worker), **({"GPU": float(gpus_per_worker)} if use_gpu else {})}
    cfg = {"space": space, "config": dict(config), "dataset": dict(dataset), "recipe": dict(recipe),
           "seed": int(seed), "threads": max(1, int(cpus_per_worker))}
    trainer = TorchTrainer(
        _loop, train_loop_config=cfg,
        scaling_config=ScalingConfig(num_workers=int(workers), use_gpu=use_gpu, resources_per_worker=resources,
                                     **extra),
        run_config=RunConfig(storage_path=storage_path or tempfile.mkdtemp(prefix="netspace-ddp-"),
                             name=name or f"ddp-{int(time.time())}"),
    )
    result = trainer.fit()
    if getattr(result, "error", None) is not None:
        raise NetspaceError(f"data-parallel training failed: {' '.join(str(result.error).split())[:300]}")
    return dict(result.metrics)

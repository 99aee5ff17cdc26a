"""Data-parallel training of one network (DDP over an initialised ``torch.distributed`` process group: gloo on CPU,
NCCL on GPUs). Pure torch: who starts the processes and the group (Ray Train's ``TorchTrainer``) is the scheduler's
business (:func:`netspace.platform.campaign.scheduler.train_data_parallel`).

Every process draws the same per-epoch permutation (same seed) and trains on its share of each global batch
(``batch[rank::world]``), so N processes step through the same batches of ``recipe.batch_size`` images as one
does; DDP averages the gradients. What differs from one process is only BN's batch statistics (per shard) and the
augmentation draws: the result equals one process's within the noise of the data order. Streamed datasets split
their shards between the processes themselves (:mod:`netspace.workers.stream`).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn as nn

from netspace.workers.device import DevicePlan
from netspace.workers.stream import rank_world
from netspace.workers.train import DeviceData, Trainer


class ShardedTrainer(Trainer):
    """:class:`Trainer` of a DDP-wrapped model on the ``rank``-th of ``world`` shards of every batch."""

    def __init__(self, *args: Any, rank: int = 0, world: int = 1, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.rank, self.world = int(rank), int(world)

    def train_batches(self):
        if not isinstance(self.data, DeviceData):  # streamed data is split between the processes already
            return super().train_batches()
        return self.data.train_batches(int(self.recipe.batch_size), self.generator, self.recipe.augment, self.epoch,
                                       shard=(self.rank, self.world))

    @property
    def network(self) -> nn.Module:
        return getattr(self.model, "module", self.model)

    def finite(self, loss_sum: torch.Tensor) -> bool:
        ok = torch.isfinite(loss_sum).to(torch.int32)
        torch.distributed.all_reduce(ok, op=torch.distributed.ReduceOp.MIN)  # one rank's NaN stops every rank
        return bool(ok)


def parallel_trainer(model: nn.Module, data, recipe, plan: DevicePlan, seed: int = 0) -> ShardedTrainer:
    """A :class:`ShardedTrainer` of ``model`` wrapped in ``DistributedDataParallel`` on this process's device, at
    this process's rank of the initialised process group (one device per process)."""
    if not (torch.distributed.is_available() and torch.distributed.is_initialized()):
        from netspace.errors import NetspaceError

        raise NetspaceError("data-parallel training needs an initialised torch.distributed process group")
    rank, world = rank_world()
    model = model.to(plan.device, memory_format=plan.memory_format)  # type: ignore[call-overload]
    ids = [plan.device.index if plan.device.index is not None else torch.cuda.current_device()] if plan.is_cuda \
        else None
    ddp = nn.parallel.DistributedDataParallel(model, device_ids=ids)
    return ShardedTrainer(ddp, data, recipe, plan, seed, rank=rank, world=world)

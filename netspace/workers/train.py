"""The training loop: data resident on the device (or streamed, see netspace.workers.input), batch augmentation on
tensors, SGD + warm-up/cosine per iteration, top-1 error every epoch, NaN/inf loss detection, time spent waiting for
data, and a complete, restorable state."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
import torch.nn as nn
import torch.nn.functional as F

from netspace.workers.augment import PAD, Normalizer, crop_flip
from netspace.workers.datasets import ImageData
from netspace.workers.device import DevicePlan
from netspace.workers.evaluate import top1_error
from netspace.workers.recipe import EpochReport, TrainRecipe
from netspace.workers.schedule import make_scheduler, warmup_iterations

if TYPE_CHECKING:
    from netspace.workers.input import StreamData

#: how many iterations pass between (synchronising) checks for a non-finite loss
FINITE_CHECK_EVERY = 32
#: the subset drawn by ``max_train_images`` is the same for every trial
SUBSET_SEED = 0


@dataclass
class DeviceData:
    """A dataset's tensors on the training device (uint8 images, int64 labels) and its normaliser."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    normalize: Normalizer
    hflip: bool
    crop_pad: int = PAD

    @classmethod
    def create(cls, data: ImageData, plan: DevicePlan, max_train_images: int | None = None) -> DeviceData:
        tx, ty = data.train_x, data.train_y
        if max_train_images is not None and max_train_images < len(ty):
            g = torch.Generator().manual_seed(SUBSET_SEED)
            idx = torch.randperm(len(ty), generator=g)[: int(max_train_images)].sort().values
            tx, ty = tx[idx], ty[idx]
        dev = plan.device
        nb = plan.is_cuda
        return cls(tx.to(dev, non_blocking=nb), ty.to(dev, non_blocking=nb), data.test_x.to(dev, non_blocking=nb),
                   data.test_y.to(dev, non_blocking=nb), Normalizer(data.mean, data.std, dev), data.info.hflip,
                   data.info.crop_pad)

    #: corrupt images skipped in the last epoch (none in memory; see StreamData)
    skipped = 0

    def iterations(self, batch_size: int) -> int:
        return len(batch_bounds(len(self.train_y), batch_size))

    def train_batches(self, batch_size: int, generator: torch.Generator, augment: bool, epoch: int,
                      shard: tuple[int, int] = (0, 1)):
        """One epoch of augmented uint8 batches (images, labels), in a random order drawn from ``generator``.

        ``shard = (rank, world)``: this process's share ``batch[rank::world]`` of every batch (data-parallel
        training: every process draws the same order, so together they step through the same batches as one)."""
        rank, world = shard
        perm = torch.randperm(len(self.train_y), generator=generator, device=self.train_y.device)
        for a, b in batch_bounds(len(self.train_y), batch_size):
            idx = perm[a:b] if world == 1 else perm[a:b][rank::world]
            x, y = self.train_x[idx], self.train_y[idx]
            yield (crop_flip(x, generator, self.crop_pad, self.hflip) if augment else x), y

    def evaluate(self, model: nn.Module, plan: DevicePlan) -> float:
        return top1_error(model, self.test_x, self.test_y, self.normalize, plan)


def param_groups(model: nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """Weight decay on conv/linear weights; none on BN parameters and biases (all 1-D tensors)."""
    decay: list[nn.Parameter] = []
    no_decay: list[nn.Parameter] = []
    for p in model.parameters():
        if p.requires_grad:
            (no_decay if p.ndim <= 1 else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def batch_bounds(n: int, batch_size: int) -> list[tuple[int, int]]:
    """Batches of one epoch; a trailing batch of a single image is dropped (BN cannot train on it)."""
    bounds = [(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]
    if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] < 2:
        bounds.pop()
    return bounds


class Trainer:
    """Trains one model for ``recipe.epochs`` epochs, one :meth:`run_epoch` at a time."""

    def __init__(self, model: nn.Module, data: DeviceData | StreamData, recipe: TrainRecipe, plan: DevicePlan, seed: int = 0):
        self.model = model.to(plan.device, memory_format=plan.memory_format)  # type: ignore[call-overload]
        self.model.train()
        self.data, self.recipe, self.plan, self.seed = data, recipe, plan, seed
        self.iters = data.iterations(int(recipe.batch_size))
        total = self.iters * int(recipe.epochs)
        self.optimizer = torch.optim.SGD(
            param_groups(model, recipe.weight_decay), lr=recipe.effective_lr, momentum=recipe.momentum,
            nesterov=recipe.nesterov and recipe.momentum > 0,
        )
        self.scheduler = make_scheduler(self.optimizer, total, warmup_iterations(recipe.warmup_epochs, self.iters, total))
        self.generator = torch.Generator(device=plan.device).manual_seed(seed)
        self.epoch = 0
        self.history: list[EpochReport] = []
        self.elapsed_s = 0.0
        self.train_images = 0
        self.train_seconds = 0.0

    # -- one epoch -------------------------------------------------------------------------------------
    def train_epoch(self) -> tuple[float, int, float, float] | None:
        """Train one epoch: (mean loss, images, seconds, seconds waiting for data), or None when the loss became
        NaN/inf."""
        d, plan, model, opt, sched = self.data, self.plan, self.model, self.optimizer, self.scheduler
        fmt = plan.memory_format
        loss_sum = torch.zeros((), dtype=torch.float32, device=plan.device)
        images = 0
        plan.synchronize()
        start = time.perf_counter()
        batches = iter(self.train_batches())
        wait, i = 0.0, -1
        while True:
            t = time.perf_counter()
            batch = next(batches, None)
            wait += time.perf_counter() - t
            if batch is None:
                break
            i, (x, y) = i + 1, batch
            x = d.normalize(x, fmt)
            with plan.autocast():
                loss = F.cross_entropy(model(x), y, label_smoothing=float(self.recipe.label_smoothing))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.detach().float() * len(y)
            images += len(y)
            if (i + 1) % FINITE_CHECK_EVERY == 0 and not self.finite(loss_sum):
                return None
        total_loss = float(loss_sum.item())  # synchronises
        seconds = time.perf_counter() - start
        if not self.finite(loss_sum):
            return None
        return total_loss / max(images, 1), images, seconds, wait

    def finite(self, loss_sum: torch.Tensor) -> bool:
        """Whether the loss so far is finite (a data-parallel trainer asks every rank, so all stop together)."""
        return bool(torch.isfinite(loss_sum))

    def train_batches(self):
        """This epoch's batches (uint8 images, labels): the batch source a data-parallel trainer narrows to its
        shard (:class:`netspace.workers.data_parallel.ShardedTrainer`)."""
        return self.data.train_batches(int(self.recipe.batch_size), self.generator, self.recipe.augment, self.epoch)

    @property
    def network(self) -> nn.Module:
        """The network itself (a data-parallel trainer's model is a wrapper around it): what checkpoints and
        weights hold, so they load whichever way the network is trained next."""
        return self.model

    def evaluate(self) -> float:
        return self.data.evaluate(self.model, self.plan)

    def run_epoch(self) -> EpochReport | None:
        """Train and evaluate one epoch; None if training diverged."""
        start = time.perf_counter()
        out = self.train_epoch()
        if out is None:
            self.elapsed_s += time.perf_counter() - start
            return None
        loss, images, seconds, wait = out
        err = self.evaluate()
        self.elapsed_s += time.perf_counter() - start
        self.epoch += 1
        self.train_images += images
        self.train_seconds += seconds
        rep = EpochReport(self.epoch, int(self.recipe.epochs), loss, err, images / max(seconds, 1e-9), self.elapsed_s,
                          data_wait=wait / max(seconds, 1e-9), skipped_images=int(self.data.skipped))
        self.history.append(rep)
        return rep

    @property
    def images_per_s(self) -> float:
        return self.train_images / self.train_seconds if self.train_seconds > 0 else 0.0

    # -- state -----------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        state = {
            "epoch": self.epoch,
            "history": [r.to_dict() for r in self.history],
            "elapsed_s": self.elapsed_s,
            "train_images": self.train_images,
            "train_seconds": self.train_seconds,
            "model": self.network.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "generator": self.generator.get_state(),
            "generator_device": self.plan.device.type,
            "torch_rng": torch.get_rng_state(),
        }
        if self.plan.is_cuda:
            state["cuda_rng"] = torch.cuda.get_rng_state(self.plan.device)
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.network.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.epoch = int(state["epoch"])
        self.history = [EpochReport.from_dict(r) for r in state["history"]]
        self.elapsed_s = float(state["elapsed_s"])
        self.train_images = int(state["train_images"])
        self.train_seconds = float(state["train_seconds"])
        if state.get("generator_device") == self.plan.device.type:
            self.generator.set_state(state["generator"])
        else:  # resumed on another kind of device: continue reproducibly, though not bit-identically
            self.generator.manual_seed(self.seed * 1_000_003 + self.epoch)
        torch.set_rng_state(state["torch_rng"])
        if self.plan.is_cuda and "cuda_rng" in state:
            torch.cuda.set_rng_state(state["cuda_rng"], self.plan.device)


def training_data(spec, plan: DevicePlan, recipe: TrainRecipe, seed: int = 0) -> DeviceData | StreamData:
    """What the trainer iterates: :class:`~netspace.workers.input.StreamData` for streamed datasets (read from disk
    by data-loader workers), else the in-memory :class:`DeviceData`."""
    from netspace.workers.datasets import load_dataset
    from netspace.workers.input import StreamData, is_streamed

    if is_streamed(spec):
        return StreamData(spec, plan, seed, recipe.max_train_images)
    return DeviceData.create(load_dataset(spec), plan, recipe.max_train_images)

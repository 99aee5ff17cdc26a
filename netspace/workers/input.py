"""The data a :class:`~netspace.workers.train.Trainer` trains on: in-memory datasets go to the device whole
(:class:`~netspace.workers.train.DeviceData`); streamed ones (``imagenet``) come through :class:`StreamData`."""

from __future__ import annotations

import math
import os

import numpy as np
import torch
import torch.nn as nn

from netspace.workers.augment import Normalizer
from netspace.workers.datasets import LOADERS, DatasetSpec
from netspace.workers.datasets import imagenet as imagenet_ds
from netspace.workers.device import DevicePlan
from netspace.workers.stream import StreamConfig, check, loader_workers, make_loader, rank_world

#: set to override the number of data-loader workers (else sized from the trial's CPU threads)
WORKERS_ENV = "NETSPACE_LOADER_WORKERS"
#: "0": CUDA trials decode JPEGs on the CPU (in the workers) instead of on the GPU
GPU_DECODE_ENV = "NETSPACE_GPU_DECODE"
EVAL_BATCH = 256


def is_streamed(spec: DatasetSpec) -> bool:
    loader = LOADERS.get(spec.name)
    return loader is not None and loader.streamed


def gpu_decoding(plan: DevicePlan) -> bool:
    """Decode on the GPU (nvjpeg) when training there, unless ``$NETSPACE_GPU_DECODE`` is "0"."""
    return plan.is_cuda and torch.cuda.is_available() and os.environ.get(GPU_DECODE_ENV, "1") != "0"


class StreamData:
    """A dataset streamed from disk: per-epoch batches from data-loader workers, evaluation by streaming the val
    split. :attr:`skipped` counts the corrupt images skipped in the last training epoch."""

    def __init__(self, spec: DatasetSpec, plan: DevicePlan, seed: int = 0, max_train_images: int | None = None,
                 workers: int | None = None):
        lay = imagenet_ds.layout(spec)
        self.spec, self.plan, self.seed = spec, plan, seed
        self.train_units, self.val_units = lay.train.first(max_train_images), lay.val
        self.resolution = imagenet_ds.resolution(spec)
        self.normalize = Normalizer(imagenet_ds.MEAN, imagenet_ds.STD, plan.device)
        self.hflip = True
        self.gpu = gpu_decoding(plan)
        self.rank, self.world = rank_world()
        if workers is None:
            env = os.environ.get(WORKERS_ENV)
            workers = int(env) if env else loader_workers(torch.get_num_threads(), plan.is_cuda)
            if self.gpu:  # workers only read bytes; nvjpeg decodes
                workers = min(workers, 2)
        self.workers = workers
        self.skipped = 0

    def iterations(self, batch_size: int) -> int:
        return max(1, math.ceil(self.train_units.total / self.world / batch_size))

    def _batches(self, cfg: StreamConfig, epoch: int):
        ds, loader = make_loader(cfg, self.workers, pin_memory=self.plan.is_cuda)
        ds.epoch = epoch
        rng = np.random.default_rng([self.seed, epoch, 7]) if cfg.train and cfg.augment else None
        for batch in loader:
            x, y, skipped = check(batch)
            if self.gpu:
                from netspace.workers.gpu_decode import decode_batch

                x, y, bad = decode_batch(x, y, cfg.resolution, self.plan.device, rng)
                skipped += bad
            else:
                nb = self.plan.is_cuda
                x, y = x.to(self.plan.device, non_blocking=nb).permute(0, 3, 1, 2), y.to(self.plan.device, non_blocking=nb)
            yield x, y, skipped

    def train_batches(self, batch_size: int, generator: torch.Generator, augment: bool, epoch: int):
        """uint8 (B, 3, R, R) images and labels on the device; batches of fewer than 2 images are left out."""
        cfg = StreamConfig(self.train_units, self.resolution, int(batch_size), train=True, augment=augment,
                           seed=self.seed, rank=self.rank, world=self.world, raw=self.gpu)
        self.skipped = 0
        for x, y, skipped in self._batches(cfg, epoch):
            self.skipped += skipped
            if len(y) >= 2:
                yield x, y

    @torch.inference_mode()
    def evaluate(self, model: nn.Module, plan: DevicePlan) -> float:
        """Top-1 error (%) on the whole val split (resize res·256/224, centre crop)."""
        cfg = StreamConfig(self.val_units, self.resolution, EVAL_BATCH, train=False, raw=self.gpu)
        was_training = model.training
        model.eval()
        wrong = torch.zeros((), dtype=torch.int64, device=plan.device)
        seen = 0
        try:
            for x, y, _ in self._batches(cfg, 0):
                if not len(y):
                    continue
                with plan.autocast():
                    logits = model(self.normalize(x, plan.memory_format))
                wrong += (logits.argmax(1) != y).sum()
                seen += len(y)
        finally:
            model.train(was_training)
        return 100.0 * float(wrong.item()) / max(seen, 1)

"""``synthetic``: CIFAR-size random images (3×32×32, 10 classes, 50,000 train / 10,000 test), generated
deterministically in memory. For throughput benchmarks only: the labels are random, nothing can be learnt."""

from __future__ import annotations

import torch

from netspace.workers.datasets.base import DatasetInfo, DatasetSpec, ImageData

TRAIN_SIZE, TEST_SIZE, RESOLUTION, CLASSES = 50_000, 10_000, 32, 10


def info(spec: DatasetSpec) -> DatasetInfo:
    return DatasetInfo(3, CLASSES, RESOLUTION, TRAIN_SIZE, TEST_SIZE, hflip=True)


def load(spec: DatasetSpec) -> ImageData:
    g = torch.Generator().manual_seed(0)
    shape = (3, RESOLUTION, RESOLUTION)
    tx = torch.randint(0, 256, (TRAIN_SIZE, *shape), generator=g, dtype=torch.uint8)
    vx = torch.randint(0, 256, (TEST_SIZE, *shape), generator=g, dtype=torch.uint8)
    ty = torch.randint(0, CLASSES, (TRAIN_SIZE,), generator=g)
    vy = torch.randint(0, CLASSES, (TEST_SIZE,), generator=g)
    return ImageData(tx, ty, vx, vy, (0.5,) * 3, (0.289,) * 3, info(spec))

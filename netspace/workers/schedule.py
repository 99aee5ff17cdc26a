"""Learning-rate schedule, stepped every iteration: linear warm-up from ``WARMUP_START`` × lr to lr, times a
cosine decay from lr to 0 over the whole run (as pycls combines them). Warm-up is capped at half the run so
1-epoch trials still see the decay."""

from __future__ import annotations

import math

import torch

WARMUP_START = 0.1


def lr_factor(it: int, total_iters: int, warmup_iters: int) -> float:
    """Multiplier of the base lr for iteration ``it`` (0-based) of ``total_iters``."""
    cosine = 0.5 * (1.0 + math.cos(math.pi * min(it, total_iters) / max(total_iters, 1)))
    if it < warmup_iters:
        alpha = it / warmup_iters
        return cosine * (WARMUP_START * (1.0 - alpha) + alpha)
    return cosine


def warmup_iterations(warmup_epochs: float, iters_per_epoch: int, total_iters: int) -> int:
    return int(min(round(warmup_epochs * iters_per_epoch), total_iters // 2))


def make_scheduler(optimizer: torch.optim.Optimizer, total_iters: int, warmup_iters: int) -> torch.optim.lr_scheduler.LambdaLR:
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda it: lr_factor(it, total_iters, warmup_iters))

"""Inception: a GoogLeNet-style design space of four-branch blocks whose width split is sampled.

Network: stem (3×3 conv, 32 channels, stride 2 at ImageNet size, 1 at ≤ 64 px; BN, ReLU) → 4 stages, each
opened by a 3×3 stride-2 max-pool (padding 1, so h → (h - 1) // 2 + 1, the same resolution profile as AnyNet:
/32 at 224 px, 32 px → 2×2) and holding d_i Inception blocks → global average pool + FC.

Block (GoogLeNet's, every conv followed by BN and ReLU, no bias, outputs concatenated in this order):
1×1 conv (c1) | 1×1 conv (r3) → 3×3 conv (c3) | 1×1 conv (r5) → 5×5 conv (c5) | 3×3/1 max-pool → 1×1 conv (cp).

Sampled per stage i: depth d_i uniform in [1, 6]; block width w_i = c1 + c3 + c5 + cp log-uniform in [32, 1024],
a multiple of 8; four split weights s_i (uniform in [0, 1], unnormalised) that apportion the width among the
branches; reduction ratios r3/c3 and r5/c5 in {0.25, 0.5, 0.75, 1}. The split is valid under any Optuna
sampler: every branch gets 8 channels, and the remaining (w - 32)/8 units of 8 channels are apportioned in
proportion to the weights by the largest-remainder method (ties to the earlier branch; all-zero weights split
equally), so branches are multiples of 8, at least 8, and always sum to w. Reductions are r = ratio·c rounded
to a multiple of 8, at least 8 (hence ≤ c). Every composition of w into four such branches is reachable;
``size`` counts the distinct configs exactly (≈ 7.5e35).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import ClassVar, Sequence

import numpy as np
import torch
import torch.nn as nn

from netspace.search_spaces import complexity as cx
from netspace.search_spaces import layers
from netspace.search_spaces.base import DesignSpace, SpaceConfig
from netspace.search_spaces.complexity import Complexity
from netspace.search_spaces.params import Choice, Float, Int, Param

NUM_STAGES = 4
NUM_BRANCHES = 4
MAX_DEPTH = 6
QUANTUM = 8  # channel quantum, also the minimum branch / reduction width
MIN_WIDTH, MAX_WIDTH = NUM_BRANCHES * QUANTUM, 1024
REDUCTION_RATIOS = (0.25, 0.5, 0.75, 1.0)
BRANCHES = ("1x1", "3x3", "5x5", "pool")
STEM_WIDTH = 32


# -- pure width maths --------------------------------------------------------------------------------
def split_width(width: int, weights: Sequence[float], quantum: int = QUANTUM) -> tuple[int, ...]:
    """Split ``width`` (a multiple of ``quantum``) among branches: one quantum each, the rest apportioned in
    proportion to ``weights`` by largest remainder (ties to the earlier branch; all-zero weights split equally)."""
    n = len(weights)
    units = width // quantum
    spare = units - n
    if width % quantum or spare < 0:
        raise ValueError(f"width {width} must be a multiple of {quantum} and at least {n * quantum}")
    total = float(sum(weights))
    ws = [float(w) / total for w in weights] if total > 0 else [1.0 / n] * n
    exact = [spare * w for w in ws]
    share = [math.floor(x) for x in exact]
    order = sorted(range(n), key=lambda k: (-(exact[k] - share[k]), k))
    for k in order[: spare - sum(share)]:
        share[k] += 1
    return tuple((1 + s) * quantum for s in share)


def reduction_width(branch_width: int, ratio: float, quantum: int = QUANTUM) -> int:
    """Width of the 1×1 reduction in front of a 3×3 / 5×5 conv: ratio·c rounded to a multiple of ``quantum``."""
    return max(quantum, int(round(ratio * branch_width / quantum)) * quantum)


def split_width_batch(width: np.ndarray, weights: Sequence[np.ndarray], quantum: int = QUANTUM) -> list[np.ndarray]:
    """:func:`split_width` on numpy arrays (one entry per candidate), with the same floating-point operations in
    the same order, so both give identical splits."""
    n = len(weights)
    spare = width // quantum - n
    total = weights[0]
    for w in weights[1:]:
        total = total + w
    positive = total > 0
    safe = np.where(positive, total, 1.0)
    exact = np.stack([spare * np.where(positive, w / safe, 1.0 / n) for w in weights], axis=1)
    share = np.floor(exact)
    order = np.argsort(-(exact - share), axis=1, kind="stable")  # largest remainder first, ties to earlier
    rank = np.argsort(order, axis=1)
    share = share.astype(np.int64) + (rank < (spare - share.sum(axis=1)).astype(np.int64)[:, None])
    return [(1 + share[:, k]) * quantum for k in range(n)]


def reduction_width_batch(branch_width: np.ndarray, ratio: np.ndarray, quantum: int = QUANTUM) -> np.ndarray:
    """:func:`reduction_width` on numpy arrays."""
    return np.maximum(quantum, np.rint(ratio * branch_width / quantum).astype(np.int64) * quantum)


@dataclass(frozen=True)
class InceptionConfig(SpaceConfig):
    """Per-stage depth and branch widths of an Inception network (every block of a stage is the same)."""

    depths: tuple[int, ...]
    out_1x1: tuple[int, ...]
    red_3x3: tuple[int, ...]
    out_3x3: tuple[int, ...]
    red_5x5: tuple[int, ...]
    out_5x5: tuple[int, ...]
    out_pool: tuple[int, ...]
    stem_width: int = STEM_WIDTH

    @property
    def widths(self) -> list[int]:
        """Block output width per stage (the concatenation of the four branches)."""
        return [sum(b) for b in zip(self.out_1x1, self.out_3x3, self.out_5x5, self.out_pool)]

    def stage(self, i: int) -> tuple[int, int, int, int, int, int]:
        """(c1, r3, c3, r5, c5, cp) of stage ``i`` (0-based)."""
        return (self.out_1x1[i], self.red_3x3[i], self.out_3x3[i], self.red_5x5[i], self.out_5x5[i], self.out_pool[i])


# -- torch ---------------------------------------------------------------------------------------------
def _conv_bn_relu(c_in: int, c_out: int, k: int) -> list[nn.Module]:
    return [*layers.conv_bn(c_in, c_out, k), nn.ReLU(inplace=True)]


class InceptionBlock(nn.Module):
    """Four parallel branches, concatenated: 1×1 | 1×1→3×3 | 1×1→5×5 | 3×3 max-pool→1×1 (stride 1)."""

    def __init__(self, w_in: int, c1: int, r3: int, c3: int, r5: int, c5: int, cp: int):
        super().__init__()
        self.b1 = nn.Sequential(*_conv_bn_relu(w_in, c1, 1))
        self.b3 = nn.Sequential(*_conv_bn_relu(w_in, r3, 1), *_conv_bn_relu(r3, c3, 3))
        self.b5 = nn.Sequential(*_conv_bn_relu(w_in, r5, 1), *_conv_bn_relu(r5, c5, 5))
        self.bp = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), *_conv_bn_relu(w_in, cp, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.b1(x), self.b3(x), self.b5(x), self.bp(x)], dim=1)


def complexity_inception_block(h: int, w_in: int, c1: int, r3: int, c3: int, r5: int, c5: int, cp: int) -> Complexity:
    """Analytic complexity of :class:`InceptionBlock` on an h×h input (the max-pool branch adds nothing)."""
    parts = [(w_in, c1, 1), (w_in, r3, 1), (r3, c3, 3), (w_in, r5, 1), (r5, c5, 5), (w_in, cp, 1)]
    total = cx.ZERO
    for c_in, c_out, k in parts:
        total = total + layers.complexity_conv_bn(h, c_in, c_out, k)[0]
    return total


def stage_pool() -> nn.Module:
    """The stride-2 max-pool that opens every stage: 3×3, padding 1, h → (h - 1) // 2 + 1."""
    return nn.MaxPool2d(3, stride=2, padding=1)


class Inception(nn.Module):
    """The network of an :class:`InceptionConfig`."""

    def __init__(self, config: InceptionConfig, in_channels: int = 3, num_classes: int = 1000, resolution: int = 224):
        super().__init__()
        self.config = config
        self.stem = layers.Stem(in_channels, config.stem_width, layers.stem_stride(resolution))
        stages, w_in = [], config.stem_width
        for i, (d, w) in enumerate(zip(config.depths, config.widths)):
            blocks = [InceptionBlock(w_in if j == 0 else w, *config.stage(i)) for j in range(d)]
            stages.append(nn.Sequential(stage_pool(), *blocks))
            w_in = w
        self.stages = nn.Sequential(*stages)
        self.head = layers.Head(w_in, num_classes)
        layers.init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.stages(self.stem(x)))


def inception_complexity(config: InceptionConfig, resolution: int = 224, in_channels: int = 3, num_classes: int = 1000) -> Complexity:
    """Analytic complexity of :class:`Inception`: per stage, the first block plus (d - 1) identical blocks.

    Every per-stage field may hold numpy int arrays (one entry per candidate config): vectorised screening."""
    total, h = layers.complexity_stem(resolution, in_channels, config.stem_width, layers.stem_stride(resolution))
    w_in = config.stem_width
    for i, (d, w) in enumerate(zip(config.depths, config.widths)):
        h = cx.out_size(h, 2)
        first = complexity_inception_block(h, w_in, *config.stage(i))
        total = total + first + complexity_inception_block(h, w, *config.stage(i)) * (d - 1)
        w_in = w
    return total + layers.complexity_head(w_in, num_classes)


# -- size -----------------------------------------------------------------------------------------------
@cache
def count_stage_configs(
    min_width: int = MIN_WIDTH, max_width: int = MAX_WIDTH, quantum: int = QUANTUM,
    ratios: tuple[float, ...] = REDUCTION_RATIOS, max_depth: int = MAX_DEPTH,
) -> int:
    """Distinct (depth, c1, r3, c3, r5, c5, cp) of one stage: Σ over widths of Σ over compositions into four
    branches of the distinct reductions of c3 times those of c5."""
    max_units = max_width // quantum
    n_red = [0] + [len({reduction_width(u * quantum, r, quantum) for r in ratios}) for u in range(1, max_units + 1)]
    pair = [0] * (2 * max_units + 1)  # pair[s] = Σ_{a + b = s} n_red[a]·n_red[b]
    for a in range(1, max_units + 1):
        for b in range(1, max_units + 1):
            pair[a + b] += n_red[a] * n_red[b]
    total = 0
    for units in range(min_width // quantum, max_units + 1):
        # the 1×1 and pool branches share the remaining units - s in (units - s - 1) ways (each ≥ 1)
        total += sum(pair[s] * (units - s - 1) for s in range(2, units - 1))
    return max_depth * total


# -- the space ---------------------------------------------------------------------------------------------
class InceptionSpace(DesignSpace):
    """GoogLeNet-style stages of four-branch blocks; per stage depth, width, branch split and reductions."""

    name = "inception"
    summary = "Inception: 4 stages of GoogLeNet four-branch blocks; per stage depth, width, branch split, reductions"
    config_cls: ClassVar[type] = InceptionConfig

    DEPTH = Int(1, MAX_DEPTH, doc="Inception blocks in the stage")
    WIDTH = Float(MIN_WIDTH, MAX_WIDTH, log=True, quantum=QUANTUM, doc="block output width, a multiple of 8")
    SPLIT = Float(0.0, 1.0, doc="unnormalised share of the block width (largest-remainder split, each branch >= 8)")
    RATIO = Choice(REDUCTION_RATIOS, doc="1x1 reduction width / branch width")

    def parameters(self) -> dict[str, Param]:
        p: dict[str, Param] = {}
        for i in range(1, NUM_STAGES + 1):
            p[f"d{i}"] = self.DEPTH
            p[f"w{i}"] = self.WIDTH
            for b in BRANCHES:
                p[f"s{i}_{b}"] = self.SPLIT
            p[f"r{i}_3x3"] = self.RATIO
            p[f"r{i}_5x5"] = self.RATIO
        return p

    def constraints(self) -> list[str]:
        return [
            f"{NUM_STAGES} stages; block width = c1 + c3 + c5 + cp, in [{MIN_WIDTH}, {MAX_WIDTH}]",
            f"every branch and reduction width is a multiple of {QUANTUM}, at least {QUANTUM}; reductions <= their branch",
        ]

    def size(self) -> float:
        return float(count_stage_configs()) ** NUM_STAGES

    def sample(self, trial) -> InceptionConfig:
        cols: dict[str, list[int]] = {k: [] for k in ("d", "c1", "r3", "c3", "r5", "c5", "cp")}
        for i in range(1, NUM_STAGES + 1):
            cols["d"].append(self.DEPTH.suggest(trial, f"d{i}"))
            width = int(self.WIDTH.suggest(trial, f"w{i}"))
            c1, c3, c5, cp = split_width(width, [self.SPLIT.suggest(trial, f"s{i}_{b}") for b in BRANCHES])
            cols["c1"].append(c1)
            cols["c3"].append(c3)
            cols["c5"].append(c5)
            cols["cp"].append(cp)
            cols["r3"].append(reduction_width(c3, self.RATIO.suggest(trial, f"r{i}_3x3")))
            cols["r5"].append(reduction_width(c5, self.RATIO.suggest(trial, f"r{i}_5x5")))
        t = {k: tuple(v) for k, v in cols.items()}
        return InceptionConfig(t["d"], t["c1"], t["r3"], t["c3"], t["r5"], t["c5"], t["cp"])

    def check(self, config: InceptionConfig) -> list[str]:
        c = config
        cols = (c.depths, c.out_1x1, c.red_3x3, c.out_3x3, c.red_5x5, c.out_5x5, c.out_pool)
        if any(len(col) != NUM_STAGES for col in cols):
            return [f"every per-stage field must have {NUM_STAGES} entries (got {[len(col) for col in cols]})"]
        problems = []
        if any(not 1 <= d <= MAX_DEPTH for d in c.depths):
            problems.append(f"depths {list(c.depths)} outside [1, {MAX_DEPTH}]")
        for i in range(NUM_STAGES):
            c1, r3, c3, r5, c5, cp = c.stage(i)
            if any(v < QUANTUM or v % QUANTUM for v in (c1, r3, c3, r5, c5, cp)):
                problems.append(f"stage {i + 1}: branch and reduction widths {[c1, r3, c3, r5, c5, cp]} must be multiples of {QUANTUM}, at least {QUANTUM}")
            elif r3 > c3 or r5 > c5:
                problems.append(f"stage {i + 1}: reductions ({r3}, {r5}) wider than their branches ({c3}, {c5})")
            if c.widths[i] > MAX_WIDTH:
                problems.append(f"stage {i + 1}: block width {c.widths[i]} above {MAX_WIDTH}")
        if c.stem_width < 1:
            problems.append(f"stem width {c.stem_width} must be positive")
        return problems

    def screen_batch(self, values, regime, resolution, in_channels, num_classes):
        """Vectorised split, reductions and regime test (every sampled config satisfies the constraints)."""
        n = len(values["d1"])
        if regime is None:
            return np.ones(n, dtype=bool), None
        cols: dict[str, list[np.ndarray]] = {k: [] for k in ("d", "c1", "r3", "c3", "r5", "c5", "cp")}
        for i in range(1, NUM_STAGES + 1):
            cols["d"].append(values[f"d{i}"])
            c1, c3, c5, cp = split_width_batch(values[f"w{i}"], [values[f"s{i}_{b}"] for b in BRANCHES])
            cols["c1"].append(c1)
            cols["c3"].append(c3)
            cols["c5"].append(c5)
            cols["cp"].append(cp)
            cols["r3"].append(reduction_width_batch(c3, values[f"r{i}_3x3"]))
            cols["r5"].append(reduction_width_batch(c5, values[f"r{i}_5x5"]))
        t = {k: tuple(v) for k, v in cols.items()}
        batch = InceptionConfig(t["d"], t["c1"], t["r3"], t["c3"], t["r5"], t["c5"], t["cp"])
        metric = np.asarray(getattr(inception_complexity(batch, resolution, in_channels, num_classes), regime.metric))
        return (metric >= regime.low) & (metric <= regime.high), metric

    def build(self, config: InceptionConfig, in_channels: int = 3, num_classes: int = 1000, resolution: int = 224) -> nn.Module:
        return Inception(config, in_channels, num_classes, resolution)

    def complexity(self, config: InceptionConfig, resolution: int = 224, in_channels: int = 3, num_classes: int = 1000) -> Complexity:
        return inception_complexity(config, resolution, in_channels, num_classes)

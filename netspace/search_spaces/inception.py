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

A config may instead list its blocks explicitly (``blocks``: per stage, a tuple of (c1, r3, c3, r5, c5, cp) per
block), any multiples of 8 with reductions no wider than their branch. Structural options (config fields, fixed
per space instance, ``InceptionSpace(num_stages=3, stem="googlenet", ...)``): ``stem`` "simple" (above) or
"googlenet" — GoogLeNet's 7×7/2 conv (stem_width) → 3×3/2 max-pool → 1×1 conv (stem_width) → 3×3 conv
(3·stem_width), the first stage's max-pool closing it; ``bn`` (default on); ``conv_bias`` (default off);
``kernel_5x5`` (5; torchvision's GoogLeNet has 3 there); ``activation`` "relu" (default) or "silu" (Swish) after
every conv. GoogLeNet is 3 stages of 2, 5 and 2 explicit blocks with
the googlenet stem of width 64.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn as nn

from netspace.search_spaces import complexity as cx
from netspace.search_spaces import layers
from netspace.search_spaces.base import DesignSpace, SpaceConfig
from netspace.search_spaces.complexity import Complexity
from netspace.search_spaces.geometry import IMAGENET, Geometry
from netspace.search_spaces.params import Choice, Float, Int, Param

NUM_STAGES = 4
NUM_BRANCHES = 4
MAX_DEPTH = 6
QUANTUM = 8  # channel quantum, also the minimum branch / reduction width
MIN_WIDTH, MAX_WIDTH = NUM_BRANCHES * QUANTUM, 1024
REDUCTION_RATIOS = (0.25, 0.5, 0.75, 1.0)
BRANCHES = ("1x1", "3x3", "5x5", "pool")
STEM_WIDTH = 32
STEMS = ("simple", "googlenet")
STAGE_COUNTS = (1, 2, 3, 4, 5)
WIDE_KERNELS = (3, 5)
Block = tuple[int, int, int, int, int, int]  # (c1, r3, c3, r5, c5, cp)


def block_width(block: Sequence[int]) -> int:
    """Output width of a block: c1 + c3 + c5 + cp."""
    c1, _, c3, _, c5, cp = block
    return c1 + c3 + c5 + cp


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
    """Per-stage depth and branch widths of an Inception network (every block of a stage is the same), or explicit
    ``blocks`` per stage (then the per-stage fields stay empty), and the structural options."""

    depths: tuple[int, ...] = ()
    out_1x1: tuple[int, ...] = ()
    red_3x3: tuple[int, ...] = ()
    out_3x3: tuple[int, ...] = ()
    red_5x5: tuple[int, ...] = ()
    out_5x5: tuple[int, ...] = ()
    out_pool: tuple[int, ...] = ()
    stem_width: int = STEM_WIDTH
    blocks: tuple[tuple[Block, ...], ...] = ()
    stem: str = "simple"
    bn: bool = True
    conv_bias: bool = False
    kernel_5x5: int = 5
    activation: str = "relu"

    @property
    def widths(self) -> list[int]:
        """Output width per stage (the concatenation of the four branches of its last block)."""
        if self.blocks:
            return [block_width(stage[-1]) for stage in self.blocks]
        return [sum(b) for b in zip(self.out_1x1, self.out_3x3, self.out_5x5, self.out_pool)]

    @property
    def stage_depths(self) -> list[int]:
        return [len(stage) for stage in self.blocks] if self.blocks else list(self.depths)

    def stage(self, i: int) -> Block:
        """(c1, r3, c3, r5, c5, cp) of stage ``i`` (0-based; per-stage form)."""
        return (self.out_1x1[i], self.red_3x3[i], self.out_3x3[i], self.red_5x5[i], self.out_5x5[i], self.out_pool[i])

    def stage_blocks(self) -> list[list[Block]]:
        """Every block of every stage."""
        if self.blocks:
            return [[tuple(b) for b in stage] for stage in self.blocks]  # type: ignore[misc]
        return [[self.stage(i)] * d for i, d in enumerate(self.depths)]

    @property
    def stem_out(self) -> int:
        """Width of the stem's output."""
        return 3 * self.stem_width if self.stem == "googlenet" else self.stem_width


# -- torch ---------------------------------------------------------------------------------------------
class InceptionBlock(nn.Module):
    """Four parallel branches, concatenated: 1×1 | 1×1→3×3 | 1×1→5×5 (or k×k) | 3×3 max-pool→1×1 (stride 1)."""

    def __init__(self, w_in: int, c1: int, r3: int, c3: int, r5: int, c5: int, cp: int, *, bn: bool = True,
                 bias: bool = False, kernel_5x5: int = 5, act: str = "relu"):
        super().__init__()
        unit: dict[str, Any] = {"bn": bn, "bias": bias, "act": act}
        self.b1 = nn.Sequential(*layers.conv_bn_relu(w_in, c1, 1, **unit))
        self.b3 = nn.Sequential(*layers.conv_bn_relu(w_in, r3, 1, **unit), *layers.conv_bn_relu(r3, c3, 3, **unit))
        self.b5 = nn.Sequential(*layers.conv_bn_relu(w_in, r5, 1, **unit), *layers.conv_bn_relu(r5, c5, kernel_5x5, **unit))
        self.bp = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), *layers.conv_bn_relu(w_in, cp, 1, **unit))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.b1(x), self.b3(x), self.b5(x), self.bp(x)], dim=1)


def complexity_inception_block(h: int, w_in: int, c1: int, r3: int, c3: int, r5: int, c5: int, cp: int, *,
                               bn: bool = True, bias: bool = False, kernel_5x5: int = 5) -> Complexity:
    """Analytic complexity of :class:`InceptionBlock` on an h×h input (the max-pool branch adds nothing)."""
    parts = [(w_in, c1, 1), (w_in, r3, 1), (r3, c3, 3), (w_in, r5, 1), (r5, c5, kernel_5x5), (w_in, cp, 1)]
    total = cx.ZERO
    for c_in, c_out, k in parts:
        total = total + layers.complexity_conv_bn(h, c_in, c_out, k, bn=bn, bias=bias)[0]
    return total


def make_stem(config: InceptionConfig, in_channels: int, resolution: int) -> nn.Sequential:
    unit: dict[str, Any] = {"bn": config.bn, "bias": config.conv_bias, "act": config.activation}
    w = config.stem_width
    if config.stem == "googlenet":
        return nn.Sequential(*layers.conv_bn_relu(in_channels, w, 7, 2, **unit), layers.stage_pool(),
                             *layers.conv_bn_relu(w, w, 1, **unit), *layers.conv_bn_relu(w, 3 * w, 3, **unit))
    return nn.Sequential(*layers.conv_bn_relu(in_channels, w, 3, layers.stem_stride(resolution), **unit))


def complexity_stem(config: InceptionConfig, geometry: Geometry) -> tuple[Complexity, int]:
    unit = {"bn": config.bn, "bias": config.conv_bias}
    w, h = config.stem_width, geometry.resolution
    if config.stem == "googlenet":
        a, h = layers.complexity_conv_bn(h, geometry.in_channels, w, 7, 2, **unit)
        h = cx.out_size(h, 2)
        b, _ = layers.complexity_conv_bn(h, w, w, 1, **unit)
        c, _ = layers.complexity_conv_bn(h, w, 3 * w, 3, **unit)
        return a + b + c, h
    return layers.complexity_conv_bn(h, geometry.in_channels, w, 3, layers.stem_stride(h), **unit)


class Inception(nn.Module):
    """The network of an :class:`InceptionConfig`."""

    def __init__(self, config: InceptionConfig, geometry: Geometry = IMAGENET):
        super().__init__()
        self.config = config
        unit: dict[str, Any] = {"bn": config.bn, "bias": config.conv_bias, "kernel_5x5": config.kernel_5x5, "act": config.activation}
        self.stem = make_stem(config, geometry.in_channels, geometry.resolution)
        stages, w_in = [], config.stem_out
        for stage in config.stage_blocks():
            blocks = []
            for block in stage:
                blocks.append(InceptionBlock(w_in, *block, **unit))
                w_in = block_width(block)
            stages.append(nn.Sequential(layers.stage_pool(), *blocks))
        self.stages = nn.Sequential(*stages)
        self.head = layers.Head(w_in, geometry.num_classes)
        layers.init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.stages(self.stem(x)))


def inception_complexity(config: InceptionConfig, geometry: Geometry = IMAGENET) -> Complexity:
    """Analytic complexity of :class:`Inception`: per stage, the first block plus (d - 1) identical blocks, or
    every explicit block.

    Every per-stage field may hold numpy int arrays (one entry per candidate config): vectorised screening."""
    unit: dict[str, Any] = {"bn": config.bn, "bias": config.conv_bias, "kernel_5x5": config.kernel_5x5}
    total, h = complexity_stem(config, geometry)
    w_in = config.stem_out
    if config.blocks:
        for stage in config.blocks:
            h = cx.out_size(h, 2)
            for block in stage:
                total = total + complexity_inception_block(h, w_in, *block, **unit)
                w_in = block_width(block)
        return total + layers.complexity_head(w_in, geometry.num_classes)
    for i, (d, w) in enumerate(zip(config.depths, config.widths)):
        h = cx.out_size(h, 2)
        first = complexity_inception_block(h, w_in, *config.stage(i), **unit)
        total = total + first + complexity_inception_block(h, w, *config.stage(i), **unit) * (d - 1)
        w_in = w
    return total + layers.complexity_head(w_in, geometry.num_classes)


def check_block(where: str, block: Sequence[int]) -> list[str]:
    """Problems of one block: widths multiples of 8 (at least 8), reductions no wider than their branches."""
    c1, r3, c3, r5, c5, cp = block
    if any(v < QUANTUM or v % QUANTUM for v in block):
        return [f"{where}: branch and reduction widths {list(block)} must be multiples of {QUANTUM}, at least {QUANTUM}"]
    problems = []
    if r3 > c3 or r5 > c5:
        problems.append(f"{where}: reductions ({r3}, {r5}) wider than their branches ({c3}, {c5})")
    if block_width(block) > MAX_WIDTH:
        problems.append(f"{where}: block width {block_width(block)} above {MAX_WIDTH}")
    return problems


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

    def __init__(self, num_stages: int = NUM_STAGES, stem: str = "simple", bn: bool = True, conv_bias: bool = False,
                 kernel_5x5: int = 5, stem_width: int = STEM_WIDTH, activation: str = "relu"):
        self.num_stages = num_stages
        self._fixed: dict[str, Any] = {"stem": stem, "bn": bool(bn), "conv_bias": bool(conv_bias), "kernel_5x5": kernel_5x5,
                        "stem_width": stem_width, "activation": layers.activation_name(activation)}
        problems = self._check_options(InceptionConfig(**self._fixed))
        if num_stages not in STAGE_COUNTS or problems:
            raise ValueError(f"InceptionSpace: {num_stages} stages (allowed {STAGE_COUNTS}); {'; '.join(problems)}")

    def options(self) -> dict[str, Any]:
        return {"num_stages": self.num_stages, **self._fixed}

    def parameters(self) -> dict[str, Param]:
        p: dict[str, Param] = {}
        for i in range(1, self.num_stages + 1):
            p[f"d{i}"] = self.DEPTH
            p[f"w{i}"] = self.WIDTH
            for b in BRANCHES:
                p[f"s{i}_{b}"] = self.SPLIT
            p[f"r{i}_3x3"] = self.RATIO
            p[f"r{i}_5x5"] = self.RATIO
        return p

    def constraints(self) -> list[str]:
        return [
            f"{self.num_stages} stages; block width = c1 + c3 + c5 + cp, in [{MIN_WIDTH}, {MAX_WIDTH}]",
            f"every branch and reduction width is a multiple of {QUANTUM}, at least {QUANTUM}; reductions <= their branch",
        ]

    def size(self) -> float:
        return float(count_stage_configs()) ** self.num_stages

    def sample(self, trial) -> InceptionConfig:
        cols: dict[str, list[int]] = {k: [] for k in ("d", "c1", "r3", "c3", "r5", "c5", "cp")}
        for i in range(1, self.num_stages + 1):
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
        return InceptionConfig(t["d"], t["c1"], t["r3"], t["c3"], t["r5"], t["c5"], t["cp"], **self._fixed)

    @staticmethod
    def _check_options(c: InceptionConfig) -> list[str]:
        problems = []
        if c.stem not in STEMS:
            problems.append(f"stem {c.stem!r} not one of {STEMS}")
        if c.kernel_5x5 not in WIDE_KERNELS:
            problems.append(f"kernel_5x5 {c.kernel_5x5} not one of {WIDE_KERNELS}")
        if c.stem_width < 1:
            problems.append(f"stem width {c.stem_width} must be positive")
        if c.activation not in layers.ACTIVATIONS:
            problems.append(f"activation {c.activation!r} not one of {layers.ACTIVATIONS}")
        return problems

    def check(self, config: InceptionConfig) -> list[str]:
        c = config
        cols = (c.depths, c.out_1x1, c.red_3x3, c.out_3x3, c.red_5x5, c.out_5x5, c.out_pool)
        if c.blocks and any(cols):
            return ["give either explicit blocks or the per-stage fields, not both"]
        n = self.num_stages
        if not c.blocks and any(len(col) != n for col in cols):
            return [f"every per-stage field must have {n} entries (got {[len(col) for col in cols]})"]
        if c.blocks and len(c.blocks) != n:
            return [f"{len(c.blocks)} stages of blocks, expected {n}"]
        problems = []
        if any(not 1 <= d <= MAX_DEPTH for d in c.stage_depths):
            problems.append(f"depths {c.stage_depths} outside [1, {MAX_DEPTH}]")
        for i, stage in enumerate(c.stage_blocks(), 1):
            for j, block in enumerate(stage if c.blocks else stage[:1], 1):
                problems += check_block(f"stage {i}" + (f" block {j}" if c.blocks else ""), block)
        return problems + self._check_options(c)

    def screen_batch(self, values, regime, geometry):
        """Vectorised split, reductions and regime test (every sampled config satisfies the constraints)."""
        n = len(values["d1"])
        if regime is None:
            return np.ones(n, dtype=bool), None
        cols: dict[str, list[np.ndarray]] = {k: [] for k in ("d", "c1", "r3", "c3", "r5", "c5", "cp")}
        for i in range(1, self.num_stages + 1):
            cols["d"].append(values[f"d{i}"])
            c1, c3, c5, cp = split_width_batch(values[f"w{i}"], [values[f"s{i}_{b}"] for b in BRANCHES])
            cols["c1"].append(c1)
            cols["c3"].append(c3)
            cols["c5"].append(c5)
            cols["cp"].append(cp)
            cols["r3"].append(reduction_width_batch(c3, values[f"r{i}_3x3"]))
            cols["r5"].append(reduction_width_batch(c5, values[f"r{i}_5x5"]))
        t = {k: tuple(v) for k, v in cols.items()}
        batch = InceptionConfig(t["d"], t["c1"], t["r3"], t["c3"], t["r5"], t["c5"], t["cp"], **self._fixed)
        metric = np.asarray(getattr(inception_complexity(batch, geometry), regime.metric))
        return (metric >= regime.low) & (metric <= regime.high), metric

    def build(self, config: InceptionConfig, geometry: Geometry = IMAGENET) -> nn.Module:
        return Inception(config, geometry)

    def complexity(self, config: InceptionConfig, geometry: Geometry = IMAGENET) -> Complexity:
        return inception_complexity(config, geometry)

"""VGG: a stem-less stack of 5 stages of plain 3×3 convs, each stage closed by a 2×2 max-pool.

Stage i has n_i convs of width w_i (3×3, BN, ReLU; no bias), then a 2×2 stride-2 max-pool; the head is a global
average pool and one fully connected layer (no VGG-16-style 4096-wide classifier: the classifier stays small so
complexity is dominated by the sampled body). Sampled per stage: n_i uniform in [1, 4], w_i log-uniform in [16, 1024]
rounded to a multiple of 8. Size: 4^5 · 127^5 ≈ 3.4e13 configs.

There is no stem: the first conv sees the full input (224 px gives 7×7 before the head, 32 px gives 1×1). All 5
stages are always built; a stage's max-pool is left out when its feature map is already smaller than 2×2
(inputs under 32 px), so any resolution builds and the number of stages never depends on the resolution.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch
import torch.nn as nn

from netspace.search_spaces import complexity as cx
from netspace.search_spaces import layers
from netspace.search_spaces.base import DesignSpace, SpaceConfig
from netspace.search_spaces.complexity import Complexity
from netspace.search_spaces.params import Float, Int, Param

NUM_STAGES = 5
MAX_DEPTH = 4
MIN_WIDTH, MAX_WIDTH, QUANTUM = 16, 1024, 8
POOL = 2


@dataclass(frozen=True)
class VGGConfig(SpaceConfig):
    """Per-stage number of 3×3 convs and their width."""

    depths: tuple[int, ...]
    widths: tuple[int, ...]

    @property
    def layer_widths(self) -> list[int]:
        """Width of every conv in order."""
        return [w for w, d in zip(self.widths, self.depths) for _ in range(d)]


def pools(resolution: int, num_stages: int = NUM_STAGES) -> list[bool]:
    """Whether each stage ends with its 2×2 max-pool (only when the feature map is at least 2×2)."""
    out, h = [], resolution
    for _ in range(num_stages):
        out.append(h >= POOL)
        h = cx.pool_size(h, POOL, POOL) if h >= POOL else h
    return out


class VGG(nn.Module):
    """The network of a :class:`VGGConfig`."""

    def __init__(self, config: VGGConfig, in_channels: int = 3, num_classes: int = 1000, resolution: int = 224):
        super().__init__()
        self.config = config
        stages, w_in = [], in_channels
        for d, w, pool in zip(config.depths, config.widths, pools(resolution, len(config.depths))):
            ops: list[nn.Module] = []
            for i in range(d):
                ops += [*layers.conv_bn(w_in if i == 0 else w, w, 3), nn.ReLU(inplace=True)]
            if pool:
                ops.append(nn.MaxPool2d(POOL, POOL))
            stages.append(nn.Sequential(*ops))
            w_in = w
        self.stages = nn.Sequential(*stages)
        self.head = layers.Head(w_in, num_classes)
        layers.init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.stages(x))


def vgg_complexity(config: VGGConfig, resolution: int = 224, in_channels: int = 3, num_classes: int = 1000) -> Complexity:
    """Analytic complexity of :class:`VGG` (max-pools cost nothing and only shrink the map).

    Depths and widths may be numpy int arrays (one entry per candidate config): vectorised screening."""
    total, h, w_in = cx.ZERO, resolution, in_channels
    for d, w, pool in zip(config.depths, config.widths, pools(resolution, len(config.depths))):
        first, _ = layers.complexity_conv_bn(h, w_in, w, 3)
        rest, _ = layers.complexity_conv_bn(h, w, w, 3)
        total = total + first + rest * (d - 1)  # branch-free: depths and widths may be numpy arrays
        if pool:
            h = cx.pool_size(h, POOL, POOL)
        w_in = w
    return total + layers.complexity_head(w_in, num_classes)


class VGGSpace(DesignSpace):
    """Stem-less VGG: 5 stages of n_i 3×3 convs of width w_i, each followed by a 2×2 max-pool."""

    name = "vgg"
    summary = "VGG: 5 stages of n_i plain 3x3 convs (width w_i) each closed by a 2x2 max-pool, GAP + FC head"
    config_cls: ClassVar[type] = VGGConfig

    DEPTH = Int(1, MAX_DEPTH, doc="3x3 convs in the stage")
    WIDTH = Float(MIN_WIDTH, MAX_WIDTH, log=True, quantum=QUANTUM, doc="stage width, a multiple of 8")

    def parameters(self) -> dict[str, Param]:
        p: dict[str, Param] = {}
        for i in range(1, NUM_STAGES + 1):
            p[f"d{i}"] = self.DEPTH
            p[f"w{i}"] = self.WIDTH
        return p

    def constraints(self) -> list[str]:
        return [
            f"{NUM_STAGES} stages of 1..{MAX_DEPTH} convs; widths multiples of {QUANTUM} in [{MIN_WIDTH}, {MAX_WIDTH}]",
            "a stage's 2x2 max-pool is skipped when its feature map is already below 2x2",
        ]

    def sample(self, trial) -> VGGConfig:
        ds, ws = [], []
        for i in range(1, NUM_STAGES + 1):
            ds.append(self.DEPTH.suggest(trial, f"d{i}"))
            ws.append(int(self.WIDTH.suggest(trial, f"w{i}")))
        return VGGConfig(tuple(ds), tuple(ws))

    def check(self, config: VGGConfig) -> list[str]:
        if not (len(config.depths) == len(config.widths) == NUM_STAGES):
            return [f"depths and widths must have {NUM_STAGES} entries (got {len(config.depths)}, {len(config.widths)})"]
        problems = []
        if any(not 1 <= d <= MAX_DEPTH for d in config.depths):
            problems.append(f"depths {list(config.depths)} outside [1, {MAX_DEPTH}]")
        if any(not MIN_WIDTH <= w <= MAX_WIDTH or w % QUANTUM for w in config.widths):
            problems.append(f"widths {list(config.widths)} must be multiples of {QUANTUM} in [{MIN_WIDTH}, {MAX_WIDTH}]")
        return problems

    def screen_batch(self, values, regime, resolution, in_channels, num_classes):
        """Vectorised regime test (every sampled config satisfies the constraints)."""
        n = len(values["d1"])
        if regime is None:
            return np.ones(n, dtype=bool), None
        stages = range(1, NUM_STAGES + 1)
        batch = VGGConfig(tuple(values[f"d{i}"] for i in stages), tuple(values[f"w{i}"] for i in stages))
        metric = np.asarray(getattr(vgg_complexity(batch, resolution, in_channels, num_classes), regime.metric))
        return (metric >= regime.low) & (metric <= regime.high), metric

    def build(self, config: VGGConfig, in_channels: int = 3, num_classes: int = 1000, resolution: int = 224) -> nn.Module:
        return VGG(config, in_channels, num_classes, resolution)

    def complexity(self, config: VGGConfig, resolution: int = 224, in_channels: int = 3, num_classes: int = 1000) -> Complexity:
        return vgg_complexity(config, resolution, in_channels, num_classes)

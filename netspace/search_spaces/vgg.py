"""VGG: a stem-less stack of 5 stages of plain 3×3 convs, each stage closed by a 2×2 max-pool.

Stage i has n_i convs of width w_i (3×3, BN, ReLU; no bias), then a 2×2 stride-2 max-pool; the head is a global
average pool and one fully connected layer (no VGG-16-style 4096-wide classifier: the classifier stays small so
complexity is dominated by the sampled body). Sampled per stage: n_i uniform in [1, 4], w_i log-uniform in [16, 1024]
rounded to a multiple of 8. Size: 4^5 · 127^5 ≈ 3.4e13 configs.

There is no stem: the first conv sees the full input (224 px gives 7×7 before the head, 32 px gives 1×1). All 5
stages are always built; a stage's max-pool is left out when its feature map is already smaller than 2×2
(inputs under 32 px), so any resolution builds and the number of stages never depends on the resolution.

Structural options (config fields; the sampled space keeps the defaults unless a ``VGGSpace(head=..., bn=...,
conv_bias=...)`` instance fixes others): ``head`` "gap" (default) or "classic" — VGG's classifier: flatten the final
h×h map → FC ``hidden`` → ReLU → dropout → FC ``hidden`` → ReLU → dropout → FC classes (torchvision first pools
the map to 7×7, a no-op at 224 px); ``bn`` (BN after every conv, default on); ``conv_bias`` (default off); ``activation`` "relu" (default) or "silu" (Swish), after every conv and hidden FC.
VGG-11/16/19 are depths (1,1,2,2,2), (2,2,3,3,3), (2,2,4,4,4), widths (64,128,256,512,512), classic head, biased
convs, with or without BN.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn as nn

from netspace.search_spaces import complexity as cx
from netspace.search_spaces import layers
from netspace.search_spaces.base import DesignSpace, SpaceConfig
from netspace.search_spaces.complexity import Complexity
from netspace.search_spaces.geometry import IMAGENET, Geometry
from netspace.search_spaces.params import Float, Int, Param

NUM_STAGES = 5
MAX_DEPTH = 4
MIN_WIDTH, MAX_WIDTH, QUANTUM = 16, 1024, 8
POOL = 2
HEADS = ("gap", "classic")


@dataclass(frozen=True)
class VGGConfig(SpaceConfig):
    """Per-stage number of 3×3 convs and their width."""

    depths: tuple[int, ...]
    widths: tuple[int, ...]
    head: str = "gap"
    bn: bool = True
    conv_bias: bool = False
    hidden: int = 4096
    dropout: float = 0.5
    activation: str = "relu"

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


class ClassicHead(nn.Sequential):
    """VGG's classifier: flatten → FC ``hidden`` → ReLU → dropout → FC ``hidden`` → ReLU → dropout → FC classes."""

    def __init__(self, c_in: int, hidden: int, num_classes: int, dropout: float, act: str = "relu"):
        super().__init__(
            nn.Flatten(1), nn.Linear(c_in, hidden), layers.activation(act), nn.Dropout(dropout),
            nn.Linear(hidden, hidden), layers.activation(act), nn.Dropout(dropout), nn.Linear(hidden, num_classes),
        )


def complexity_classic_head(c_in: int, hidden: int, num_classes: int) -> Complexity:
    return cx.linear(c_in, hidden) + cx.linear(hidden, hidden) + cx.linear(hidden, num_classes)


def final_size(resolution: int, num_stages: int = NUM_STAGES) -> int:
    """Side of the last feature map (what the classic head flattens)."""
    h = resolution
    for pool in pools(resolution, num_stages):
        h = cx.pool_size(h, POOL, POOL) if pool else h
    return h


class VGG(nn.Module):
    """The network of a :class:`VGGConfig`."""

    def __init__(self, config: VGGConfig, geometry: Geometry = IMAGENET):
        super().__init__()
        self.config = config
        c, g = config, geometry
        stages, w_in = [], g.in_channels
        for d, w, pool in zip(c.depths, c.widths, pools(g.resolution, len(c.depths))):
            ops: list[nn.Module] = []
            for i in range(d):
                ops += layers.conv_bn_relu(w_in if i == 0 else w, w, 3, bn=c.bn, bias=c.conv_bias, act=c.activation)
            if pool:
                ops.append(nn.MaxPool2d(POOL, POOL))
            stages.append(nn.Sequential(*ops))
            w_in = w
        self.stages = nn.Sequential(*stages)
        if c.head == "classic":
            h = final_size(g.resolution, len(c.depths))
            self.head: nn.Module = ClassicHead(w_in * h * h, c.hidden, g.num_classes, c.dropout, c.activation)
        else:
            self.head = layers.Head(w_in, g.num_classes)
        layers.init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.stages(x))


def vgg_complexity(config: VGGConfig, geometry: Geometry = IMAGENET) -> Complexity:
    """Analytic complexity of :class:`VGG` (max-pools cost nothing and only shrink the map).

    Depths and widths may be numpy int arrays (one entry per candidate config): vectorised screening."""
    c, g = config, geometry
    total, h, w_in = cx.ZERO, g.resolution, g.in_channels
    for d, w, pool in zip(c.depths, c.widths, pools(g.resolution, len(c.depths))):
        first, _ = layers.complexity_conv_bn(h, w_in, w, 3, bn=c.bn, bias=c.conv_bias)
        rest, _ = layers.complexity_conv_bn(h, w, w, 3, bn=c.bn, bias=c.conv_bias)
        total = total + first + rest * (d - 1)  # branch-free: depths and widths may be numpy arrays
        if pool:
            h = cx.pool_size(h, POOL, POOL)
        w_in = w
    if c.head == "classic":
        return total + complexity_classic_head(w_in * h * h, c.hidden, g.num_classes)
    return total + layers.complexity_head(w_in, g.num_classes)


class VGGSpace(DesignSpace):
    """Stem-less VGG: 5 stages of n_i 3×3 convs of width w_i, each followed by a 2×2 max-pool."""

    name = "vgg"
    summary = "VGG: 5 stages of n_i plain 3x3 convs (width w_i) each closed by a 2x2 max-pool, GAP + FC head"
    config_cls: ClassVar[type] = VGGConfig

    DEPTH = Int(1, MAX_DEPTH, doc="3x3 convs in the stage")
    WIDTH = Float(MIN_WIDTH, MAX_WIDTH, log=True, quantum=QUANTUM, doc="stage width, a multiple of 8")

    def __init__(self, head: str = "gap", bn: bool = True, conv_bias: bool = False, activation: str = "relu"):
        if head not in HEADS:
            raise ValueError(f"VGGSpace: head {head!r} not one of {HEADS}")
        self._fixed: dict[str, Any] = {"head": head, "bn": bool(bn), "conv_bias": bool(conv_bias),
                       "activation": layers.activation_name(activation)}

    def options(self) -> dict[str, Any]:
        return dict(self._fixed)

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
        return VGGConfig(tuple(ds), tuple(ws), **self._fixed)

    def check(self, config: VGGConfig) -> list[str]:
        if not (len(config.depths) == len(config.widths) == NUM_STAGES):
            return [f"depths and widths must have {NUM_STAGES} entries (got {len(config.depths)}, {len(config.widths)})"]
        problems = []
        if any(not 1 <= d <= MAX_DEPTH for d in config.depths):
            problems.append(f"depths {list(config.depths)} outside [1, {MAX_DEPTH}]")
        if any(not MIN_WIDTH <= w <= MAX_WIDTH or w % QUANTUM for w in config.widths):
            problems.append(f"widths {list(config.widths)} must be multiples of {QUANTUM} in [{MIN_WIDTH}, {MAX_WIDTH}]")
        if config.head not in HEADS:
            problems.append(f"head {config.head!r} not one of {HEADS}")
        if config.activation not in layers.ACTIVATIONS:
            problems.append(f"activation {config.activation!r} not one of {layers.ACTIVATIONS}")
        if config.hidden < 1 or not 0 <= config.dropout < 1:
            problems.append(f"classic head: hidden width {config.hidden} must be positive, dropout {config.dropout} in [0, 1)")
        return problems

    def screen_batch(self, values, regime, geometry):
        """Vectorised regime test (every sampled config satisfies the constraints)."""
        n = len(values["d1"])
        if regime is None:
            return np.ones(n, dtype=bool), None
        stages = range(1, NUM_STAGES + 1)
        batch = VGGConfig(tuple(values[f"d{i}"] for i in stages), tuple(values[f"w{i}"] for i in stages), **self._fixed)
        metric = np.asarray(getattr(vgg_complexity(batch, geometry), regime.metric))
        return (metric >= regime.low) & (metric <= regime.high), metric

    def build(self, config: VGGConfig, geometry: Geometry = IMAGENET) -> nn.Module:
        return VGG(config, geometry)

    def complexity(self, config: VGGConfig, geometry: Geometry = IMAGENET) -> Complexity:
        return vgg_complexity(config, geometry)

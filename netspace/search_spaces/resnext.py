"""ResNeXt: 4 stages of residual bottleneck blocks with group convs of cardinality C (Xie et al., 2017).

The network is the AnyNet template (stem 3×3 conv of 32 channels, stride 2 at ImageNet size and 1 at ≤ 64 px;
every stage's first block has stride 2; GAP + FC head) filled with X blocks: 1×1 conv → 3×3 group conv with C
groups of ``g_i`` channels each → 1×1 conv, BN after each conv, projection shortcut where the shape changes.
It is built and counted by :mod:`netspace.search_spaces.anynet` (``ResNeXtConfig.to_anynet``), so the layers
and their analytic complexity are exactly those of AnyNetX.

Sampled: per-stage depth d_i log-uniform in [1, 16]; one cardinality C ∈ {1, 2, 4, 8, 16, 32, 64} shared by all
stages; the bottleneck width per group of the first stage g ∈ {4, 8, 16, 32, 64}; the stage width multiplier
m ∈ {1, 1.5, 2} by which the per-group width grows from stage to stage (ResNeXt's template doubles it,
m = 2): g_i = round(g·m^(i-1)); and the bottleneck ratio b ∈ {1, 2, 4} (ResNeXt uses 2, ResNet 4), so stage i
has bottleneck width C·g_i and output width b·C·g_i. ResNeXt-50 (32×4d) is C = 32, g = 4, m = 2, b = 2 with
depths (3, 4, 6, 3). Configs whose last stage exceeds bottleneck width 1024 or output width 2048 (ResNeXt-50's)
are rejected. Size: 16^4 · 7 · 5 · 3 · 3 ≈ 2.1e7 configs before that rejection, 16^4 · 218 ≈ 1.4e7 after it.

Option ``stem`` (fixed per space instance, ``ResNeXtSpace(stem="resnet")``): "simple" (above) or "resnet", ResNet's
7×7/2 conv + 3×3/2 max-pool with stage 1 at stride 1, with which ResNeXt-50 (32×4d) and ResNet-50 (C = 1, g = 64,
b = 4) with ``stem_width=64`` are exactly torchvision's ``resnext50_32x4d`` and ``resnet50``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch.nn as nn

from netspace.search_spaces import layers
from netspace.search_spaces.anynet import (
    STEMS,
    AnyNet,
    AnyNetConfig,
    anynet_complexity,
    check_anynet,
)
from netspace.search_spaces.base import DesignSpace, SpaceConfig
from netspace.search_spaces.complexity import Complexity
from netspace.search_spaces.geometry import IMAGENET, Geometry
from netspace.search_spaces.params import Choice, Int, Param

NUM_STAGES = 4
MAX_DEPTH = 16
CARDINALITIES = (1, 2, 4, 8, 16, 32, 64)
GROUP_WIDTHS = (4, 8, 16, 32, 64)
WIDTH_MULTIPLIERS = (1.0, 1.5, 2.0)
BOTTLENECK_RATIOS = (1, 2, 4)
MAX_BOTTLENECK_WIDTH = 1024
MAX_WIDTH = 2048
STEM_WIDTH = 32


def stage_group_widths(group_width: int, multiplier: float, num_stages: int = NUM_STAGES) -> tuple[int, ...]:
    """Per-group bottleneck width of every stage: g_i = round(g · m^(i-1)) (round half to even)."""
    return tuple(int(round(group_width * multiplier**i)) for i in range(num_stages))


@dataclass(frozen=True)
class ResNeXtConfig(SpaceConfig):
    """Per-stage depths, the shared cardinality C, the first stage's per-group width g, the per-stage growth m of
    that width, and the bottleneck ratio b (stage output width / bottleneck width)."""

    depths: tuple[int, ...]
    cardinality: int
    group_width: int
    width_multiplier: float = 2.0
    bottleneck_ratio: int = 2
    stem_width: int = STEM_WIDTH
    stem: str = "simple"
    activation: str = "relu"

    @property
    def group_widths(self) -> tuple[int, ...]:
        return stage_group_widths(self.group_width, self.width_multiplier, len(self.depths))

    @property
    def bottleneck_widths(self) -> tuple[int, ...]:
        """C · g_i: the width of the 3×3 group conv of every stage."""
        return tuple(self.cardinality * g for g in self.group_widths)

    @property
    def widths(self) -> tuple[int, ...]:
        """b · C · g_i: every stage's output width."""
        return tuple(self.bottleneck_ratio * w for w in self.bottleneck_widths)

    def to_anynet(self) -> AnyNetConfig:
        n = len(self.depths)
        return AnyNetConfig(
            tuple(self.depths), self.widths, (self.bottleneck_ratio,) * n, self.group_widths, self.stem_width, 0.0,
            stem=self.stem, activation=self.activation,
        )


class ResNeXtSpace(DesignSpace):
    """ResNeXt: per-stage depth, shared cardinality, per-group bottleneck width, width multiplier, ratio b."""

    name = "resnext"
    summary = "ResNeXt: 4 stages of group-conv bottlenecks; depths, cardinality C, group width g, growth m, ratio b"
    config_cls: ClassVar[type] = ResNeXtConfig

    DEPTH = Int(1, MAX_DEPTH, log=True, doc="blocks in the stage")
    CARDINALITY = Choice(CARDINALITIES, doc="cardinality C: groups of the 3x3 conv, shared by all stages")
    GROUP = Choice(GROUP_WIDTHS, doc="bottleneck width per group in stage 1")
    MULTIPLIER = Choice(WIDTH_MULTIPLIERS, doc="growth of the per-group width from one stage to the next")
    RATIO = Choice(BOTTLENECK_RATIOS, doc="bottleneck ratio b: stage width / bottleneck width")

    def __init__(self, stem: str = "simple", activation: str = "relu"):
        if stem not in STEMS:
            raise ValueError(f"ResNeXtSpace: stem {stem!r} not one of {STEMS}")
        self.stem = stem
        self.activation = layers.activation_name(activation)

    def options(self) -> dict[str, Any]:
        return {"stem": self.stem, "activation": self.activation}

    def parameters(self) -> dict[str, Param]:
        p: dict[str, Param] = {f"d{i}": self.DEPTH for i in range(1, NUM_STAGES + 1)}
        p.update(c=self.CARDINALITY, g=self.GROUP, m=self.MULTIPLIER, b=self.RATIO)
        return p

    def constraints(self) -> list[str]:
        return [
            f"{NUM_STAGES} stages; one cardinality C for all; per-group width g_i = round(g * m^(i-1))",
            f"bottleneck widths C * g_i <= {MAX_BOTTLENECK_WIDTH}, stage widths b * C * g_i <= {MAX_WIDTH}",
        ]

    def sample(self, trial) -> ResNeXtConfig:
        depths = tuple(self.DEPTH.suggest(trial, f"d{i}") for i in range(1, NUM_STAGES + 1))
        return ResNeXtConfig(
            depths=depths,
            cardinality=int(self.CARDINALITY.suggest(trial, "c")),
            group_width=int(self.GROUP.suggest(trial, "g")),
            width_multiplier=float(self.MULTIPLIER.suggest(trial, "m")),
            bottleneck_ratio=int(self.RATIO.suggest(trial, "b")),
            stem=self.stem,
            activation=self.activation,
        )

    def check(self, config: ResNeXtConfig) -> list[str]:
        c = config
        if len(c.depths) != NUM_STAGES:
            return [f"{len(c.depths)} stages, expected {NUM_STAGES}"]
        problems = []
        if any(not 1 <= d <= MAX_DEPTH for d in c.depths):
            problems.append(f"depths {list(c.depths)} outside [1, {MAX_DEPTH}]")
        for field, value, allowed in (
            ("cardinality", c.cardinality, CARDINALITIES),
            ("group width", c.group_width, GROUP_WIDTHS),
            ("width multiplier", c.width_multiplier, WIDTH_MULTIPLIERS),
            ("bottleneck ratio", c.bottleneck_ratio, BOTTLENECK_RATIOS),
        ):
            if value not in allowed:
                problems.append(f"{field} {value} not in {allowed}")
        if problems:
            return problems
        if max(c.bottleneck_widths) > MAX_BOTTLENECK_WIDTH:
            problems.append(f"bottleneck widths {list(c.bottleneck_widths)} exceed {MAX_BOTTLENECK_WIDTH}")
        if max(c.widths) > MAX_WIDTH:
            problems.append(f"stage widths {list(c.widths)} exceed {MAX_WIDTH}")
        if c.stem_width < 1:
            problems.append(f"stem width {c.stem_width} must be positive")
        if c.stem != self.stem:
            problems.append(f"stem {c.stem!r}: this space has the {self.stem!r} stem")
        if c.activation != self.activation:
            problems.append(f"activation {c.activation!r}: this space has {self.activation!r}")
        return problems + check_anynet(c.to_anynet(), NUM_STAGES)

    def screen_batch(self, values, regime, geometry):
        """Vectorised width caps and regime test (same arithmetic as :func:`stage_group_widths`)."""
        c, g, m, b = values["c"], values["g"], values["m"], values["b"]
        gs = [np.rint(g * m**i).astype(np.int64) for i in range(NUM_STAGES)]
        valid = np.ones(len(c), dtype=bool)
        for gi in gs:
            valid &= (c * gi <= MAX_BOTTLENECK_WIDTH) & (b * c * gi <= MAX_WIDTH)
        if regime is None:
            return valid, None
        ds = tuple(values[f"d{i}"] for i in range(1, NUM_STAGES + 1))
        batch = AnyNetConfig(ds, tuple(b * c * gi for gi in gs), (b,) * NUM_STAGES, tuple(gs), STEM_WIDTH, 0.0, stem=self.stem)
        metric = np.asarray(getattr(anynet_complexity(batch, geometry), regime.metric))
        return valid & (metric >= regime.low) & (metric <= regime.high), metric[valid]

    def build(self, config: ResNeXtConfig, geometry: Geometry = IMAGENET) -> nn.Module:
        return AnyNet(config.to_anynet(), geometry)

    def complexity(self, config: ResNeXtConfig, geometry: Geometry = IMAGENET) -> Complexity:
        return anynet_complexity(config.to_anynet(), geometry)

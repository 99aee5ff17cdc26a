"""A tiny third-party design space: two 3×3 convs of a sampled width, then global pool and a classifier.

netspace finds it only through the entry point declared in this package's pyproject.toml::

    [project.entry-points."netspace.search_spaces"]
    toy = "netspace_toy_plugin:ToySpace"
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn as nn

from netspace.search_spaces import (
    IMAGENET,
    Complexity,
    DesignSpace,
    Geometry,
    SpaceConfig,
    layers,
)
from netspace.search_spaces.params import Choice, Int, Param

__all__ = ["ToyConfig", "ToyNet", "ToySpace", "toy_complexity"]


@dataclass(frozen=True)
class ToyConfig(SpaceConfig):
    """Width of both convs and the stride of the second."""

    width: int
    stride: int = 2


class ToyNet(nn.Module):
    """conv 3×3 (stride 1) → conv 3×3 (stride s), each with BN and ReLU → global average pool → FC."""

    def __init__(self, config: ToyConfig, in_channels: int = 3, num_classes: int = 10):
        super().__init__()
        w = config.width
        self.body = nn.Sequential(
            *layers.conv_bn(in_channels, w, 3), nn.ReLU(inplace=True),
            *layers.conv_bn(w, w, 3, config.stride), nn.ReLU(inplace=True),
        )
        self.head = layers.Head(w, num_classes)
        layers.init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def toy_complexity(config: ToyConfig, geometry: Geometry) -> Complexity:
    a, h = layers.complexity_conv_bn(geometry.resolution, geometry.in_channels, config.width, 3)
    b, _ = layers.complexity_conv_bn(h, config.width, config.width, 3, config.stride)
    return a + b + layers.complexity_head(config.width, geometry.num_classes)


class ToySpace(DesignSpace):
    """Two convs of one sampled width (8..64, step 8) and a sampled stride (1 or 2) for the second."""

    name = "toy"
    summary = "Toy (plugin): two 3x3 convs of a sampled width, GAP + FC"
    config_cls: ClassVar[type] = ToyConfig

    WIDTH = Int(8, 64, step=8, doc="width of both convs")
    STRIDE = Choice((1, 2), doc="stride of the second conv")

    def parameters(self) -> dict[str, Param]:
        return {"width": self.WIDTH, "stride": self.STRIDE}

    def constraints(self) -> list[str]:
        return ["width a multiple of 8 in [8, 64]; stride 1 or 2"]

    def sample(self, trial) -> ToyConfig:
        return ToyConfig(self.WIDTH.suggest(trial, "width"), int(self.STRIDE.suggest(trial, "stride")))

    def check(self, config: ToyConfig) -> list[str]:
        problems = []
        if not (8 <= config.width <= 64 and config.width % 8 == 0):
            problems.append(f"width {config.width} must be a multiple of 8 in [8, 64]")
        if config.stride not in (1, 2):
            problems.append(f"stride {config.stride} must be 1 or 2")
        return problems

    def build(self, config: ToyConfig, geometry: Geometry = IMAGENET) -> nn.Module:
        return ToyNet(config, geometry.in_channels, geometry.num_classes)

    def complexity(self, config: ToyConfig, geometry: Geometry = IMAGENET) -> Complexity:
        return toy_complexity(config, geometry)

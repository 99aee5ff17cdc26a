"""The CIFAR ResNets of He et al. (2016, section 4.2): 3 stages of basic blocks after a 3×3 conv stem.

Stem: 3×3 conv of ``stem_width`` (16) channels, BN, ReLU, at stride 1 (stride 2 only above 64 px). Three stages of
basic residual blocks (3×3 conv, BN, ReLU, 3×3 conv, BN, + shortcut, ReLU) of widths w, 2w, 4w (16/32/64 in the
paper) on 32×32, 16×16 and 8×8 maps: stage 1 keeps the stem's resolution, stages 2 and 3 start with stride 2. GAP +
FC head. The paper's networks have n blocks per stage, 6n + 2 weighted layers: ResNet-20 (n = 3), -32, -44, -56
(n = 9) and -110.

Option ``shortcut`` (fixed per space instance): ``"A"`` (the paper's CIFAR networks) is parameter-free: where a block
halves the resolution and widens, the shortcut subsamples x[:, :, ::2, ::2] and pads the new channels with zeros;
``"B"`` is a 1×1 conv + BN projection there (what pycls's CIFAR ResNets use). Only option A reproduces the paper's
parameter counts (0.27 M for ResNet-20, 0.85 M for ResNet-56; B adds 2,752 weights, which makes ResNet-56 0.86 M).

Sampled (space ``resnet_cifar``): per-stage depth d_i log-uniform in [1, 18] and the base width w ∈
{8, 16, 24, 32, 48, 64}; stage widths (w, 2w, 4w), stem width w. Size 18³ · 6 = 34,992.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn as nn
import torch.nn.functional as F

from netspace.search_spaces import layers
from netspace.search_spaces.base import DesignSpace, SpaceConfig
from netspace.search_spaces.complexity import Complexity
from netspace.search_spaces.geometry import IMAGENET, Geometry
from netspace.search_spaces.params import Choice, Int, Param

NUM_STAGES = 3
MAX_DEPTH = 18
BASE_WIDTHS = (8, 16, 24, 32, 48, 64)
SHORTCUTS = ("A", "B")
STAGE_STRIDES = (1, 2, 2)


@dataclass(frozen=True)
class ResNetCifarConfig(SpaceConfig):
    """Blocks per stage, stage widths, stem width and the shortcut type of a CIFAR ResNet."""

    depths: tuple[int, ...]
    widths: tuple[int, ...] = (16, 32, 64)
    stem_width: int = 16
    shortcut: str = "A"

    @property
    def layers(self) -> int:
        """Weighted layers as the paper counts them: 2 per block, the stem and the classifier (6n + 2)."""
        return 2 * sum(self.depths) + 2


class ZeroPadShortcut(nn.Module):
    """Option A: identity with subsampling by ``stride`` and zero channels appended up to ``w_out``."""

    def __init__(self, w_in: int, w_out: int, stride: int):
        super().__init__()
        self.extra, self.stride = w_out - w_in, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride != 1:
            x = x[:, :, :: self.stride, :: self.stride]
        return F.pad(x, (0, 0, 0, 0, 0, self.extra)) if self.extra else x


class BasicBlock(layers._Residual):
    """The paper's basic block: 3×3 conv (stride s), BN, ReLU, 3×3 conv, BN, + shortcut (A or B), ReLU."""

    def __init__(self, w_in: int, w_out: int, stride: int, shortcut: str):
        f = nn.Sequential(*layers.conv_bn_relu(w_in, w_out, 3, stride), *layers.conv_bn(w_out, w_out, 3))
        proj: nn.Module | None
        if w_in == w_out and stride == 1:
            proj = None
        elif shortcut == "A":
            proj = ZeroPadShortcut(w_in, w_out, stride)
        else:
            proj = nn.Sequential(*layers.conv_bn(w_in, w_out, 1, stride))
        super().__init__(f, proj)


def complexity_block(h: int, w_in: int, w_out: int, stride: int, shortcut: str):
    body, ho = layers.complexity_vblock(h, w_in, w_out, stride)
    if shortcut == "B":
        body = body + layers.complexity_projection(h, w_in, w_out, stride)
    return body, ho


class ResNetCifar(nn.Module):
    """The network of a :class:`ResNetCifarConfig`."""

    def __init__(self, config: ResNetCifarConfig, geometry: Geometry = IMAGENET):
        super().__init__()
        self.config = config
        self.stem = layers.Stem(geometry.in_channels, config.stem_width, layers.stem_stride(geometry.resolution))
        stages, w_in = [], config.stem_width
        for d, w, stride in zip(config.depths, config.widths, STAGE_STRIDES):
            stages.append(nn.Sequential(*(BasicBlock(w_in if i == 0 else w, w, stride if i == 0 else 1, config.shortcut)
                                          for i in range(d))))
            w_in = w
        self.stages = nn.Sequential(*stages)
        self.head = layers.Head(w_in, geometry.num_classes)
        layers.init_weights(self)

    def forward(self, x):
        return self.head(self.stages(self.stem(x)))


def resnet_cifar_complexity(config: ResNetCifarConfig, geometry: Geometry = IMAGENET) -> Complexity:
    """Analytic complexity of :class:`ResNetCifar` (option-A shortcuts count nothing)."""
    g = geometry
    total, h = layers.complexity_stem(g.resolution, g.in_channels, config.stem_width, layers.stem_stride(g.resolution))
    w_in = config.stem_width
    for d, w, stride in zip(config.depths, config.widths, STAGE_STRIDES):
        first, h = complexity_block(h, w_in, w, stride, config.shortcut)
        rest, _ = complexity_block(h, w, w, 1, config.shortcut)
        total = total + first + rest * (d - 1)
        w_in = w
    return total + layers.complexity_head(w_in, g.num_classes)


def resnet_cifar_config(n: int, shortcut: str = "A", width: int = 16) -> ResNetCifarConfig:
    """The paper's ResNet-(6n + 2): n blocks in each stage, widths (w, 2w, 4w)."""
    return ResNetCifarConfig((n,) * NUM_STAGES, (width, 2 * width, 4 * width), width, shortcut)


class ResNetCifarSpace(DesignSpace):
    """CIFAR ResNets: per-stage depth and a base width, 3 stages of basic blocks."""

    name = "resnet_cifar"
    summary = "CIFAR ResNets (He et al. 2016): 3 stages of basic blocks, widths (w, 2w, 4w), depths d1-d3"
    config_cls: ClassVar[type] = ResNetCifarConfig

    DEPTH = Int(1, MAX_DEPTH, log=True, doc="basic blocks in the stage")
    WIDTH = Choice(BASE_WIDTHS, doc="base width w: stem and stage 1 (stages 2 and 3 have 2w and 4w)")

    def __init__(self, shortcut: str = "A"):
        if shortcut not in SHORTCUTS:
            raise ValueError(f"ResNetCifarSpace: shortcut {shortcut!r} not one of {SHORTCUTS}")
        self.shortcut = shortcut

    def options(self) -> dict[str, Any]:
        return {"shortcut": self.shortcut}

    def parameters(self) -> dict[str, Param]:
        return {"d1": self.DEPTH, "d2": self.DEPTH, "d3": self.DEPTH, "w": self.WIDTH}

    def constraints(self) -> list[str]:
        return [f"{NUM_STAGES} stages of widths (w, 2w, 4w); stage 1 at the stem's resolution, stages 2-3 stride 2"]

    def sample(self, trial) -> ResNetCifarConfig:
        depths = tuple(self.DEPTH.suggest(trial, f"d{i}") for i in range(1, NUM_STAGES + 1))
        w = int(self.WIDTH.suggest(trial, "w"))
        return ResNetCifarConfig(depths, (w, 2 * w, 4 * w), w, self.shortcut)

    def check(self, config: ResNetCifarConfig) -> list[str]:
        c = config
        if not len(c.depths) == len(c.widths) == NUM_STAGES:
            return [f"{len(c.depths)} depths and {len(c.widths)} widths, expected {NUM_STAGES} of each"]
        problems = []
        if any(d < 1 for d in c.depths) or any(w < 1 for w in c.widths) or c.stem_width < 1:
            problems.append("depths and widths must be positive")
        if c.shortcut != self.shortcut:
            problems.append(f"shortcut {c.shortcut!r}: this space has shortcut {self.shortcut!r}")
        if c.shortcut == "A" and any(b < a for a, b in zip((c.stem_width, *c.widths), c.widths)):
            problems.append(f"shortcut A pads channels, so widths cannot shrink: {[c.stem_width, *c.widths]}")
        return problems

    def build(self, config: ResNetCifarConfig, geometry: Geometry = IMAGENET) -> nn.Module:
        return ResNetCifar(config, geometry)

    def complexity(self, config: ResNetCifarConfig, geometry: Geometry = IMAGENET) -> Complexity:
        return resnet_cifar_complexity(config, geometry)


# -- presets: the paper's CIFAR-10 networks (Table 6), option A, at 3×32×32 with 10 classes ---------------------------
#: blocks per stage n -> (parameters as Table 6 prints them, in millions; exact parameters; multiply-adds as
#: FlopCounterMode counts them, no bias adds)
PAPER_TABLE_6 = {3: (0.27, 269_722, 40_551_040), 5: (0.46, 464_154, 68_862_592), 7: (0.66, 658_586, 97_174_144),
                 9: (0.85, 853_018, 125_485_696), 18: (1.7, 1_727_962, 252_887_680)}
CIFAR10 = Geometry(32, 3, 10)


def cifar_presets():
    """``resnet20`` … ``resnet110``: the paper's CIFAR ResNets as presets of the ``resnet_cifar`` space."""
    from netspace.search_spaces.presets import Preset, Reference

    out = []
    for n, (millions, params, macs) in PAPER_TABLE_6.items():
        depth = 6 * n + 2
        ref = Reference(f"He et al. 2016, Table 6: ResNet-{depth} on CIFAR-10, {millions}M params (option A shortcuts)",
                        params=params, macs=macs)
        out.append(Preset(f"resnet{depth}", ResNetCifarSpace.name, resnet_cifar_config(n).to_dict(), ref, CIFAR10,
                          summary=f"ResNet-{depth} for CIFAR (He et al., 2016): 3 stages of {n} basic blocks, 16/32/64"))
    return tuple(out)

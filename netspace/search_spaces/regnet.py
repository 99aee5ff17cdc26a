"""RegNet: per-block widths from a quantized linear function, and the RegNetX / RegNetY design spaces.

u_j = w0 + wa·j (j < d);  s_j = round(log(u_j / w0) / log(wm));  w_j = w0·wm^s_j rounded to a multiple of q.
Equal consecutive widths form a stage (per-stage width = the unique w_j, depth = its count); widths are then
made compatible with the group width. A sample whose number of stages is not the formula's (max s_j + 1) or
not the wanted count (4) is rejected, as the authors' sampler does. RegNetY adds squeeze-excitation (0.25).

Options fixed per space instance (``RegNetX(num_stages=5, block="R")``), as in the paper's generalization tests:
the wanted stage count (4 or 5) and the block type (X, R or V; see :mod:`netspace.search_spaces.anynet`); the
``activation`` (ReLU or SiLU/Swish) and, when given, the ``bottleneck_ratios`` b draws from (b < 1 is the inverted
bottleneck, e.g. ``RegNetX(bottleneck_ratios=(0.25, 0.5, 1, 2, 4))``; by default the class's own b choices).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import torch.nn as nn

from netspace.search_spaces import layers
from netspace.search_spaces.anynet import (
    BLOCKS,
    STAGE_COUNTS,
    AnyNet,
    AnyNetConfig,
    anynet_complexity,
    bottleneck_ratios_option,
    check_anynet,
    make_anynet_config,
)
from netspace.search_spaces.base import DesignSpace, SpaceConfig
from netspace.search_spaces.complexity import Complexity
from netspace.search_spaces.geometry import IMAGENET, Geometry
from netspace.search_spaces.params import Choice, Float, Int, Param

QUANTUM = 8


def block_widths(w0: int, wa: float, wm: float, depth: int, q: int = QUANTUM) -> tuple[list[int], int]:
    """Quantized width of every block and the number of stages the formula allows (max s_j + 1)."""
    if not (w0 > 0 and wa >= 0 and wm > 1 and depth > 0 and w0 % q == 0):
        raise ValueError(f"invalid RegNet parameters w0={w0} wa={wa} wm={wm} d={depth} (need w0 > 0 divisible by {q}, wa >= 0, wm > 1)")
    log_wm = math.log(wm)
    ws, s_max = [], 0
    for j in range(depth):
        s = round(math.log((w0 + wa * j) / w0) / log_wm)
        s_max = max(s_max, s)
        ws.append(int(round(w0 * wm**s / q)) * q)
    return ws, s_max + 1


def stages_from_blocks(ws: list[int]) -> tuple[list[int], list[int]]:
    """Per-stage widths (the distinct block widths, ascending) and depths (their counts)."""
    counts: dict[int, int] = {}
    for w in ws:
        counts[w] = counts.get(w, 0) + 1
    widths = sorted(counts)
    return widths, [counts[w] for w in widths]


@dataclass(frozen=True)
class RegNetConfig(SpaceConfig):
    """The six RegNet parameters (plus SE ratio and stem width)."""

    depth: int
    w0: int
    wa: float
    wm: float
    bottleneck_ratio: int | float = 1
    group_width: int = 8
    se_ratio: float = 0.0
    stem_width: int = 32
    block: str = "X"
    activation: str = "relu"

    def stages(self) -> tuple[list[int], list[int], int]:
        """(per-stage widths before group adjustment, depths, number of stages the formula allows)."""
        ws, total = block_widths(self.w0, self.wa, self.wm, self.depth)
        widths, depths = stages_from_blocks(ws)
        return widths, depths, total

    def to_anynet(self) -> AnyNetConfig:
        widths, depths, _ = self.stages()
        n = len(widths)
        b, g = (self.bottleneck_ratio, self.group_width) if self.block == "X" else (1, 1)  # R, V: no bottleneck
        return make_anynet_config(depths, widths, [b] * n, [g] * n, self.stem_width, self.se_ratio, block=self.block,
                                  activation=self.activation)


class RegNetSpace(DesignSpace):
    """RegNet parameters d, w0, wa, wm, b, g (ranges of the paper's RegNet design space)."""

    config_cls: ClassVar[type] = RegNetConfig
    se_ratio: ClassVar[float] = 0.0

    def __init__(self, num_stages: int = 4, block: str = "X", activation: str = "relu", bottleneck_ratios=None):
        if num_stages not in STAGE_COUNTS or block not in BLOCKS or (block != "X" and self.se_ratio):
            raise ValueError(f"{type(self).__name__}: {num_stages} stages of {block} blocks: need {STAGE_COUNTS} "
                             f"stages of {BLOCKS} blocks (SE only on X)")
        self.num_stages, self.block = num_stages, block
        self.activation = layers.activation_name(activation)
        self.bottleneck_ratios = None if bottleneck_ratios is None else bottleneck_ratios_option(
            bottleneck_ratios, type(self).__name__)

    def options(self) -> dict[str, Any]:
        out: dict[str, Any] = {"num_stages": self.num_stages, "block": self.block, "activation": self.activation}
        if self.bottleneck_ratios is not None:
            out["bottleneck_ratios"] = list(self.bottleneck_ratios)
        return out

    PARAMS: ClassVar[dict[str, Param]] = {
        "d": Int(1, 63, doc="total number of blocks"),
        "w0": Float(8, 248, log=True, quantum=QUANTUM, doc="initial width, a multiple of 8"),
        "wa": Float(1, 256, log=True, doc="slope of the linear width function"),
        "wm": Float(1.5, 3, log=True, doc="width multiplier between stages (quantization log-step)"),
        "b": Choice((1, 2, 4), doc="bottleneck ratio"),
        "g": Choice((1, 2, 4, 8, 16, 32), doc="group width"),
    }

    def parameters(self) -> dict[str, Param]:
        p = dict(self.PARAMS)
        if self.bottleneck_ratios is not None:  # this instance's own b choices (e.g. with inverted bottlenecks)
            p["b"] = Choice(self.bottleneck_ratios, doc="bottleneck ratio (b < 1: inverted bottleneck)")
        return p

    def constraints(self) -> list[str]:
        return [
            f"exactly {self.num_stages} stages after quantization (and as many as the formula allows)",
            "group width divides bottleneck width (g = min(g, w/b), w/b rounded to a multiple of g)",
        ]

    def sample(self, trial) -> RegNetConfig:
        p = self.parameters()
        return RegNetConfig(
            depth=p["d"].suggest(trial, "d"),  # type: ignore[arg-type]  # an Int param: an int
            w0=p["w0"].suggest(trial, "w0"),  # type: ignore[arg-type]
            wa=p["wa"].suggest(trial, "wa"),
            wm=p["wm"].suggest(trial, "wm"),
            bottleneck_ratio=p["b"].suggest(trial, "b"),
            group_width=p["g"].suggest(trial, "g"),  # type: ignore[arg-type]
            se_ratio=self.se_ratio,
            block=self.block,
            activation=self.activation,
        )

    def check(self, config: RegNetConfig) -> list[str]:
        try:
            widths, _, total = config.stages()
        except ValueError as exc:
            return [str(exc)]
        if len(widths) != total:
            return [f"{len(widths)} distinct stage widths but the formula allows {total} stages"]
        if self.num_stages and len(widths) != self.num_stages:
            return [f"{len(widths)} stages, expected {self.num_stages}"]
        if config.block != self.block:
            return [f"block {config.block}: this space has {self.block} blocks"]
        if config.activation != self.activation:
            return [f"activation {config.activation}: this space has {self.activation}"]
        b = self.parameters()["b"]
        if self.bottleneck_ratios is not None and isinstance(b, Choice) and config.bottleneck_ratio not in b.choices:
            return [f"bottleneck ratio {config.bottleneck_ratio} not in {b.choices}"]
        return check_anynet(config.to_anynet())

    def screen_batch(self, values, regime, geometry):
        return screen_regnet(self, values, regime, geometry)

    def build(self, config: RegNetConfig, geometry: Geometry = IMAGENET) -> nn.Module:
        return AnyNet(config.to_anynet(), geometry)

    def complexity(self, config: RegNetConfig, geometry: Geometry = IMAGENET) -> Complexity:
        return anynet_complexity(config.to_anynet(), geometry)


class RegNetX(RegNetSpace):
    name = "regnetx"
    summary = "RegNetX: quantized linear per-block widths (d, w0, wa, wm, b, g), X blocks"


class RegNetY(RegNetSpace):
    name = "regnety"
    summary = "RegNetY: RegNetX with squeeze-excitation (ratio 0.25)"
    se_ratio = 0.25


#: Published model-zoo configurations (depth, w0, wa, wm, group width); b = 1.
REGNETX_ZOO = {
    "200MF": (13, 24, 36.44, 2.49, 8), "400MF": (22, 24, 24.48, 2.54, 16), "600MF": (16, 48, 36.97, 2.24, 24),
    "800MF": (16, 56, 35.73, 2.28, 16), "1.6GF": (18, 80, 34.01, 2.25, 24), "3.2GF": (25, 88, 26.31, 2.25, 48),
    "4.0GF": (23, 96, 38.65, 2.43, 40), "6.4GF": (17, 184, 60.83, 2.07, 56), "8.0GF": (23, 80, 49.56, 2.88, 120),
    "12GF": (19, 168, 73.36, 2.37, 112), "16GF": (22, 216, 55.59, 2.1, 128), "32GF": (23, 320, 69.86, 2.0, 168),
}
REGNETY_ZOO = {
    "200MF": (13, 24, 36.44, 2.49, 8), "400MF": (16, 48, 27.89, 2.09, 8), "600MF": (15, 48, 32.54, 2.32, 16),
    "800MF": (14, 56, 38.84, 2.4, 16), "1.6GF": (27, 48, 20.71, 2.65, 24), "3.2GF": (21, 80, 42.63, 2.66, 24),
    "4.0GF": (22, 96, 31.41, 2.24, 64), "6.4GF": (25, 112, 33.22, 2.27, 72), "8.0GF": (17, 192, 76.82, 2.19, 56),
    "12GF": (19, 168, 73.36, 2.37, 112), "16GF": (18, 200, 106.23, 2.48, 112), "32GF": (20, 232, 115.89, 2.53, 232),
}


def zoo_config(family: str, size: str) -> RegNetConfig:
    """A published RegNetX/RegNetY configuration, e.g. ``zoo_config("regnetx", "200MF")``."""
    table = {"regnetx": (REGNETX_ZOO, 0.0), "regnety": (REGNETY_ZOO, 0.25)}[family.lower()]
    d, w0, wa, wm, g = table[0][size]
    return RegNetConfig(d, w0, wa, wm, 1, g, table[1])


def stages_batch(d, w0, wa, wm, num_stages: int, q: int = QUANTUM):
    """Vectorised :meth:`RegNetConfig.stages` for candidates with exactly ``num_stages`` stages.

    Returns ``(valid, widths, depths)``: a mask of candidates whose quantized widths form exactly ``num_stages``
    stages (as many as the formula allows), and per-stage width/depth arrays (meaningful where valid).
    """
    import numpy as np

    n = len(d)
    log_wm = np.log(wm)
    # s_j is non-decreasing in j, so the last block tells the number of stages the formula allows
    s_last = np.rint(np.log((w0 + wa * (d - 1)) / w0) / log_wm)
    idx = np.flatnonzero(s_last == num_stages - 1)
    valid = np.zeros(n, dtype=bool)
    widths = [np.full(n, q, dtype=np.int64) for _ in range(num_stages)]
    depths = [np.ones(n, dtype=np.int64) for _ in range(num_stages)]
    if idx.size == 0:
        return valid, widths, depths
    dd, ww0, wwa, lwm = d[idx], w0[idx], wa[idx], log_wm[idx]
    j = np.arange(int(dd.max()))[None, :]
    s = np.rint(np.log((ww0[:, None] + wwa[:, None] * j) / ww0[:, None]) / lwm[:, None])
    s = np.where(j < dd[:, None], s, -1)  # blocks past d belong to no stage
    ok = np.ones(idx.size, dtype=bool)
    prev = None
    for k in range(num_stages):
        depth = (s == k).sum(axis=1)
        width = (np.rint(ww0 * np.power(wm[idx], k) / q) * q).astype(np.int64)
        ok &= depth > 0
        if prev is not None:
            ok &= width > prev  # equal quantized widths would merge two stages
        prev = width
        widths[k][idx] = width
        depths[k][idx] = depth
    valid[idx] = ok
    return valid, widths, depths


def screen_regnet(space: RegNetSpace, values, regime, geometry: Geometry):
    """Vectorised :meth:`RegNetSpace.check` + regime test for a batch of parameter draws."""

    import numpy as np

    from netspace.search_spaces.anynet import screen_anynet

    n = space.num_stages
    valid, widths, depths = stages_batch(values["d"], values["w0"], values["wa"], values["wm"], n)
    if space.block == "X":
        bs, gs = [values["b"]] * n, [values["g"]] * n
    else:  # R and V blocks have no bottleneck: b = g = 1, as in RegNetConfig.to_anynet
        bs = gs = [np.ones(len(values["d"]), dtype=np.int64)] * n
    mask, metric, _ = screen_anynet(depths, widths, bs, gs, regime, geometry, space.se_ratio, valid, block=space.block,
                                    activation=space.activation)
    return mask, metric

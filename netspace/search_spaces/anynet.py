"""AnyNet: stem → stages of X (or Y) blocks → head, and the AnyNetX design spaces A–E.

AnyNetX per stage i: depth d_i ≤ 16, width w_i ≤ 1024 (multiple of 8), bottleneck ratio b_i ∈ {1, 2, 4},
group width g_i ∈ {1, …, 32}; log-uniform where the paper samples log-uniformly. The constraint chain:
A (free) → B (shared b) → C (shared b and g) → D (C + w_{i+1} ≥ w_i) → E (D + d_{i+1} ≥ d_i).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch.nn as nn

from netspace.search_spaces import layers
from netspace.search_spaces.base import DesignSpace, SpaceConfig
from netspace.search_spaces.complexity import Complexity
from netspace.search_spaces.params import Choice, Float, Int, Param, monotone_count

BOTTLENECK_RATIOS = (1, 2, 4)
GROUP_WIDTHS = (1, 2, 4, 8, 16, 32)
NUM_STAGES = 4


@dataclass(frozen=True)
class AnyNetConfig(SpaceConfig):
    """Per-stage depths, widths, bottleneck ratios (w / w_b) and group widths of an AnyNet."""

    depths: tuple[int, ...]
    widths: tuple[int, ...]
    bottleneck_ratios: tuple[int, ...]
    group_widths: tuple[int, ...]
    stem_width: int = 32
    se_ratio: float = 0.0

    @property
    def block_widths(self) -> list[int]:
        """Width of every block in order (the paper's width-per-block plots)."""
        return [w for w, d in zip(self.widths, self.depths) for _ in range(d)]


def adjust_compatibility(widths, ratios, group_widths):
    """Make every stage's group width divide its bottleneck width, as pycls does:
    g = min(g, w/b), then round w/b to a multiple of g (at least g) and set w = (w/b)·b."""
    ws, gs = [], []
    for w, b, g in zip(widths, ratios, group_widths):
        w_b = max(1, int(round(w / b)))
        g = min(g, w_b)
        w_b = max(g, int(round(w_b / g)) * g)
        ws.append(int(w_b * b))
        gs.append(int(g))
    return tuple(ws), tuple(gs)


def make_anynet_config(depths, widths, ratios, group_widths, stem_width: int = 32, se_ratio: float = 0.0) -> AnyNetConfig:
    ws, gs = adjust_compatibility(widths, ratios, group_widths)
    return AnyNetConfig(tuple(int(d) for d in depths), ws, tuple(int(b) for b in ratios), gs, stem_width, se_ratio)


class AnyNet(nn.Module):
    """The network of an :class:`AnyNetConfig`; every stage's first block has stride 2."""

    def __init__(self, config: AnyNetConfig, in_channels: int = 3, num_classes: int = 1000, resolution: int = 224):
        super().__init__()
        self.config = config
        self.stem = layers.Stem(in_channels, config.stem_width, layers.stem_stride(resolution))
        stages, w_in = [], config.stem_width
        for d, w, b, g in zip(config.depths, config.widths, config.bottleneck_ratios, config.group_widths):
            blocks = [layers.XBlock(w_in if i == 0 else w, w, 2 if i == 0 else 1, b, g, config.se_ratio) for i in range(d)]
            stages.append(nn.Sequential(*blocks))
            w_in = w
        self.stages = nn.Sequential(*stages)
        self.head = layers.Head(w_in, num_classes)
        layers.init_weights(self)

    def forward(self, x):
        return self.head(self.stages(self.stem(x)))


def anynet_complexity(config: AnyNetConfig, resolution: int = 224, in_channels: int = 3, num_classes: int = 1000) -> Complexity:
    """Analytic complexity of :class:`AnyNet`: per stage, the first block plus (d - 1) identical blocks."""
    total, h = layers.complexity_stem(resolution, in_channels, config.stem_width, layers.stem_stride(resolution))
    w_in, se = config.stem_width, config.se_ratio
    for d, w, b, g in zip(config.depths, config.widths, config.bottleneck_ratios, config.group_widths):
        first, h = layers.complexity_xblock(h, w_in, w, 2, b, g, se)
        rest, _ = layers.complexity_xblock(h, w, w, 1, b, g, se)
        total = total + first + rest * (d - 1)
        w_in = w
    return total + layers.complexity_head(w_in, num_classes)


def check_anynet(config: AnyNetConfig, num_stages: int | None = None) -> list[str]:
    """Structural validity: matching lengths, positive sizes, group widths dividing bottleneck widths."""
    c = config
    problems = []
    n = len(c.depths)
    if not (len(c.widths) == len(c.bottleneck_ratios) == len(c.group_widths) == n):
        return [f"depths, widths, bottleneck_ratios and group_widths must have one entry per stage (got {len(c.depths)}, {len(c.widths)}, {len(c.bottleneck_ratios)}, {len(c.group_widths)})"]
    if num_stages is not None and n != num_stages:
        problems.append(f"{n} stages, expected {num_stages}")
    for i, (d, w, b, g) in enumerate(zip(c.depths, c.widths, c.bottleneck_ratios, c.group_widths), 1):
        if d < 1 or w < 1 or b <= 0 or g < 1:
            problems.append(f"stage {i}: depth, width, bottleneck ratio and group width must be positive")
        elif (w / b) % g or w % b:
            problems.append(f"stage {i}: group width {g} does not divide bottleneck width {w}/{b}")
    return problems


def _shared_up_to_clamping(config: AnyNetConfig) -> bool:
    """One group width G for all stages, where a stage narrower than G uses its bottleneck width instead."""
    g_max = max(config.group_widths)
    return all(g == g_max or g == w // b for g, w, b in zip(config.group_widths, config.widths, config.bottleneck_ratios))


class AnyNetXSpace(DesignSpace):
    """AnyNetX with optional sharing and monotonicity constraints (A–E are instances)."""

    config_cls: ClassVar[type] = AnyNetConfig
    shared_b: ClassVar[bool] = False
    shared_g: ClassVar[bool] = False
    increasing_w: ClassVar[bool] = False
    increasing_d: ClassVar[bool] = False
    se_ratio: ClassVar[float] = 0.0

    DEPTH = Int(1, 16, log=True, doc="blocks in the stage")
    WIDTH = Float(8, 1024, log=True, quantum=8, doc="stage width, a multiple of 8")
    RATIO = Choice(BOTTLENECK_RATIOS, doc="bottleneck ratio b (w_b = w / b)")
    GROUP = Choice(GROUP_WIDTHS, doc="group width g of the 3x3 conv")

    def parameters(self) -> dict[str, Param]:
        p: dict[str, Param] = {}
        for i in range(1, NUM_STAGES + 1):
            p[f"d{i}"] = self.DEPTH
            p[f"w{i}"] = self.WIDTH
            if not self.shared_b:
                p[f"b{i}"] = self.RATIO
            if not self.shared_g:
                p[f"g{i}"] = self.GROUP
        if self.shared_b:
            p["b"] = self.RATIO
        if self.shared_g:
            p["g"] = self.GROUP
        return p

    def constraints(self) -> list[str]:
        out = [f"{NUM_STAGES} stages; group width divides bottleneck width (g = min(g, w/b), w/b rounded to a multiple of g)"]
        if self.shared_b:
            out.append("one bottleneck ratio b shared by all stages")
        if self.shared_g:
            out.append("one group width g shared by all stages")
        if self.increasing_w:
            out.append("widths non-decreasing: w_{i+1} >= w_i")
        if self.increasing_d:
            out.append("depths non-decreasing: d_{i+1} >= d_i")
        return out

    def size(self) -> float:
        n = NUM_STAGES
        d, w = self.DEPTH.cardinality(), self.WIDTH.cardinality()
        b, g = self.RATIO.cardinality(), self.GROUP.cardinality()
        size = (monotone_count(d, n) if self.increasing_d else d**n) * (monotone_count(w, n) if self.increasing_w else w**n)
        size *= b if self.shared_b else b**n
        size *= g if self.shared_g else g**n
        return size

    def sample(self, trial) -> AnyNetConfig:
        b_shared = self.RATIO.suggest(trial, "b") if self.shared_b else None
        g_shared = self.GROUP.suggest(trial, "g") if self.shared_g else None
        ds, ws, bs, gs = [], [], [], []
        for i in range(1, NUM_STAGES + 1):
            ds.append(self.DEPTH.suggest(trial, f"d{i}"))
            ws.append(self.WIDTH.suggest(trial, f"w{i}"))
            bs.append(b_shared if self.shared_b else self.RATIO.suggest(trial, f"b{i}"))
            gs.append(g_shared if self.shared_g else self.GROUP.suggest(trial, f"g{i}"))
        return make_anynet_config(ds, ws, bs, gs, se_ratio=self.se_ratio)

    def check(self, config: AnyNetConfig) -> list[str]:
        problems = check_anynet(config, NUM_STAGES)
        if problems:
            return problems
        if any(not 1 <= d <= 16 for d in config.depths):
            problems.append(f"depths {list(config.depths)} outside [1, 16]")
        if any(w > 1024 or w % 8 for w in config.widths):
            problems.append(f"widths {list(config.widths)} must be multiples of 8 up to 1024")
        if any(b not in BOTTLENECK_RATIOS for b in config.bottleneck_ratios):
            problems.append(f"bottleneck ratios {list(config.bottleneck_ratios)} not in {BOTTLENECK_RATIOS}")
        if self.shared_b and len(set(config.bottleneck_ratios)) > 1:
            problems.append("bottleneck ratios differ across stages (shared b)")
        if self.shared_g and not _shared_up_to_clamping(config):
            problems.append(f"group widths {list(config.group_widths)} differ across stages (shared g)")
        if self.increasing_w and any(a > b for a, b in zip(config.widths, config.widths[1:])):
            problems.append(f"widths {list(config.widths)} decrease")
        if self.increasing_d and any(a > b for a, b in zip(config.depths, config.depths[1:])):
            problems.append(f"depths {list(config.depths)} decrease")
        return problems

    def screen_batch(self, values, regime, resolution, in_channels, num_classes):
        return screen_anynetx(self, values, regime, resolution, in_channels, num_classes)

    def build(self, config: AnyNetConfig, in_channels: int = 3, num_classes: int = 1000, resolution: int = 224) -> nn.Module:
        return AnyNet(config, in_channels, num_classes, resolution)

    def complexity(self, config: AnyNetConfig, resolution: int = 224, in_channels: int = 3, num_classes: int = 1000) -> Complexity:
        return anynet_complexity(config, resolution, in_channels, num_classes)


class AnyNetXA(AnyNetXSpace):
    name = "anynetx_a"
    summary = "AnyNetX-A: 4 stages of X blocks, per-stage d, w, b, g all free"


class AnyNetXB(AnyNetXA):
    name = "anynetx_b"
    summary = "AnyNetX-B: A with one bottleneck ratio b shared by all stages"
    shared_b = True


class AnyNetXC(AnyNetXB):
    name = "anynetx_c"
    summary = "AnyNetX-C: B with one group width g shared by all stages"
    shared_g = True


class AnyNetXD(AnyNetXC):
    name = "anynetx_d"
    summary = "AnyNetX-D: C with non-decreasing widths"
    increasing_w = True


class AnyNetXE(AnyNetXD):
    name = "anynetx_e"
    summary = "AnyNetX-E: D with non-decreasing depths"
    increasing_d = True


# -- vectorised screening (fast regime-constrained sampling) -----------------------------------------------

def adjust_compatibility_batch(widths, ratios, group_widths):
    """:func:`adjust_compatibility` on numpy arrays (one entry per candidate config)."""
    import numpy as np

    w_b = np.maximum(1, np.rint(widths / ratios)).astype(np.int64)
    g = np.minimum(group_widths, w_b)
    w_b = np.maximum(g, np.rint(w_b / g).astype(np.int64) * g)
    return w_b * ratios, g


def screen_anynet(depths, widths, ratios, groups, regime, resolution, in_channels, num_classes, se_ratio=0.0, valid=None):
    """Vectorised constraint-free part of screening: adjust widths, count complexity, apply the regime.

    Each argument is a list with one numpy array per stage. Returns ``(mask, metric, widths)``.
    """
    import numpy as np

    adjusted = [adjust_compatibility_batch(w, b, g) for w, b, g in zip(widths, ratios, groups)]
    ws = [a[0] for a in adjusted]
    gs = [a[1] for a in adjusted]
    n = len(depths[0])
    mask = np.ones(n, dtype=bool) if valid is None else valid.copy()
    if regime is None:
        return mask, None, ws
    cfg = AnyNetConfig(tuple(depths), tuple(ws), tuple(ratios), tuple(gs), 32, se_ratio)
    metric = np.asarray(getattr(anynet_complexity(cfg, resolution, in_channels, num_classes), regime.metric))
    mask &= (metric >= regime.low) & (metric <= regime.high)
    return mask, metric[valid] if valid is not None else metric, ws


def screen_anynetx(space: "AnyNetXSpace", values, regime, resolution, in_channels, num_classes):
    """Vectorised :meth:`AnyNetXSpace.check` + regime test for a batch of parameter draws."""
    import numpy as np

    stages = range(1, NUM_STAGES + 1)
    ds = [values[f"d{i}"] for i in stages]
    ws = [values[f"w{i}"] for i in stages]
    bs = [values["b"] if space.shared_b else values[f"b{i}"] for i in stages]
    gs = [values["g"] if space.shared_g else values[f"g{i}"] for i in stages]
    valid = np.ones(len(ds[0]), dtype=bool)
    if space.increasing_d:
        for a, b in zip(ds, ds[1:]):
            valid &= a <= b
    # monotone widths are checked on the compatibility-adjusted widths, as `check` does
    mask, metric, adj = screen_anynet(ds, ws, bs, gs, regime, resolution, in_channels, num_classes, space.se_ratio, valid)
    if space.increasing_w:
        for a, b in zip(adj, adj[1:]):
            mask &= a <= b
    return mask, metric

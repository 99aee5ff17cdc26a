"""AnyNet: stem → stages of X (or Y, R, V) blocks → head, and the AnyNetX design spaces A–E.

AnyNetX per stage i: depth d_i ≤ 16, width w_i ≤ 1024 (multiple of 8), bottleneck ratio b_i ∈ {1, 2, 4},
group width g_i ∈ {1, …, 32}; log-uniform where the paper samples log-uniformly. The constraint chain:
A (free) → B (shared b) → C (shared b and g) → D (C + w_{i+1} ≥ w_i) → E (D + d_{i+1} ≥ d_i).

Structural options (config fields with defaults, fixed per space instance: ``AnyNetXE(num_stages=5, block="R")``),
as in the paper's generalization tests: 4 or 5 stages; block X (bottleneck with group conv; + SE = Y), R (basic
residual: two 3×3 convs) or V (vanilla: two 3×3 convs, no shortcut; R and V have no b and g); stem "simple"
(3×3 conv, stride 2, or 1 at ≤ 64 px) or "resnet" (7×7/2 conv + 3×3/2 max-pool, then stage 1 has stride 1);
``activation`` "relu" (default) or "silu" (Swish) everywhere in the network (SE included, as pycls); and the
bottleneck ratios b may draw from (``bottleneck_ratios``, default {1, 2, 4}); b < 1 (1/4, 1/2) is the paper's
inverted bottleneck, e.g. ``AnyNetXA(bottleneck_ratios=(0.25, 0.5, 1, 2, 4))``, then ``restrict(b=0.25)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import torch.nn as nn

from netspace.search_spaces import layers
from netspace.search_spaces.base import DesignSpace, SpaceConfig
from netspace.search_spaces.complexity import Complexity
from netspace.search_spaces.geometry import IMAGENET, Geometry
from netspace.search_spaces.params import Choice, Float, Int, Param, monotone_count

ACTIVATIONS = layers.ACTIVATIONS

BOTTLENECK_RATIOS = (1, 2, 4)
GROUP_WIDTHS = (1, 2, 4, 8, 16, 32)
NUM_STAGES = 4
STAGE_COUNTS = (1, 2, 3, 4, 5)  # the paper samples 4 (default) or 5; seed networks may have fewer
BLOCKS = ("X", "R", "V")  # Y is X with se_ratio > 0
STEMS = ("simple", "resnet")


@dataclass(frozen=True)
class AnyNetConfig(SpaceConfig):
    """Per-stage depths, widths, bottleneck ratios (w / w_b) and group widths of an AnyNet."""

    depths: tuple[int, ...]
    widths: tuple[int, ...]
    bottleneck_ratios: tuple[int, ...]
    group_widths: tuple[int, ...]
    stem_width: int = 32
    se_ratio: float = 0.0
    block: str = "X"
    stem: str = "simple"
    conv_bias: bool = False
    activation: str = "relu"

    @property
    def block_widths(self) -> list[int]:
        """Width of every block in order (the paper's width-per-block plots)."""
        return [w for w, d in zip(self.widths, self.depths) for _ in range(d)]


def ratio_value(b) -> int | float:
    """A bottleneck ratio as configs hold it: an int when whole (1, 2, 4), else a float (0.25, 0.5)."""
    b = float(b)
    return int(b) if b.is_integer() else b


def check_ratio(b) -> str | None:
    """Why ``b`` cannot be a bottleneck ratio (None when it can): b must be a positive integer or 1/integer, so
    that both w = w_b·b and w_b = w/b stay whole."""
    try:
        b = float(b)
    except (TypeError, ValueError):
        return f"bottleneck ratio {b!r} is not a number"
    if b <= 0 or not (b.is_integer() or (1 / b).is_integer()):
        return f"bottleneck ratio {b:g} must be a positive integer or 1/n (e.g. 0.25, 0.5, 1, 2, 4)"
    return None


def _ratio_multiple(g: int, b) -> int:
    """What the bottleneck width must be a multiple of: g, and also 1/b for an inverted bottleneck (b < 1), so
    that w = w_b·b is whole (pycls's lcm rule, with b the paper's ratio w / w_b)."""
    return math.lcm(int(g), int(round(1 / b))) if b < 1 else int(g)


def adjust_compatibility(widths, ratios, group_widths):
    """Make every stage's group width divide its bottleneck width, as pycls does:
    g = min(g, w/b), then round w/b to a multiple of g (at least g) and set w = (w/b)·b. For b < 1 the multiple is
    lcm(g, 1/b), so the block width stays whole (unchanged for b ≥ 1)."""
    ws, gs = [], []
    for w, b, g in zip(widths, ratios, group_widths):
        w_b = max(1, int(round(w / b)))
        g = min(g, w_b)
        m = _ratio_multiple(g, b)
        w_b = max(m, int(round(w_b / m)) * m)
        ws.append(int(round(w_b * b)))
        gs.append(int(g))
    return tuple(ws), tuple(gs)


def bottleneck_ratios_option(ratios, owner: str) -> tuple:
    """The ``bottleneck_ratios`` option validated: a non-empty tuple of distinct ratios (ints when whole), ascending."""
    if isinstance(ratios, (int, float)):
        ratios = (ratios,)
    try:
        values = list(ratios)
    except TypeError:
        raise ValueError(f"{owner}: bottleneck_ratios must be a list of numbers, got {ratios!r}") from None
    if not values:
        raise ValueError(f"{owner}: bottleneck_ratios must not be empty")
    for b in values:
        problem = check_ratio(b)
        if problem:
            raise ValueError(f"{owner}: {problem}")
    return tuple(sorted({ratio_value(b) for b in values}))


def make_anynet_config(depths, widths, ratios, group_widths, stem_width: int = 32, se_ratio: float = 0.0,
                       **options) -> AnyNetConfig:
    """A config with group widths made compatible; ``options``: ``block``, ``stem``, ``conv_bias``, ``activation``."""
    ws, gs = adjust_compatibility(widths, ratios, group_widths)
    return AnyNetConfig(tuple(int(d) for d in depths), ws, tuple(ratio_value(b) for b in ratios), gs, stem_width, se_ratio,  # type: ignore[misc]  # b < 1 is a float
                        **options)


def first_stride(config: AnyNetConfig) -> int:
    """Stride of stage 1's first block: 1 after the ResNet stem (it already divides the resolution by 4), else 2."""
    return 1 if config.stem == "resnet" else 2


def make_stem(config: AnyNetConfig, in_channels: int, resolution: int) -> nn.Module:
    if config.stem == "resnet":
        return layers.ResNetStem(in_channels, config.stem_width, config.conv_bias, config.activation)
    return layers.Stem(in_channels, config.stem_width, layers.stem_stride(resolution), config.conv_bias, config.activation)


def complexity_stem(config: AnyNetConfig, geometry: Geometry):
    g = geometry
    if config.stem == "resnet":
        return layers.complexity_resnet_stem(g.resolution, g.in_channels, config.stem_width, config.conv_bias)
    return layers.complexity_stem(g.resolution, g.in_channels, config.stem_width, layers.stem_stride(g.resolution),
                                  config.conv_bias)


def make_block(config: AnyNetConfig, w_in: int, w_out: int, stride: int, b, g) -> nn.Module:
    act = config.activation
    if config.block == "R":
        return layers.RBlock(w_in, w_out, stride, config.conv_bias, act)
    if config.block == "V":
        return layers.VBlock(w_in, w_out, stride, config.conv_bias, act)
    return layers.XBlock(w_in, w_out, stride, b, g, config.se_ratio, config.conv_bias, act)


def complexity_block(config: AnyNetConfig, h, w_in, w_out, stride: int, b, g):
    """Complexity of :func:`make_block`; sizes may be numpy arrays (vectorised screening)."""
    if config.block == "R":
        return layers.complexity_rblock(h, w_in, w_out, stride, config.conv_bias)
    if config.block == "V":
        return layers.complexity_vblock(h, w_in, w_out, stride, config.conv_bias)
    return layers.complexity_xblock(h, w_in, w_out, stride, b, g, config.se_ratio, config.conv_bias)


class AnyNet(nn.Module):
    """The network of an :class:`AnyNetConfig`; every stage's first block has stride 2."""

    def __init__(self, config: AnyNetConfig, geometry: Geometry = IMAGENET):
        super().__init__()
        self.config = config
        self.stem = make_stem(config, geometry.in_channels, geometry.resolution)
        stages, w_in, stride = [], config.stem_width, first_stride(config)
        for d, w, b, g in zip(config.depths, config.widths, config.bottleneck_ratios, config.group_widths):
            blocks = [make_block(config, w_in if i == 0 else w, w, stride if i == 0 else 1, b, g) for i in range(d)]
            stages.append(nn.Sequential(*blocks))
            w_in, stride = w, 2
        self.stages = nn.Sequential(*stages)
        self.head = layers.Head(w_in, geometry.num_classes)
        layers.init_weights(self)

    def forward(self, x):
        return self.head(self.stages(self.stem(x)))


def anynet_complexity(config: AnyNetConfig, geometry: Geometry = IMAGENET) -> Complexity:
    """Analytic complexity of :class:`AnyNet`: per stage, the first block plus (d - 1) identical blocks."""
    total, h = complexity_stem(config, geometry)
    w_in, stride = config.stem_width, first_stride(config)
    for d, w, b, g in zip(config.depths, config.widths, config.bottleneck_ratios, config.group_widths):
        first, h = complexity_block(config, h, w_in, w, stride, b, g)
        rest, _ = complexity_block(config, h, w, w, 1, b, g)
        total = total + first + rest * (d - 1)
        w_in, stride = w, 2
    return total + layers.complexity_head(w_in, geometry.num_classes)


def check_anynet(config: AnyNetConfig, num_stages: int | None = None) -> list[str]:
    """Structural validity: matching lengths, positive sizes, group widths dividing bottleneck widths, known
    block and stem, SE only on X blocks."""
    c = config
    problems = []
    if c.block not in BLOCKS:
        problems.append(f"block {c.block!r} not one of {BLOCKS} (Y = X with se_ratio > 0)")
    elif c.se_ratio and c.block != "X":
        problems.append(f"squeeze-excitation (se_ratio {c.se_ratio}) needs block X, not {c.block}")
    if c.stem not in STEMS:
        problems.append(f"stem {c.stem!r} not one of {STEMS}")
    if c.activation not in ACTIVATIONS:
        problems.append(f"activation {c.activation!r} not one of {ACTIVATIONS}")
    n = len(c.depths)
    if not (len(c.widths) == len(c.bottleneck_ratios) == len(c.group_widths) == n):
        return [f"depths, widths, bottleneck_ratios and group_widths must have one entry per stage (got {len(c.depths)}, {len(c.widths)}, {len(c.bottleneck_ratios)}, {len(c.group_widths)})"]
    if num_stages is not None and n != num_stages:
        problems.append(f"{n} stages, expected {num_stages}")
    for i, (d, w, b, g) in enumerate(zip(c.depths, c.widths, c.bottleneck_ratios, c.group_widths), 1):
        if d < 1 or w < 1 or b <= 0 or g < 1:
            problems.append(f"stage {i}: depth, width, bottleneck ratio and group width must be positive")
        elif check_ratio(b):
            problems.append(f"stage {i}: {check_ratio(b)}")
        elif (w / b) % g or w % b:
            problems.append(f"stage {i}: group width {g} does not divide bottleneck width {w}/{b}")
    return problems


def _shared_up_to_clamping(config: AnyNetConfig) -> bool:
    """One group width G for all stages, where a stage narrower than G uses its bottleneck width instead."""
    g_max = max(config.group_widths)
    return all(g == g_max or g == w // b for g, w, b in zip(config.group_widths, config.widths, config.bottleneck_ratios))


class AnyNetXSpace(DesignSpace):
    """AnyNetX with optional sharing and monotonicity constraints (A–E are instances).

    ``num_stages`` (4 or 5), ``block`` (X, R or V) and ``stem`` ("simple" or "resnet") are fixed per instance;
    the defaults are the paper's AnyNetX. R and V blocks have no bottleneck ratio or group width to sample.
    """

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

    def __init__(self, num_stages: int = NUM_STAGES, block: str = "X", stem: str = "simple", activation: str = "relu",
                 bottleneck_ratios=BOTTLENECK_RATIOS):
        activation = layers.activation_name(activation)  # unknown names raise ValueError
        ratios = bottleneck_ratios_option(bottleneck_ratios, type(self).__name__)
        problems = check_anynet(AnyNetConfig((1,) * num_stages, (8,) * num_stages, (1,) * num_stages,
                                             (1,) * num_stages, 32, self.se_ratio, block, stem, activation=activation))
        if num_stages not in STAGE_COUNTS or problems:
            raise ValueError(f"{type(self).__name__}: {num_stages} stages (allowed {STAGE_COUNTS}); {'; '.join(problems)}")
        self.num_stages, self.block, self.stem, self.activation = num_stages, block, stem, activation
        self.bottleneck_ratios = ratios
        if ratios != BOTTLENECK_RATIOS:
            self.RATIO = Choice(ratios, doc=self.RATIO.doc)

    @property
    def bottleneck(self) -> bool:
        """Whether blocks have a bottleneck ratio and group width (X/Y blocks)."""
        return self.block == "X"

    def parameters(self) -> dict[str, Param]:
        p: dict[str, Param] = {}
        for i in range(1, self.num_stages + 1):
            p[f"d{i}"] = self.DEPTH
            p[f"w{i}"] = self.WIDTH
            if self.bottleneck and not self.shared_b:
                p[f"b{i}"] = self.RATIO
            if self.bottleneck and not self.shared_g:
                p[f"g{i}"] = self.GROUP
        if self.bottleneck and self.shared_b:
            p["b"] = self.RATIO
        if self.bottleneck and self.shared_g:
            p["g"] = self.GROUP
        return p

    def constraints(self) -> list[str]:
        out = [f"{self.num_stages} stages of {self.block} blocks, {self.stem} stem"]
        if self.bottleneck:
            out[0] += "; group width divides bottleneck width (g = min(g, w/b), w/b rounded to a multiple of g)"
        if self.bottleneck and self.shared_b:
            out.append("one bottleneck ratio b shared by all stages")
        if self.bottleneck and self.shared_g:
            out.append("one group width g shared by all stages")
        if self.increasing_w:
            out.append("widths non-decreasing: w_{i+1} >= w_i")
        if self.increasing_d:
            out.append("depths non-decreasing: d_{i+1} >= d_i")
        return out

    def size(self) -> float:
        n = self.num_stages
        d, w = self.DEPTH.cardinality(), self.WIDTH.cardinality()
        b, g = (self.RATIO.cardinality(), self.GROUP.cardinality()) if self.bottleneck else (1, 1)
        size = (monotone_count(d, n) if self.increasing_d else d**n) * (monotone_count(w, n) if self.increasing_w else w**n)
        size *= b if self.shared_b else b**n
        size *= g if self.shared_g else g**n
        return size

    def _suggest_bg(self, trial, name: str, param: Param, shared):
        if not self.bottleneck:
            return 1
        return shared if shared is not None else param.suggest(trial, name)

    def sample(self, trial) -> AnyNetConfig:
        b_shared = self.RATIO.suggest(trial, "b") if self.bottleneck and self.shared_b else None
        g_shared = self.GROUP.suggest(trial, "g") if self.bottleneck and self.shared_g else None
        ds, ws, bs, gs = [], [], [], []
        for i in range(1, self.num_stages + 1):
            ds.append(self.DEPTH.suggest(trial, f"d{i}"))
            ws.append(self.WIDTH.suggest(trial, f"w{i}"))
            bs.append(self._suggest_bg(trial, f"b{i}", self.RATIO, b_shared))
            gs.append(self._suggest_bg(trial, f"g{i}", self.GROUP, g_shared))
        return make_anynet_config(ds, ws, bs, gs, se_ratio=self.se_ratio, **self._config_options())

    def options(self) -> dict[str, Any]:
        return {"num_stages": self.num_stages, "block": self.block, "stem": self.stem, "activation": self.activation,
                "bottleneck_ratios": list(self.bottleneck_ratios)}

    def _config_options(self) -> dict[str, Any]:
        """The config fields this instance fixes."""
        return {"block": self.block, "stem": self.stem, "activation": self.activation}

    def check(self, config: AnyNetConfig) -> list[str]:
        problems = check_anynet(config, self.num_stages)
        if problems:
            return problems
        if (config.block, config.stem) != (self.block, self.stem):
            problems.append(f"block {config.block} / stem {config.stem}: this space has {self.block} / {self.stem}")
        if config.activation != self.activation:
            problems.append(f"activation {config.activation}: this space has {self.activation}")
        if any(not 1 <= d <= 16 for d in config.depths):
            problems.append(f"depths {list(config.depths)} outside [1, 16]")
        if any(w > 1024 or w % 8 for w in config.widths):
            problems.append(f"widths {list(config.widths)} must be multiples of 8 up to 1024")
        if self.bottleneck and any(b not in self.RATIO.choices for b in config.bottleneck_ratios):
            problems.append(f"bottleneck ratios {list(config.bottleneck_ratios)} not in {self.RATIO.choices}")
        if self.shared_b and len(set(config.bottleneck_ratios)) > 1:
            problems.append("bottleneck ratios differ across stages (shared b)")
        if self.shared_g and not _shared_up_to_clamping(config):
            problems.append(f"group widths {list(config.group_widths)} differ across stages (shared g)")
        if self.increasing_w and any(a > b for a, b in zip(config.widths, config.widths[1:])):
            problems.append(f"widths {list(config.widths)} decrease")
        if self.increasing_d and any(a > b for a, b in zip(config.depths, config.depths[1:])):
            problems.append(f"depths {list(config.depths)} decrease")
        return problems

    def screen_batch(self, values, regime, geometry):
        return screen_anynetx(self, values, regime, geometry)

    def build(self, config: AnyNetConfig, geometry: Geometry = IMAGENET) -> nn.Module:
        return AnyNet(config, geometry)

    def complexity(self, config: AnyNetConfig, geometry: Geometry = IMAGENET) -> Complexity:
        return anynet_complexity(config, geometry)


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

    ratios = np.asarray(ratios)
    w_b = np.maximum(1, np.rint(widths / ratios)).astype(np.int64)
    g = np.minimum(group_widths, w_b)
    inverse = np.where(ratios < 1, np.rint(1 / np.where(ratios < 1, ratios, 1)), 1).astype(np.int64)
    m = np.lcm(g, inverse)  # = g unless b < 1 (see adjust_compatibility)
    w_b = np.maximum(m, np.rint(w_b / m).astype(np.int64) * m)
    return np.rint(w_b * ratios).astype(np.int64), g


def screen_anynet(depths, widths, ratios, groups, regime, geometry: Geometry, se_ratio=0.0, valid=None, **options):
    """Vectorised constraint-free part of screening: adjust widths, count complexity, apply the regime.

    Each size argument is a list with one numpy array per stage; ``options`` are the fixed config fields
    (``block``, ``stem``, ``conv_bias``, ``stem_width``). Returns ``(mask, metric, widths)``.
    """
    import numpy as np

    adjusted = [adjust_compatibility_batch(w, b, g) for w, b, g in zip(widths, ratios, groups)]
    ws = [a[0] for a in adjusted]
    gs = [a[1] for a in adjusted]
    n = len(depths[0])
    mask = np.ones(n, dtype=bool) if valid is None else valid.copy()
    if regime is None:
        return mask, None, ws
    options.setdefault("stem_width", 32)
    cfg = AnyNetConfig(tuple(depths), tuple(ws), tuple(ratios), tuple(gs), se_ratio=se_ratio, **options)
    metric = np.asarray(getattr(anynet_complexity(cfg, geometry), regime.metric))
    mask &= (metric >= regime.low) & (metric <= regime.high)
    return mask, metric[valid] if valid is not None else metric, ws


def screen_anynetx(space: AnyNetXSpace, values, regime, geometry: Geometry):
    """Vectorised :meth:`AnyNetXSpace.check` + regime test for a batch of parameter draws."""
    import numpy as np

    stages = range(1, space.num_stages + 1)
    ds = [values[f"d{i}"] for i in stages]
    ws = [values[f"w{i}"] for i in stages]
    ones = np.ones(len(ds[0]), dtype=np.int64)
    if space.bottleneck:
        bs = [values["b"] if space.shared_b else values[f"b{i}"] for i in stages]
        gs = [values["g"] if space.shared_g else values[f"g{i}"] for i in stages]
    else:
        bs = gs = [ones] * space.num_stages
    valid = np.ones(len(ds[0]), dtype=bool)
    if space.increasing_d:
        for a, b in zip(ds, ds[1:]):
            valid &= a <= b
    # monotone widths are checked on the compatibility-adjusted widths, as `check` does
    mask, metric, adj = screen_anynet(ds, ws, bs, gs, regime, geometry, space.se_ratio, valid, **space._config_options())
    if space.increasing_w:
        for a, b in zip(adj, adj[1:]):
            mask &= a <= b
    return mask, metric

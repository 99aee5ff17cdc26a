"""Per-stage and per-block description of a trial's network from its stored config.

Works from the config dict alone for AnyNet/VGG-like configs (``depths``, ``widths``) and RegNet configs
(``depth``, ``w0``, ``wa``, ``wm``: the quantized linear function, as in
:func:`netspace.search_spaces.regnet.block_widths`, then the group-width adjustment), so the dashboard
does not have to import torch; other configs go through the design space's own ``to_anynet``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from netspace.platform.analysis import QuantizedLinearFit, quantized_linear_fit, quantized_widths


@dataclass
class Architecture:
    stages: pd.DataFrame           # stage, depth, width (+ bottleneck_ratio, group_width when known)
    block_widths: list[int]
    fit: QuantizedLinearFit | None  # best quantized linear fit of the block widths


def ratio(b) -> int | float:
    """A bottleneck ratio as stored: a whole number as an int (1, 2, 4), an inverted bottleneck (b < 1) as its
    float (0.25), never truncated to 0."""
    v = float(b)
    return int(v) if v.is_integer() else v


def _adjust(widths, ratios, groups):
    """Group-width compatibility as pycls (and netspace.search_spaces.anynet.adjust_compatibility) does: for an
    inverted bottleneck (b < 1) the bottleneck width is a multiple of lcm(g, 1/b), so w = w_b·b stays whole."""
    ws, gs = [], []
    for w, b, g in zip(widths, ratios, groups):
        w_b = max(1, int(round(w / b)))
        g = min(int(g), w_b)
        m = math.lcm(g, int(round(1 / b))) if b < 1 else g
        w_b = max(m, int(round(w_b / m)) * m)
        ws.append(int(round(w_b * b)))
        gs.append(int(g))
    return ws, gs


def _regnet_stages(c: dict):
    ws = quantized_widths(float(c["w0"]), float(c["wa"]), float(c["wm"]), int(c["depth"])).ravel().astype(int)
    widths, depths = np.unique(ws, return_counts=True)
    n = len(widths)
    b, g = ratio(c.get("bottleneck_ratio", 1)), int(c.get("group_width", 1))
    if c.get("block", "X") != "X":  # R and V blocks have no bottleneck (RegNetConfig.to_anynet)
        b, g = 1, 1
    adj, gs = _adjust(widths.tolist(), [b] * n, [g] * n)
    return depths.tolist(), adj, {"bottleneck_ratio": [b] * n, "group_width": gs}


def _from_space(space: str, config: dict):
    try:
        from netspace.search_spaces import get_space
        from netspace.search_spaces.resolution import split_resolution

        base, _ = split_resolution(config)  # a sampled resolution is not a field of the space's config
        cfg = get_space(space).config_from_dict(base)
        cfg = cfg.to_anynet() if hasattr(cfg, "to_anynet") else cfg
    except Exception:
        return None
    if not (hasattr(cfg, "depths") and hasattr(cfg, "widths")):
        return None
    extra = {k.rstrip("s"): list(getattr(cfg, k)) for k in ("bottleneck_ratios", "group_widths") if hasattr(cfg, k)}
    return list(cfg.depths), list(cfg.widths), extra


def architecture(space: str, config: dict | None, fit: bool = True) -> Architecture | None:
    """The network of ``config``; ``fit=False`` skips the quantized linear fit of its block widths (a search
    over many candidate fits: by far the costliest part, not needed for a stages line)."""
    if not isinstance(config, dict):
        return None
    if isinstance(config.get("depths"), list) and isinstance(config.get("widths"), list):
        depths, widths = config["depths"], config["widths"]
        extra = {k.rstrip("s"): config[k] for k in ("bottleneck_ratios", "group_widths") if isinstance(config.get(k), list)}
    elif {"depth", "w0", "wa", "wm"} <= set(config):
        try:
            depths, widths, extra = _regnet_stages(config)
        except (ValueError, ZeroDivisionError, OverflowError):
            return None
    else:
        got = _from_space(space, config)
        if got is None:
            return None
        depths, widths, extra = got
    n = min(len(depths), len(widths))
    if n == 0:
        return None
    stages = pd.DataFrame({"stage": range(1, n + 1), "depth": [int(d) for d in depths[:n]],
                           "width": [int(w) for w in widths[:n]]})
    for k, v in extra.items():
        if len(v) >= n:
            stages[k] = [ratio(x) if k == "bottleneck_ratio" else int(x) for x in v[:n]]
    blocks = [int(w) for w, d in zip(widths[:n], depths[:n]) for _ in range(int(d))]
    q = None
    if fit and blocks and all(w > 0 for w in blocks):
        try:
            q = quantized_linear_fit(blocks)
        except ValueError:
            q = None
    return Architecture(stages, blocks, q)

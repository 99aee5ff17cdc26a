"""Derived per-model quantities of AnyNet / RegNet networks (the papers' findings are about these, not about one
stage's raw parameter): total depth, width ratios between consecutive stages, whether widths and depths increase,
and how much the bottleneck ratio b and group width g vary across stages.

Pure functions of a config (an :class:`~netspace.search_spaces.anynet.AnyNetConfig`, a
:class:`~netspace.search_spaces.regnet.RegNetConfig`, or their ``to_dict()`` as stored in a trial's ``config``
attribute). Other families (VGG, Inception, ResNeXt) have none: an empty dict.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

FEATURE_DOCS = {
    "total_depth": "total number of blocks, sum of the stage depths",
    "width_ratio": "w_{i+1} / w_i: width of stage i+1 over stage i",
    "widths_increasing": "1 when w_{i+1} >= w_i for every stage, else 0",
    "depths_increasing": "1 when d_{i+1} >= d_i for every stage, else 0",
    "b_spread": "max / min of the bottleneck ratio across stages (1 = shared)",
    "g_spread": "max / min of the group width across stages (1 = shared)",
}
PREFIX = "feature_"


def _stages(config: Any) -> tuple[list[int], list[int], list[float], list[float]] | None:
    """(depths, widths, b, g) per stage, or None for a config that is not AnyNet / RegNet."""
    from netspace.search_spaces.anynet import AnyNetConfig
    from netspace.search_spaces.regnet import RegNetConfig

    if isinstance(config, Mapping):
        keys = set(config)
        try:
            if {"depths", "widths", "bottleneck_ratios", "group_widths"} <= keys:
                config = AnyNetConfig.from_dict(config)
            elif {"depth", "w0", "wa", "wm"} <= keys:
                config = RegNetConfig.from_dict(config)
            else:
                return None
        except Exception:
            return None
    if isinstance(config, RegNetConfig):
        try:
            config = config.to_anynet()
        except ValueError:
            return None
    if isinstance(config, AnyNetConfig):
        return list(config.depths), list(config.widths), list(map(float, config.bottleneck_ratios)), \
            list(map(float, config.group_widths))
    return None


def derived_features(config: Any) -> dict[str, float]:
    """The derived quantities of one AnyNet or RegNet config (see :data:`FEATURE_DOCS`): ``total_depth``,
    ``width_ratio_1`` … (w2/w1, w3/w2, …), ``widths_increasing``, ``depths_increasing``, ``b_spread``,
    ``g_spread``. An empty dict for other configs."""
    st = _stages(config)
    if st is None:
        return {}
    d, w, b, g = st
    out: dict[str, float] = {"total_depth": float(sum(d))}
    for i in range(len(w) - 1):
        out[f"width_ratio_{i + 1}"] = w[i + 1] / w[i]
    out["widths_increasing"] = float(all(w[i + 1] >= w[i] for i in range(len(w) - 1)))
    out["depths_increasing"] = float(all(d[i + 1] >= d[i] for i in range(len(d) - 1)))
    out["b_spread"] = max(b) / min(b)
    out["g_spread"] = max(g) / min(g)
    return out


def feature_doc(name: str) -> str:
    if name.startswith("width_ratio_"):
        i = int(name.rsplit("_", 1)[1])
        return f"w{i + 1} / w{i}: width of stage {i + 1} over stage {i}"
    return FEATURE_DOCS.get(name, "")


def derived_frame(configs) -> pd.DataFrame:
    """One row per config (same index when ``configs`` is a Series), one ``feature_<name>`` column per derived
    quantity; NaN where a config has none (other families, missing configs)."""
    idx = configs.index if isinstance(configs, pd.Series) else pd.RangeIndex(len(configs))
    rows = [derived_features(c) if c is not None and not (isinstance(c, float) and np.isnan(c)) else {}
            for c in (configs.tolist() if isinstance(configs, pd.Series) else list(configs))]
    frame = pd.DataFrame(rows, index=idx, dtype=float)
    return frame.add_prefix(PREFIX)


def feature_columns(df: pd.DataFrame) -> list[str]:
    """The ``feature_*`` columns of ``df`` holding at least one finite value."""
    return [c for c in df.columns if c.startswith(PREFIX) and np.isfinite(pd.to_numeric(df[c], errors="coerce")).any()]


def with_features(df: pd.DataFrame, config: str = "config") -> pd.DataFrame:
    """``df`` with the derived ``feature_*`` columns of its ``config`` column added (unchanged without one, or
    when they are there already)."""
    if config not in df.columns or feature_columns(df):
        return df
    return pd.concat([df, derived_frame(df[config])], axis=1)

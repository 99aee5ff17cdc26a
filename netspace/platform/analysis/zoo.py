"""Best models across regimes (RegNet paper, Sec. 5, "linear structure"; how its model zoo was made): the best k
finished trials of every regime, with their RegNet parameters d, w0, wa, wm, g, b and e_fit, against FLOPs.

Pure functions over a trials DataFrame (:func:`netspace.platform.storage.results.load_trials`); a regime is a study
(``space`` column: its label), grouped across regimes by the study attr ``regime_of`` (what ``regimes:`` on a
campaign entry sets). RegNet configs give their own d, w0, wa, wm; other configs with per-stage depths and widths
(AnyNet, VGG) get them from the quantized linear fit of their block widths; e_fit is that fit's error for both.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

ZOO_PARAMS = ("d", "w0", "wa", "wm", "g", "b", "e_fit")
REGNET_KEYS = {"depth", "w0", "wa", "wm"}


def _nan_params() -> dict[str, float]:
    return dict.fromkeys(ZOO_PARAMS, math.nan)


def _same(values) -> float:
    vals = {float(v) for v in values}
    return vals.pop() if len(vals) == 1 else math.nan


def zoo_parameters(config: Mapping[str, Any]) -> dict[str, float]:
    """d, w0, wa, wm, g, b and e_fit of one stored config (NaN where the config has no such notion)."""
    from netspace.platform.analysis.fit import quantized_linear_fit

    cfg = {k: v for k, v in dict(config or {}).items() if k != "resolution"}
    out = _nan_params()
    if set(cfg) >= REGNET_KEYS:
        from netspace.search_spaces.regnet import RegNetConfig

        rc = RegNetConfig.from_dict(cfg)
        blocks = rc.to_anynet().block_widths
        out.update(d=rc.depth, w0=rc.w0, wa=rc.wa, wm=rc.wm, g=rc.group_width, b=rc.bottleneck_ratio)
    elif "depths" in cfg and "widths" in cfg and len(cfg["depths"]) == len(cfg["widths"]):
        blocks = [w for w, d in zip(cfg["widths"], cfg["depths"]) for _ in range(int(d))]
        if not blocks:
            return out
        fit = quantized_linear_fit(blocks)
        out.update(d=len(blocks), w0=fit.w0, wa=fit.wa, wm=fit.wm)
        if cfg.get("group_widths"):
            out["g"] = max(cfg["group_widths"])
        if cfg.get("bottleneck_ratios"):
            out["b"] = _same(cfg["bottleneck_ratios"])
    else:
        return out
    out["e_fit"] = quantized_linear_fit(blocks).e_fit
    return out


def best_across_regimes(trials: pd.DataFrame, k: int = 1, groups: Mapping[str, str | None] | None = None) -> pd.DataFrame:
    """The best ``k`` finished trials of every regime (study), one row each: ``group``, ``regime`` (the study
    label), ``rank`` (1 = best), ``number``, ``error``, ``flops``, ``params``, ``acts``, ``inference_ms`` (NaN
    where not measured), ``d``, ``w0``, ``wa``, ``wm``, ``g``, ``b``, ``e_fit`` and ``config``; ordered by group,
    then by the regime's median FLOPs, then rank.

    ``groups`` maps a study label to its group (the study attr ``regime_of``); labels missing from it, or all of
    them when ``groups`` is None, form one group ``"all"``. Reference presets and unfinished trials are ignored.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    cols = ["group", "regime", "rank", "number", "error", "flops", "params", "acts", "inference_ms", *ZOO_PARAMS,
            "config"]
    df = trials
    if "outcome" in df.columns:
        df = df[df["outcome"] == "finished"]
    if "reference" in df.columns:
        df = df[~df["reference"].fillna(False).astype(bool)]
    df = df[np.isfinite(pd.to_numeric(df["error"], errors="coerce"))]
    rows = []
    for label, g in df.groupby("space", sort=False):
        best = g.sort_values(["error", "number"]).head(k)
        for rank, (_, t) in enumerate(best.iterrows(), 1):
            rows.append({
                "group": (groups or {}).get(label) or "all", "regime": label, "rank": rank, "number": int(t["number"]),
                "error": float(t["error"]), "flops": float(t["flops"]), "params": float(t.get("params", math.nan)),
                "acts": float(t.get("acts", math.nan)),
                "inference_ms": float(pd.to_numeric(t.get("inference_ms"), errors="coerce")),
                **zoo_parameters(t.get("config") or {}), "config": t.get("config"),
                "_median_flops": float(g["flops"].median()),
            })
    if not rows:
        return pd.DataFrame(columns=cols)
    out = pd.DataFrame(rows).sort_values(["group", "_median_flops", "regime", "rank"])
    return out[cols].reset_index(drop=True)


def zoo_presets(table: pd.DataFrame, attrs: Mapping[str, Mapping[str, Any]], campaign: str, prefix: str | None = None):
    """Presets of the rank-1 row of every regime of :func:`best_across_regimes`: the registered space of the study
    (attr ``space``), the trial's config, the campaign's geometry at the trial's resolution, and the trial's FLOPs,
    params and acts as the reference figures. ``attrs``: study label -> study user attrs."""
    from netspace.search_spaces import Geometry, Preset, Reference
    from netspace.search_spaces.resolution import at_resolution, split_resolution

    prefix = prefix or campaign
    out = []
    for row in table[table["rank"] == 1].itertuples(index=False):
        a = attrs.get(row.regime, {})
        config, resolution = split_resolution(row.config or {})
        g = a.get("geometry") or {}
        geometry = at_resolution(Geometry(**g) if g else Geometry(), resolution)
        out.append(Preset(
            name=f"{prefix}-{row.regime}", space=str(a.get("space") or row.regime), config=config,
            reference=Reference(source=f"campaign {campaign}, study {row.regime}, trial {row.number}",
                                params=int(row.params), flops=int(row.flops), acts=int(row.acts)),
            geometry=geometry,
            summary=f"best of {row.regime} in campaign {campaign}: {row.error:.2f} % top-1 error at {int(row.flops)} FLOPs",
        ))
    return out

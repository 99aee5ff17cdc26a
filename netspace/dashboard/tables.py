"""Tables as the dashboard shows them: complexity in MF / M params, errors with 2 decimals, human column names,
configs as compact text — through ``st.column_config`` so columns still sort numerically."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from netspace.platform.reporting import style

UNITS = {"flops": ("FLOPs (MF)", 1e6, "%.1f"), "params": ("params (M)", 1e6, "%.2f"),
         "acts": ("activations (M)", 1e6, "%.2f"), style.RUNTIME: ("runtime (ms)", 1.0, "%.3g")}
PCT = {"error", "top1_err", "min_error", "median_error"}


def present(df: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """(copy of ``df`` with complexity scaled to MF / M, column_config with human labels and formats)."""
    out = df.copy()
    cfg: dict = {}
    for col in out.columns:
        name = str(col)
        if name in UNITS:
            label, scale, fmt = UNITS[name]
            out[col] = pd.to_numeric(out[col], errors="coerce") / scale
            cfg[name] = st.column_config.NumberColumn(label, format=fmt)
        elif name in PCT:
            cfg[name] = st.column_config.NumberColumn(style.column_label(name), format="%.2f")
        elif name.startswith("ks"):
            cfg[name] = st.column_config.NumberColumn(style.column_label(name), format="%.3f")
        elif name == "config":
            out[col] = out[col].map(style.fmt_config)
            cfg[name] = st.column_config.TextColumn("config", width="large")
        elif pd.api.types.is_float_dtype(out[col]):
            cfg[name] = st.column_config.NumberColumn(style.column_label(name), format="%.3g")
        else:
            cfg[name] = st.column_config.Column(style.column_label(name))
    return out, cfg


def show(df: pd.DataFrame, widths: dict[str, str | int] | None = None, column_config_extra: dict | None = None,
         **kwargs):
    """``st.dataframe`` of ``df`` as :func:`present` formats it (full width, no index unless asked); ``widths``:
    column -> "small" / "medium" / "large" / pixels; ``column_config_extra``: column configs that replace
    :func:`present`'s."""
    data, cfg = present(df)
    cfg.update(column_config_extra or {})
    for col, w in (widths or {}).items():
        if col in cfg:
            cfg[col]["width"] = w
    kwargs.setdefault("hide_index", True)
    kwargs.setdefault("placeholder", "–")
    kwargs.setdefault("width", "stretch")
    return st.dataframe(data, column_config=cfg, **kwargs)

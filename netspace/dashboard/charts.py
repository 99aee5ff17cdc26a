"""Altair charts of the dashboard (pure: DataFrames in, chart specs out)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from netspace.platform.analysis import binned_trend

COMPLEXITY_LABELS = {"flops": "FLOPs", "params": "parameters", "acts": "activations"}


def edf_chart(curves: pd.DataFrame, title: str = "error EDF") -> alt.Chart:
    base = alt.Chart(curves).encode(
        x=alt.X("error:Q", title="top-1 error (%)", scale=alt.Scale(zero=False)),
        color=alt.Color("space:N", title="design space", scale=alt.Scale(scheme="tableau10")))
    line = base.mark_line(interpolate="step-after").encode(
        y=alt.Y("F:Q", title="cumulative prob.", scale=alt.Scale(domain=[0, 1])),
        tooltip=["space", alt.Tooltip("error:Q", format=".2f"), alt.Tooltip("F:Q", format=".3f")])
    layers = [line]
    if "lo" in curves.columns:
        layers.insert(0, base.mark_area(opacity=0.2, interpolate="step-after").encode(y="lo:Q", y2="hi:Q"))
    return alt.layer(*layers).properties(title=title, height=340)


def complexity_chart(df: pd.DataFrame, metric: str = "flops") -> alt.Chart:
    data = df[["space", "number", "error", "flops", "params", "acts"]].copy()
    data = data[np.isfinite(data[metric].to_numpy(dtype=float)) & (data[metric] > 0)]
    return alt.Chart(data).mark_circle(size=18, opacity=0.5).encode(
        x=alt.X(f"{metric}:Q", title=COMPLEXITY_LABELS.get(metric, metric), scale=alt.Scale(type="log")),
        y=alt.Y("error:Q", title="top-1 error (%)", scale=alt.Scale(zero=False)),
        color=alt.Color("space:N", title="design space", scale=alt.Scale(scheme="tableau10")),
        tooltip=["space", "number", alt.Tooltip("error:Q", format=".2f"), alt.Tooltip("flops:Q", format=".3s"),
                 alt.Tooltip("params:Q", format=".3s"), alt.Tooltip("acts:Q", format=".3s")],
    ).properties(title=f"error vs {COMPLEXITY_LABELS.get(metric, metric)}", height=340).interactive()


def trends_data(df: pd.DataFrame, params: list[str], max_points: int = 1500) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long tables for :func:`trends_chart`: sampled points (param, x, error) and binned lines
    (param, x, stat, err). Parameters spanning more than a factor 10 are shown as log10(param)."""
    e = df["error"].to_numpy(dtype=float)
    pts = df.sample(max_points, random_state=0) if len(df) > max_points else df
    raw, lines = [], []
    for col in params:
        name = col[len("param_"):]
        x = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
        xp = pd.to_numeric(pts[col], errors="coerce").to_numpy(dtype=float)
        fin = x[np.isfinite(x)]
        log = bool(fin.size and fin.min() > 0 and fin.max() / fin.min() > 10)
        t = binned_trend(x, e, n_bins=8, log=log)
        label = f"log10 {name}" if log else name
        tx = np.log10(t["x"].to_numpy(dtype=float)) if log else t["x"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            rx = np.log10(xp) if log else xp
        raw.append(pd.DataFrame({"param": label, "x": rx, "error": pts["error"].to_numpy(dtype=float)}))
        for stat in ("median", "best"):
            lines.append(pd.DataFrame({"param": label, "x": tx, "stat": stat, "err": t[stat].to_numpy(dtype=float)}))
    raw_df = pd.concat(raw, ignore_index=True) if raw else pd.DataFrame(columns=["param", "x", "error"])
    raw_df = raw_df[np.isfinite(raw_df["x"].to_numpy(dtype=float))]
    line_df = pd.concat(lines, ignore_index=True) if lines else pd.DataFrame(columns=["param", "x", "stat", "err"])
    return raw_df, line_df


def trends_chart(df: pd.DataFrame, params: list[str], columns: int = 4) -> alt.Chart:
    """Small multiples (one facet per parameter, independent x): sampled points plus binned median and best."""
    raw, lines = trends_data(df, params)
    order = list(dict.fromkeys(raw["param"]))
    data = pd.concat([raw.assign(kind="model"), lines.rename(columns={"err": "error"}).assign(kind=lines["stat"])],
                     ignore_index=True)[["param", "x", "error", "kind"]]
    base = alt.Chart().encode(x=alt.X("x:Q", title=None, scale=alt.Scale(zero=False)),
                              y=alt.Y("error:Q", title="error (%)", scale=alt.Scale(zero=False)))
    dots = base.mark_circle(size=10, opacity=0.3, color="#4c78a8").transform_filter(alt.datum.kind == "model")
    trend = base.mark_line(point=True).encode(
        color=alt.Color("kind:N", title=None, scale=alt.Scale(domain=["median", "best"], range=["#f58518", "#54a24b"]))
    ).transform_filter(alt.datum.kind != "model")
    return alt.layer(dots, trend, data=data).properties(width=180, height=140).facet(
        facet=alt.Facet("param:N", title=None, sort=order), columns=columns
    ).resolve_scale(x="independent")


def width_chart(block_widths: list[int], fitted: list[int] | None = None) -> alt.Chart:
    """The paper's per-block width plot (log width vs block index), with the quantized linear fit dashed."""
    data = pd.DataFrame({"block": np.arange(len(block_widths)), "width": block_widths, "kind": "model"})
    if fitted is not None:
        data = pd.concat([data, pd.DataFrame({"block": np.arange(len(fitted)), "width": fitted,
                                              "kind": "quantized linear fit"})])
    return alt.Chart(data).mark_line(interpolate="step-after", point=True).encode(
        x=alt.X("block:Q", title="block index j"),
        y=alt.Y("width:Q", title="width w_j", scale=alt.Scale(type="log")),
        color=alt.Color("kind:N", title=None),
        strokeDash=alt.StrokeDash("kind:N", legend=None),
        tooltip=["block", "width", "kind"],
    ).properties(height=260, title="per-block widths")

"""Altair charts of the dashboard (pure: DataFrames in, chart specs out). Colours per space come from
:func:`netspace.platform.reporting.style.space_colors`, shared with ``netspace report``."""

from __future__ import annotations

from typing import Any, Literal

import altair as alt
import numpy as np
import pandas as pd

from netspace.platform.analysis import binned_trend
from netspace.platform.reporting import style

COMPLEXITY_LABELS = dict(style.COMPLEXITY_NAMES)  # flops, params, acts and inference_ms (runtime)
COMPLEXITY_UNITS = {"flops": ("MF", 1e6), "params": ("M", 1e6), "acts": ("M", 1e6), style.RUNTIME: ("ms", 1.0)}
PICK = "pick"  # the point-selection parameter of the clickable charts: fields space, number
ERROR_AXIS = alt.Y("error:Q", title="top-1 error (%)", scale=alt.Scale(zero=False))


def complexity_title(metric: str) -> str:
    unit, _ = COMPLEXITY_UNITS.get(metric, ("", 1.0))
    return f"{COMPLEXITY_LABELS.get(metric, metric)} ({unit})" if unit else metric


NEUTRAL = "#555555"  # series that are not spaces (fits, overlays of one trial): colour always means a space


def _space_color(colors: dict[str, str], legend: Literal["top", "bottom", "right", "left"] | None = "top") -> alt.Color:
    """Colour by design space; ``legend``: its side outside the plot ("top", "bottom", "right"), or None."""
    return alt.Color("space:N", title="design space", scale=alt.Scale(domain=list(colors), range=list(colors.values())),
                     legend=(alt.Legend(orient=legend, direction="horizontal" if legend in ("top", "bottom") else
                                        "vertical", symbolOpacity=1, symbolStrokeWidth=3) if legend else None))


def fitted(values, pad: float = 0.04, log: bool = False) -> Any:
    """An axis domain that fits the finite ``values`` (padded by ``pad`` of the range, multiplicatively on log
    axes), instead of a 'nice' domain that can span a decade around data of a few MF; None when empty."""
    v = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    v = v[np.isfinite(v) & ((v > 0) if log else True)]
    if not v.size:
        return alt.Undefined
    lo, hi = float(v.min()), float(v.max())
    if log:
        f = (hi / lo) ** pad if hi > lo else 1.1
        return [lo / f, hi * f]
    d = (hi - lo) * pad if hi > lo else max(abs(lo) * 0.05, 0.5)
    return [lo - d, hi + d]


def error_axis(values, title: str = "top-1 error (%)", field: str = "error:Q") -> alt.Y:
    return alt.Y(field, title=title, scale=alt.Scale(domain=fitted(values), nice=False, zero=False))


def _log_x(field: str, values, title: str) -> alt.X:
    """A log axis fitted to the data with real-value tick labels (``2 3 4 6`` MF, not ``1 10``)."""
    return alt.X(field, title=title, scale=alt.Scale(type="log", domain=fitted(values, log=True), nice=False),
                 axis=alt.Axis(format="~g", tickCount=8, labelOverlap=True))


def reference_marks(refs: pd.DataFrame | None) -> list:
    """Reference presets on an EDF: a dashed vertical rule at each one's error, labelled with its name."""
    if refs is None or refs.empty:
        return []
    data = refs[["space", "error"]].assign(F=0.97)
    rule = alt.Chart(data).mark_rule(color="#444", strokeDash=[5, 3], strokeWidth=1.5).encode(
        x="error:Q", tooltip=[alt.Tooltip("space:N", title="reference preset"),
                              alt.Tooltip("error:Q", title="error (%)", format=".2f")])
    text = alt.Chart(data).mark_text(align="left", dx=4, fontSize=11, color="#444").encode(
        x="error:Q", y=alt.Y("F:Q", scale=alt.Scale(domain=[0, 1])), text="space:N")
    return [rule, text]


def edf_chart(curves: pd.DataFrame, title: str, colors: dict[str, str], refs: pd.DataFrame | None = None) -> alt.LayerChart | alt.FacetChart:
    x = alt.X("error:Q", title="top-1 error (%)", scale=alt.Scale(domain=fitted(curves["error"], pad=0.01), nice=False,
                                                                  zero=False))
    base = alt.Chart(curves).encode(x=x)
    line = base.mark_line(interpolate="step-after", strokeWidth=2).encode(
        color=_space_color(colors),
        y=alt.Y("F:Q", title="cumulative fraction of models", scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("space:N", title="design space"), alt.Tooltip("error:Q", title="error (%)", format=".2f"),
                 alt.Tooltip("F:Q", title="fraction", format=".3f")])
    layers = [line, *reference_marks(refs)]
    if "lo" in curves.columns:
        layers.insert(0, base.mark_area(opacity=0.18, interpolate="step-after").encode(
            y="lo:Q", y2="hi:Q", color=_space_color(colors)))  # same legend: vega-lite merges the two
    return alt.layer(*layers).properties(title=title, height=380)


def _scaled(df: pd.DataFrame) -> pd.DataFrame:
    cols = ["space", "number", "error", "flops", "params", "acts"]
    data = df[[*cols, *[c for c in (style.RUNTIME, style.DEVICE) if c in df.columns]]].copy()
    for col, (_, scale) in COMPLEXITY_UNITS.items():
        if col in data.columns:
            data[col] = pd.to_numeric(data[col], errors="coerce") / scale
    return data


def _trial_tooltip() -> list:
    return [alt.Tooltip("space:N", title="design space"), alt.Tooltip("number:Q", title="trial"),
            alt.Tooltip("error:Q", title="error (%)", format=".2f"), alt.Tooltip("flops:Q", title="MF", format=".1f"),
            alt.Tooltip("params:Q", title="M params", format=".2f")]


def complexity_chart(df: pd.DataFrame, metric: str, colors: dict[str, str],
                     refs: pd.DataFrame | None = None) -> alt.LayerChart | alt.FacetChart:
    """Error vs complexity (log axis in MF / M, real tick values); click a point to open its trial. Reference
    presets (``refs``) are black stars labelled with their names."""
    data = _scaled(df)
    data = data[np.isfinite(data[metric].to_numpy(dtype=float)) & (data[metric] > 0)]
    pick = alt.selection_point(name=PICK, fields=["space", "number"], on="click")
    allx = pd.concat([data[metric], _scaled(refs)[metric]]) if refs is not None and not refs.empty else data[metric]
    ally = pd.concat([data["error"], refs["error"]]) if refs is not None and not refs.empty else data["error"]
    x = _log_x(f"{metric}:Q", allx, complexity_title(metric))
    y = error_axis(ally)
    points = alt.Chart(data).mark_circle(size=22).encode(
        x=x, y=y, color=_space_color(colors, "top"),
        opacity=alt.condition(pick, alt.value(0.65), alt.value(0.25)),
        size=alt.condition(pick, alt.value(22), alt.value(14)),
        tooltip=_trial_tooltip(),
    ).add_params(pick)
    layers = [points]
    if refs is not None and not refs.empty:
        stars = _scaled(refs)
        layers.append(alt.Chart(stars).mark_point(shape="diamond", size=120, filled=True, color="black").encode(
            x=x, y=y, tooltip=[alt.Tooltip("space:N", title="reference preset"), *_trial_tooltip()[2:]]))
        layers.append(alt.Chart(stars).mark_text(align="left", dx=8, fontSize=11).encode(x=x, y=y, text="space:N"))
    return alt.layer(*layers).properties(
        title=f"error vs {COMPLEXITY_LABELS.get(metric, metric)} — click a point for its trial", height=420)


def history_chart(df: pd.DataFrame, colors: dict[str, str]) -> alt.LayerChart | alt.FacetChart:
    """Error of every finished trial against its start time, with each space's best-so-far line."""
    data = _scaled(df).assign(started=pd.to_datetime(df["datetime_start"]).to_numpy())
    data = data[data["started"].notna()].sort_values("started")
    data["best so far"] = data.groupby("space")["error"].cummin()
    pick = alt.selection_point(name=PICK, fields=["space", "number"], on="click")
    x = alt.X("started:T", title=f"trial start ({time_format(data['started'])[1]})",
              axis=alt.Axis(format=time_format(data["started"])[0], labelAngle=0, tickCount=8, labelOverlap=True))
    y = error_axis(data["error"])
    dots = alt.Chart(data).mark_circle(size=16).encode(
        x=x, y=y, color=_space_color(colors, "top"), opacity=alt.condition(pick, alt.value(0.55), alt.value(0.2)),
        tooltip=_trial_tooltip() + [alt.Tooltip("started:T", format="%Y-%m-%d %H:%M:%S")]).add_params(pick)
    best = alt.Chart(data).mark_line(interpolate="step-after", strokeWidth=2.5).encode(
        x=x, y=alt.Y("best so far:Q"), color=_space_color(colors, "top"))
    return alt.layer(dots, best).properties(title="history: error by trial start (lines: best so far)", height=420)


def time_format(times) -> tuple[str, str]:
    """(d3 time format, what it shows) for tick labels that read on their own: clock time within a day, day and
    time over days, the date over months."""
    t = pd.to_datetime(pd.Series(times), errors="coerce").dropna()
    span = (t.max() - t.min()).total_seconds() if len(t) else 0.0
    if span <= 6 * 3600:
        return "%H:%M:%S" if span < 600 else "%H:%M", "local time"
    if span <= 4 * 86400:
        return "%a %H:%M", "day and local time"
    return "%d %b", "date"


def _trend_rows(df: pd.DataFrame, col: str, max_points: int) -> tuple[pd.DataFrame, bool]:
    x = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
    e = df["error"].to_numpy(dtype=float)
    fin = x[np.isfinite(x)]
    log = bool(fin.size and fin.min() > 0 and fin.max() / fin.min() > 10)
    t = binned_trend(x, e, n_bins=8, log=log)
    keep = np.isfinite(x) & np.isfinite(e)
    pts = pd.DataFrame({"x": x[keep], "error": e[keep], "kind": "model", "n": np.nan})
    if len(pts) > max_points:
        pts = pts.sample(max_points, random_state=0)
    lines = [pd.DataFrame({"x": t["x"], "error": t[s], "kind": s, "n": t["n"]}) for s in ("median", "best")]
    return pd.concat([pts, *lines], ignore_index=True).assign(param=col[len("param_"):]), log


def trends_chart(df: pd.DataFrame, params: list[str], docs: dict[str, str] | None = None, columns: int = 4,
                 max_points: int = 800, color: str = style.POINT_COLOR) -> tuple[pd.DataFrame, dict]:
    """Small multiples, one per parameter (its meaning as subtitle; log axes with real tick values): sampled
    models plus binned median (solid) and best (dashed) error, all in the space's ``color`` (colour means the
    space everywhere; the statistic is the dash), the number of models of each bin written above it.

    Returns (data, Vega-Lite spec) for ``st.vega_lite_chart``: a plain spec over one shared table, so a space
    with many parameters costs milliseconds instead of seconds of Altair object building and validation."""
    docs = docs or {}
    tables, panels = [], []
    y = {"field": "error", "type": "quantitative", "title": "error (%)", "scale": {"zero": False}}
    for col in params:
        rows, log = _trend_rows(df, col, max_points)
        tables.append(rows)
        name = col[len("param_"):]
        x = {"field": "x", "type": "quantitative", "title": name + (" (log scale)" if log else ""),
             "scale": {"type": "log", "nice": False} if log else {"zero": False},
             "axis": {"format": "~r", "tickCount": 5}}
        stat = {"field": "kind", "type": "nominal", "legend": None,
                "scale": {"domain": ["median", "best"], "range": [[1, 0], [5, 3]]}}
        panels.append({
            "title": {"text": name, "subtitle": docs.get(name, "") or " ", "fontSize": 12, "subtitleFontSize": 10,
                      "subtitleColor": "#666"},
            "width": 165, "height": 140,
            "transform": [{"filter": {"field": "param", "equal": name}}],
            "layer": [
                {"transform": [{"filter": {"field": "kind", "equal": "model"}}],
                 "mark": {"type": "circle", "size": 9, "opacity": 0.2, "color": color},
                 "encoding": {"x": x, "y": y}},
                {"transform": [{"filter": {"field": "kind", "oneOf": ["median", "best"]}}],
                 "mark": {"type": "line", "point": {"color": color, "size": 18}, "color": color, "strokeWidth": 2},
                 "encoding": {"x": x, "y": y, "strokeDash": stat, "tooltip": [
                     {"field": "x", "type": "quantitative", "title": name, "format": "~r"},
                     {"field": "kind", "type": "nominal", "title": "binned"},
                     {"field": "error", "type": "quantitative", "title": "error (%)", "format": ".2f"},
                     {"field": "n", "type": "quantitative", "title": "models in bin"}]}},
                {"transform": [{"filter": {"field": "kind", "equal": "median"}}],
                 "mark": {"type": "text", "dy": -9, "fontSize": 9, "color": "#555"},
                 "encoding": {"x": x, "y": y, "text": {"field": "n", "type": "quantitative"}}},
            ]})
    data = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=["x", "error", "kind", "n", "param"])
    return data, {"concat": panels, "columns": columns, "resolve": {"scale": {"strokeDash": "shared"}}}


def width_chart(block_widths: list[int], fitted: list[int] | None = None, color: str = style.POINT_COLOR) -> alt.Chart:
    """The paper's per-block width plot (log width vs block index), with the quantized linear fit dashed."""
    data = pd.DataFrame({"block": np.arange(len(block_widths)), "width": block_widths, "kind": "network"})
    kinds = ["network"]
    if fitted is not None:
        kinds.append("quantized linear fit")
        data = pd.concat([data, pd.DataFrame({"block": np.arange(len(fitted)), "width": fitted,
                                              "kind": "quantized linear fit"})])
    legend = alt.Legend(title=None, orient="bottom")
    return alt.Chart(data).mark_line(interpolate="step-after", point=True).encode(
        x=alt.X("block:Q", title="block index j"),
        y=alt.Y("width:Q", title="width w_j (channels)", scale=alt.Scale(type="log"), axis=alt.Axis(format="~g")),
        color=alt.Color("kind:N", scale=alt.Scale(domain=kinds, range=[color, NEUTRAL][:len(kinds)]),
                        legend=legend),
        strokeDash=alt.StrokeDash("kind:N", scale=alt.Scale(domain=kinds, range=[[1, 0], [5, 3]][:len(kinds)]),
                                  legend=legend),
        tooltip=["block", "width", "kind"],
    ).properties(height=260)


def learning_curve_chart(curve: pd.DataFrame, color: str = style.POINT_COLOR) -> alt.Chart:
    return alt.Chart(curve).mark_line(point=alt.OverlayMarkDef(color=color), color=color).encode(
        x=alt.X("step:Q", title="epoch", axis=alt.Axis(tickMinStep=1, format="d")),
        y=alt.Y("value:Q", title="top-1 error (%)", scale=alt.Scale(zero=False)),
        tooltip=[alt.Tooltip("step:Q", title="epoch"), alt.Tooltip("value:Q", title="error (%)", format=".2f")],
    ).properties(height=220)


def curves_chart(curves: pd.DataFrame, colors: dict[str, str]) -> alt.Chart:
    """Learning curves of several trials overlaid: colour = space, dash = trial (columns step, value, space,
    trial)."""
    trials = list(dict.fromkeys(curves["trial"]))
    dashes = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [4, 4], [1, 3], [10, 2], [3, 6], [6, 2, 2, 2], [12, 4]]
    return alt.Chart(curves).mark_line(point=True, strokeWidth=2).encode(
        x=alt.X("step:Q", title="epoch", axis=alt.Axis(tickMinStep=1, format="d")),
        y=error_axis(curves["value"], field="value:Q"),
        color=_space_color(colors, "right"),
        strokeDash=alt.StrokeDash("trial:N", title="trial", sort=trials,
                                  scale=alt.Scale(domain=trials, range=[dashes[i % len(dashes)] for i in range(len(trials))]),
                                  legend=alt.Legend(orient="right", symbolStrokeWidth=2, symbolSize=300)),
        detail="trial:N",
        tooltip=[alt.Tooltip("trial:N"), alt.Tooltip("step:Q", title="epoch"),
                 alt.Tooltip("value:Q", title="error (%)", format=".2f")],
    ).properties(height=300, title="learning curves: validation top-1 error after each epoch")


def _ticks(lo: float, hi: float, log: bool, n: int = 5) -> list[float]:
    if hi <= lo:
        return [lo]
    if log:
        return list(np.exp(np.linspace(np.log(lo), np.log(hi), n)))
    return list(np.linspace(lo, hi, n))


def parallel_chart(df: pd.DataFrame, params: list[str], max_lines: int = 400, color: str = style.POINT_COLOR) -> alt.LayerChart | alt.FacetChart:
    """Parallel coordinates of the ``max_lines`` best models: one line per model across its params, each axis in
    the parameter's own units (min … max over the space, log for wide ranges; tick labels are real values). The
    better the model the darker and more opaque its line, and the best are drawn last (on top); the line under the
    pointer is drawn thick (one model across every axis)."""
    sub = df.nsmallest(max_lines, "error") if len(df) > max_lines else df
    sub = sub.sort_values("error", ascending=False)  # worst first: the best lines end on top
    rows, ticks = [], []
    for col in params:
        x = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
        fin = x[np.isfinite(x)]
        if not fin.size:
            continue
        log = bool(fin.min() > 0 and fin.max() / fin.min() > 10)
        f = np.log if log else (lambda v: v)
        lo, hi = f(fin.min()), f(fin.max())
        v = pd.to_numeric(sub[col], errors="coerce").to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            u = (f(v) - lo) / (hi - lo) if hi > lo else np.full(len(v), 0.5)
        name = col[len("param_"):]
        rows.append(pd.DataFrame({"trial": sub["number"].to_numpy(), "param": name, "scaled": u,
                                  "value": v, "error": sub["error"].to_numpy(dtype=float)}))
        for t in _ticks(float(fin.min()), float(fin.max()), log):
            ft = float(f(t))
            ticks.append({"param": name, "scaled": (ft - lo) / (hi - lo) if hi > lo else 0.5,
                          "label": f"{t:.3g}" + (" (log)" if log and t == fin.max() else "")})
    data = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["trial", "param", "scaled", "value", "error"])
    order = [c[len("param_"):] for c in params]
    x = alt.X("param:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, orient="top", labelFontWeight="bold",
                                                                domain=False, ticks=False))
    y = alt.Y("scaled:Q", axis=None, scale=alt.Scale(domain=[0, 1], nice=False))
    err = data["error"] if len(data) else pd.Series([0.0, 1.0])
    hover = alt.selection_point(fields=["trial"], on="pointerover", clear="pointerout", empty=False)
    lines = alt.Chart(data).mark_line().encode(
        x=x, y=y, detail="trial:N", strokeWidth=alt.condition(hover, alt.value(3.5), alt.value(1.2)),
        color=alt.Color("error:Q", title="error (%)", scale=alt.Scale(range=[color, "#e8e8e8"],
                                                                      domain=[float(err.min()), float(err.max())])),
        opacity=alt.Opacity("error:Q", scale=alt.Scale(range=[0.9, 0.15], domain=[float(err.min()), float(err.max())]),
                            legend=None),
        tooltip=[alt.Tooltip("trial:Q"), "param:N", alt.Tooltip("value:Q", format="~g"),
                 alt.Tooltip("error:Q", format=".2f")]).add_params(hover)
    tick_data = pd.DataFrame(ticks or [{"param": "", "scaled": 0.0, "label": ""}])
    axes = alt.Chart(tick_data).mark_rule(color="#999").encode(x=x, y=alt.Y("min(scaled):Q", axis=None),
                                                                y2="max(scaled):Q")
    tick_marks = alt.Chart(tick_data).mark_tick(color="#999", thickness=1, size=8, orient="horizontal").encode(x=x, y=y)
    labels = alt.Chart(tick_data).mark_text(align="left", dx=6, fontSize=10, color="#333").encode(x=x, y=y, text="label:N")
    return alt.layer(axes, lines, tick_marks, labels).properties(
        height=320, title=f"parallel coordinates ({len(sub)} best models; darker = lower error)")


def zoo_chart(table: pd.DataFrame, params: list[str], columns: int = 4) -> alt.FacetChart:
    """Best models across regimes (:func:`netspace.platform.analysis.zoo.best_across_regimes`): one panel per
    parameter against FLOPs (log, MF), a line through the best model of each regime, colour per group (the space
    sampled across the regimes), larger points for rank 1."""
    rows = table.assign(flops=pd.to_numeric(table["flops"], errors="coerce") / 1e6)
    long = rows.melt(id_vars=["group", "regime", "rank", "number", "error", "flops"], value_vars=params,
                     var_name="param", value_name="value").dropna(subset=["value"])
    groups = list(dict.fromkeys(long["group"]))
    color = alt.Color("group:N", title="space (across regimes)",
                      scale=alt.Scale(domain=groups, range=[style.PALETTE[i % len(style.PALETTE)] for i in range(len(groups))]),
                      legend=alt.Legend(orient="top", direction="horizontal"))
    x = alt.X("flops:Q", title="FLOPs (MF)", scale=alt.Scale(type="log", domain=fitted(long["flops"], log=True), nice=False),
              axis=alt.Axis(format="~g", tickCount=5, labelOverlap=True))
    base = alt.Chart().encode(x=x, y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)), color=color)
    points = base.mark_circle(opacity=0.8).encode(
        size=alt.condition(alt.datum.rank == 1, alt.value(70), alt.value(20)),
        tooltip=[alt.Tooltip("regime:N"), alt.Tooltip("rank:Q"), alt.Tooltip("number:Q", title="trial"),
                 alt.Tooltip("param:N"), alt.Tooltip("value:Q", format=".4g"), alt.Tooltip("flops:Q", title="MF", format=".2f"),
                 alt.Tooltip("error:Q", title="error (%)", format=".2f")])
    line = base.mark_line().transform_filter(alt.datum.rank == 1)
    return alt.layer(points, line, data=long).properties(width=200, height=150).facet(
        facet=alt.Facet("param:N", title=None, sort=params), columns=columns,
    ).resolve_scale(y="independent").properties(title="best models across regimes: parameters against FLOPs")

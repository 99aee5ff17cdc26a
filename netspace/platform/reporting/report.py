"""A static campaign report: one self-contained ``index.html`` (every figure an inline SVG, a provenance block, the
summary, verdicts, complexity fits with measured runtime and the best models across regimes), each figure also as a
PDF next to it for papers, and ``trials.csv``.

``build_report(url, campaign, out_dir)`` reads the storage once (:func:`netspace.platform.storage.results.load_trials`)
and plots with matplotlib's Agg backend (no display needed). Figures: :mod:`.figures`; provenance:
:mod:`.provenance`; the runtime fits and the zoo view: :mod:`.experiments`.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from netspace.platform import analysis as an
from netspace.platform.reporting import style
from netspace.platform.reporting.figures import SavedFigure, figure_html, log_axis, pyplot, save
from netspace.platform.safetext import safe_filename
from netspace.platform.storage.results import load_trials, state_counts
from netspace.platform.storage.urls import mask_secrets

FINISHED_STATES = ("COMPLETE", "PRUNED", "FAIL")
COMPLEXITY = (("flops", "FLOPs"), ("params", "parameters"), ("acts", "activations"))
RUNTIME, DEVICE = style.RUNTIME, style.DEVICE


@dataclass
class Report:
    out_dir: Path
    index: Path
    csv: Path
    figures: list[Path] = field(default_factory=list)    # the PDFs (the same figures are inline SVG in index.html)
    summary: pd.DataFrame | None = None
    n_finished: int = 0
    comparisons: pd.DataFrame | None = None             # pairwise verdicts, plain EDFs
    comparisons_normalized: pd.DataFrame | None = None  # the same on normalized (FLOPs) EDFs, permutation p-values
    warnings: list[str] = field(default_factory=list)   # e.g. empty complexity bins of the normalized EDF
    attrs: dict = field(default_factory=dict)           # study user attrs per label
    recipe_html: str = ""                               # searched recipes: best training block, importance
    comparisons_runtime: dict[str, pd.DataFrame] = field(default_factory=dict)  # device -> normalized by runtime
    experiments_html: str = ""                          # complexity fits with runtime, best models across regimes
    provenance: object = None                           # .provenance.Provenance


def main_device(done: pd.DataFrame) -> str | None:
    """The device that measured the most runtimes (None when no trial recorded one)."""
    if RUNTIME not in done.columns or DEVICE not in done.columns:
        return None
    measured = done[pd.to_numeric(done[RUNTIME], errors="coerce").notna()]
    if measured.empty:
        return None
    return str(measured[DEVICE].fillna("unknown").astype(str).value_counts().index[0])


def on_device(done: pd.DataFrame, device: str | None) -> pd.DataFrame:
    return done if device is None else done[done[DEVICE].fillna("unknown").astype(str) == device]


def _plt():
    return pyplot()


def _colors(spaces):
    return style.space_colors(spaces)  # the dashboard's colours


def _reference_lines(ax, refs: pd.DataFrame | None) -> None:
    """Reference presets on an EDF: a dashed vertical line at each one's error, labelled with its name."""
    for r in (refs if refs is not None else pd.DataFrame()).itertuples(index=False):
        ax.axvline(float(r.error), color="0.25", ls="--", lw=1)
        ax.text(float(r.error), 0.98, f" {r.space}", rotation=90, va="top", ha="left", fontsize=7, color="0.25")


def plot_edfs(df: pd.DataFrame, spaces, path: Path, normalize: str | None = None, bands: bool = True, seed: int = 0,
              refs: pd.DataFrame | None = None, title: str = "Error EDFs") -> SavedFigure:
    plt = _plt()
    cur = an.edf_curves(df, spaces, normalize=normalize, bands=bands, seed=seed)
    summary = an.summary_table(df, spaces, complexity=normalize or "flops")
    colors = _colors(spaces)
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for s in spaces:
        c = cur[cur["space"] == s]
        if c.empty:
            continue
        row = summary[summary["space"] == s].iloc[0]
        ks_col = "ks_normalized_vs_first" if normalize and "ks_normalized_vs_first" in summary else "ks_vs_first"
        label = f"{s} (n={row['n']}, min={row['min_error']:.1f}%" + (f", KS={row[ks_col]:.3f})" if s != spaces[0] else ")")
        ax.plot(c["error"], c["F"], color=colors[s], lw=2, label=label)
        if bands:
            ax.fill_between(c["error"], c["lo"], c["hi"], color=colors[s], alpha=0.2, lw=0)
    _reference_lines(ax, refs)
    ax.set_xlabel("top-1 error (%)")
    ax.set_ylabel("cumulative prob." + (f" (normalized by {style.COMPLEXITY_NAMES.get(normalize, normalize)})"
                                        if normalize else ""))
    ax.set_title(("normalized " if normalize else "") + "error EDF" + (" with 95% bootstrap bands" if bands else ""))
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return save(fig, path, title)


def plot_complexity(df: pd.DataFrame, spaces, path: Path, refs: pd.DataFrame | None = None,
                    device: str | None = None) -> SavedFigure:
    """Error against FLOPs, parameters and activations, and against the measured runtime on ``device`` (a fourth
    panel, only that device's trials: runtimes of different hardware are not comparable)."""
    plt = _plt()
    colors = _colors(spaces)
    panels = [(col, label, df) for col, label in COMPLEXITY]
    if device is not None:
        panels.append((RUNTIME, f"inference ms on {device}", on_device(df, device)))
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels) + 0.6, 3.8), sharey=True, squeeze=False)
    for ax, (col, label, data) in zip(axes.flat, panels):
        for s in spaces:
            sub = data[data["space"] == s]
            x = pd.to_numeric(sub[col], errors="coerce").to_numpy(dtype=float)
            ax.scatter(x, sub["error"], s=8, alpha=0.5, color=colors[s], label=s)
            if np.isfinite(x).sum() >= 2:
                t = an.binned_trend(x, sub["error"], n_bins=8, log=True, max_categories=0)
                ax.plot(t["x"], t["best"], color=colors[s], lw=1.5)
        for r in (refs if refs is not None else pd.DataFrame()).itertuples(index=False):  # reference presets
            xr = pd.to_numeric(pd.Series([getattr(r, col, np.nan)]), errors="coerce").iloc[0]
            if col != RUNTIME and pd.notna(xr):
                ax.scatter([float(xr)], [float(r.error)], marker="*", s=120, color="black", zorder=5)
                ax.annotate(r.space, (float(xr), float(r.error)), xytext=(4, 4), textcoords="offset points", fontsize=7)
        log_axis(ax, "x", style.fmt_ms_tick if col == RUNTIME else style.fmt_tick)
        ax.set_xlabel(label)
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel("top-1 error (%)")
    axes[0, 0].legend(fontsize=8)
    fig.suptitle("error vs complexity (lines: binned best)")
    return save(fig, path, "Error vs complexity")


def plot_trends(df: pd.DataFrame, space: str, path: Path, max_params: int = 16) -> SavedFigure | None:
    plt = _plt()
    sub = df[df["space"] == space]
    cols = an.param_columns(sub)[:max_params]
    if not cols:
        return None
    ncol = min(4, len(cols))
    nrow = -(-len(cols) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.4 * ncol, 2.8 * nrow), squeeze=False, sharey=True)
    e = sub["error"].to_numpy(dtype=float)
    for ax, col in zip(axes.ravel(), cols):
        x = pd.to_numeric(sub[col], errors="coerce").to_numpy(dtype=float)
        ax.scatter(x, e, s=6, alpha=0.35, color=style.POINT_COLOR)
        t = an.binned_trend(x, e, n_bins=8)
        ax.plot(t["x"], t["median"], "-o", ms=3, color=style.MEDIAN_COLOR, label="median")
        ax.plot(t["x"], t["best"], "-o", ms=3, color=style.BEST_COLOR, label="best")
        gr = an.good_region(x, e, n_boot=1000, seed=0)
        if gr["n"] and gr["hi"] > gr["lo"]:
            ax.axvspan(gr["lo"], gr["hi"], color=style.BEST_COLOR, alpha=0.08, label="best model, 95% bootstrap")
        if np.nanmin(x) > 0 and np.nanmax(x) / np.nanmin(x) > 10:
            log_axis(ax, "x", lambda v: f"{v:g}")
        ax.set_xlabel(col[len("param_"):])
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(cols):]:
        ax.set_visible(False)
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(f"{space}: error vs parameters (binned median and best; shaded: bootstrap range of the best model)")
    return save(fig, path, f"Parameter trends: {space}")


def plot_efficiency(df: pd.DataFrame, spaces, path: Path) -> SavedFigure:
    plt = _plt()
    colors = _colors(spaces)
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for s in spaces:
        e = df.loc[df["space"] == s, "error"].to_numpy(dtype=float)
        if e.size:
            k, m = an.efficiency_curve(e)
            ax.plot(k, m, "-", color=colors[s], lw=2, label=s)
    log_axis(ax, "x", lambda v: f"{v:g}")
    ax.set_xlabel("models sampled (k)")
    ax.set_ylabel("expected min top-1 error (%)")
    ax.set_title("random search efficiency")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save(fig, path, "Random search efficiency")


def trials_csv(df: pd.DataFrame, path: Path) -> int:
    """Write the finished trials (COMPLETE, PRUNED, FAIL; not the never-trained rejections) with dict columns
    as JSON; returns the row count."""
    out = df[df["state"].isin(FINISHED_STATES) & (df["outcome"] != "rejected")].copy()
    for c in out.columns:
        if out[c].dtype == object and out[c].map(lambda v: isinstance(v, (dict, list))).any():
            out[c] = out[c].map(lambda v: json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v)
    out.to_csv(path, index=False)
    return len(out)


def build_report(url: str, campaign: str, out_dir: str | Path, spaces: list[str] | None = None, seed: int = 0,
                 command: str | None = None) -> Report:
    """Write the report of ``campaign`` into ``out_dir``; ``command``: what made it, for the provenance block
    (default: the equivalent ``netspace report`` command line). Credentials in it and in ``url`` are masked."""
    import shlex

    from netspace.platform.reporting.provenance import provenance

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if command is None:
        command = shlex.join(["netspace", "report", campaign, "--storage", url, "--out", str(out_dir),
                              *[a for s in spaces or () for a in ("--space", s)]])
    df = load_trials(url, campaign)
    from netspace.platform.reporting.recipe_report import final_html, without_final

    df = without_final(df)  # the final runs (netspace finalize) get their own table, not EDFs
    done, refs = an.split_references(an.finished(df))
    if spaces:  # a name the campaign does not hold is an error, not a silent report of everything
        known = list(dict.fromkeys(df["space"].tolist())) if "space" in df.columns else []
        unknown = [s for s in spaces if s not in known]
        if unknown:
            from netspace.errors import CampaignError

            raise CampaignError(f"--space {unknown[0]!r}: campaign {campaign!r} has no such space; its spaces: "
                                f"{', '.join(map(str, known)) or 'none'}")
    spaces = an.space_order(done, spaces) or an.space_order(an.split_references(df)[0], spaces)
    report = Report(out, out / "index.html", out / "trials.csv", provenance=provenance(url, command))
    report.n_finished = trials_csv(df, report.csv)
    figs: list[SavedFigure | None] = []
    import warnings as _warnings

    try:
        from netspace.platform.storage.results import study_attrs

        report.attrs = study_attrs(url, campaign)
    except Exception:  # a report without settings is still a report
        report.attrs = {}
    from netspace.platform.campaign.recipe_space import with_derived_columns  # lr*wd, lr per 256 images

    done = with_derived_columns(done)
    with _warnings.catch_warnings(record=True) as caught:
        _warnings.simplefilter("always", an.EmptyBinWarning)
        _figures(done, spaces, out, seed, report, figs, refs)
    report.warnings = list(dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, an.EmptyBinWarning)))
    from netspace.platform.reporting.experiments import experiments_section

    exp_html, exp_figs = experiments_section(done, report.attrs, out)
    report.experiments_html = exp_html
    saved = [f for f in figs if f is not None]
    report.figures = [f.pdf for f in [*saved, *exp_figs]]
    from netspace.platform.reporting.recipe_report import recipe_html

    report.recipe_html = recipe_html(url, campaign, df, report.attrs) + final_html(url, campaign)
    report.index.write_text(_html(campaign, url, df, report, saved), encoding="utf-8")
    return report


def _figures(done: pd.DataFrame, spaces, out: Path, seed: int, report: Report, figs: list,
             refs: pd.DataFrame | None = None) -> None:
    if not done.empty:
        report.summary = an.summary_table(done, spaces)
        device = main_device(done)
        if len(spaces) > 1:
            report.comparisons = an.pairwise_comparisons(done, spaces, seed=seed)
            if "flops" in done.columns:
                report.comparisons_normalized = an.pairwise_comparisons(done, spaces, normalize="flops", seed=seed)
            measured = done[pd.to_numeric(done[RUNTIME], errors="coerce").notna()] if device else done.iloc[:0]
            for dev, sub in measured.groupby(measured[DEVICE].fillna("unknown").astype(str), sort=True) \
                    if device else []:  # runtime as a normalization axis, one device at a time
                if sub["space"].nunique() > 1:
                    report.comparisons_runtime[str(dev)] = an.pairwise_comparisons(
                        sub, [s for s in spaces if s in set(sub["space"])], normalize=RUNTIME, seed=seed)
        figs.append(plot_edfs(done, spaces, out / "edf.pdf", seed=seed, refs=refs))
        figs.append(plot_edfs(done, spaces, out / "normalized_edf.pdf", normalize="flops", seed=seed, refs=refs,
                              title="Normalized error EDFs (FLOPs)"))
        if device is not None:
            sub = on_device(done, device)
            figs.append(plot_edfs(sub, [s for s in spaces if s in set(sub["space"])], out / "normalized_edf_runtime.pdf",
                                  normalize=RUNTIME, seed=seed, title=f"Normalized error EDFs (runtime on {device})"))
        figs.append(plot_complexity(done, spaces, out / "error_vs_complexity.pdf", refs, device))
        for s in spaces:
            figs.append(plot_trends(done, s, out / f"trends_{safe_filename(s)}.pdf"))
        figs.append(plot_efficiency(done, spaces, out / "efficiency.pdf"))


def _table(df: pd.DataFrame | None, floatfmt: str = "{:.3f}") -> str:
    if df is None or df.empty:
        return "<p>none</p>"
    return df.to_html(index=False, float_format=lambda v: floatfmt.format(v), border=0, classes="t", na_rep="")


def _html(campaign: str, url: str, df: pd.DataFrame, report: Report, figs: list[SavedFigure]) -> str:
    counts = state_counts(df)
    counts_html = counts.reset_index().to_html(index=False, border=0, classes="t") if not counts.empty else "<p>none</p>"
    summary = report.summary.rename(columns={"n": "n", "min_error": "min error (%)", "median_error": "median error (%)",
                                             "ks_vs_first": "KS vs first", "ks_normalized_vs_first": "KS (normalized) vs first"}) \
        if report.summary is not None else None
    imgs = "\n".join(f"<h2>{html.escape(f.title)}</h2>\n{figure_html(f)}" for f in figs)
    prov = report.provenance.to_html() if report.provenance is not None else ""  # type: ignore[attr-defined]
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>netspace report: {html.escape(campaign)}</title>
<style>body{{font-family:sans-serif;max-width:1200px;margin:2em auto;color:#222}}
table.t{{border-collapse:collapse}} table.t td,table.t th{{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right}}
table.provenance th{{text-align:left}} table.provenance td{{text-align:left}}
figure{{margin:0 0 1.5em 0}} figure svg{{border:1px solid #eee}} figcaption{{font-size:85%;color:#555}}</style></head><body>
<h1>Campaign {html.escape(campaign)}</h1>
<p>storage: <code>{html.escape(mask_secrets(url))}</code> &middot; {len(df)} trials, {report.n_finished} finished
&middot; <a href="{report.csv.name}">{report.csv.name}</a> &middot; every figure is also a PDF in this folder</p>
<h2>Provenance</h2>
{prov}
{_written_summary(df, report)}
{_settings_html(report)}
<h2>Summary (completed trials)</h2>
{_table(summary)}
{_comparisons_html(report)}
{_best_html(df)}
{report.recipe_html}
<h2>Trials per state</h2>
{counts_html}
{imgs}
{report.experiments_html}
</body></html>
"""


# -- the written summary, settings, verdicts and best networks of index.html -----------------------------------------
def _esc(x) -> str:
    return html.escape(str(x))


def _written_summary(df: pd.DataFrame, report: Report) -> str:
    done = an.finished(df)
    if done.empty:
        return "<p>No finished trials yet.</p>"
    best = done.loc[done["error"].astype(float).idxmin()]
    parts = [f"{len(done)} networks finished across {done['space'].nunique()} design space(s); the best is "
             f"<b>{_esc(best['space'])} #{int(best['number'])}</b> at {float(best['error']):.2f} % top-1 error."]
    if report.comparisons is not None and not report.comparisons.empty:
        decided = an.differing_pairs(report.comparisons)  # Holm-adjusted p < 0.05 and median CI excludes 0
        parts.append(f"Of {len(report.comparisons)} pair(s) of spaces, {len(decided)} differ at the 5 % level "
                     "(Holm-adjusted across the pairs, and the median difference's interval excludes 0)"
                     + (": " + "; ".join(_esc(v) for v in decided["verdict"]) + "." if len(decided) else
                        " (more samples per space would detect smaller differences)."))
    refs = an.split_references(done)[1]
    if len(refs):
        parts.append("Reference presets (trained with the same recipe, drawn as dashed lines and stars): "
                     + ", ".join(f"{_esc(r.space)} {float(r.error):.2f} %" for r in refs.itertuples(index=False)) + ".")
    if report.warnings:
        parts.append("The normalized EDFs come with a warning (see below).")
    return "<h2>In short</h2>\n<p>" + " ".join(parts) + "</p>"


def _settings_html(report: Report) -> str:
    attrs = report.attrs or {}
    spec = next((json.loads(a["spec"]) for a in attrs.values() if a.get("spec")), None)
    if not spec:
        return ""
    rows = []
    entries = spec.get("spaces", [])
    for sp in entries if isinstance(entries, list) else []:
        label = sp.get("label") or sp.get("space")
        reg = an.refine.clean_regime(sp.get("regime"))
        res = (sp.get("resolution") or {}).get("values") if isinstance(sp.get("resolution"), dict) else None
        rows.append({"label": label, "space": sp.get("space"), "samples": sp.get("samples"),
                     "regime": regime_text(reg), "restrict": style.fmt_config(sp.get("restrict") or {}),
                     **({"resolution": ", ".join(map(str, res))} if res else {})})
    tr = spec.get("training", {})
    recipe = ", ".join(f"{k} {tr[k]}" for k in ("epochs", "batch_size", "lr", "warmup_epochs", "weight_decay") if k in tr)
    ds = spec.get("dataset", {})
    if any("resolution" in r for r in rows):
        for r in rows:
            r.setdefault("resolution", "")
    return (f"<h2>Campaign settings</h2>\n<p>dataset <code>{_esc(ds.get('name'))}</code> &middot; training: "
            f"{_esc(recipe)} &middot; strategy <code>{_esc(spec.get('strategy', {}).get('kind'))}</code> (seed "
            f"{_esc(spec.get('strategy', {}).get('seed'))}) &middot; early stopping "
            f"<code>{_esc(spec.get('early_stopping', {}).get('kind'))}</code></p>\n"
            + pd.DataFrame(rows).to_html(index=False, border=0, classes="t"))


def regime_text(regime) -> str:
    """A stored regime as people write it: ``FLOPs 2M–6M``, ``FLOPs 2M–6M · activations ≤ 200k · rule regnetx_c``
    (from :func:`netspace.platform.analysis.refine.clean_regime`'s form); '' when there is none."""
    if not regime:
        return ""

    def num(v) -> str:
        try:
            return style.fmt_tick(float(v))
        except (TypeError, ValueError):
            return str(v)

    def span(lo, hi) -> str:
        if lo is not None and hi is not None:
            return f"{num(lo)}–{num(hi)}"
        return f"≥ {num(lo)}" if lo is not None else f"≤ {num(hi)}" if hi is not None else "any"

    parts = []
    if "metric" in regime:
        parts.append(f"{style.COMPLEXITY_NAMES.get(regime['metric'], regime['metric'])} "
                     f"{span(regime.get('low'), regime.get('high'))}")
    for m in ("flops", "params", "acts"):
        r = regime.get(m)
        if isinstance(r, dict):
            parts.append(f"{style.COMPLEXITY_NAMES[m]} {span(r.get('low'), r.get('high'))}")
        elif r:
            parts.append(f"{style.COMPLEXITY_NAMES[m]} {str(r).replace(':', '–')}")
    if regime.get("rule"):
        parts.append(f"rule {regime['rule']}")
    return " · ".join(parts)


def _verdict_table(t: pd.DataFrame) -> str:
    show = pd.DataFrame({
        "a": t["a"], "b": t["b"], "n": [f"{x}/{y}" for x, y in zip(t["n_a"], t["n_b"])],
        "KS": t["ks"].map("{:.3f}".format), "p-value": t["p_value"].map("{:.3g}".format),
        "adjusted p (Holm)": t["p_adjusted"].map("{:.3g}".format),
        "median a (%)": t["median_a"].map("{:.2f}".format), "median b (%)": t["median_b"].map("{:.2f}".format),
        "median b − a (95 % CI)": [f"{d:+.2f} [{lo:+.2f}, {hi:+.2f}]" for d, lo, hi in
                                   zip(t["median_diff"], t["diff_lo"], t["diff_hi"])],
        "verdict": t["verdict"]})
    return show.to_html(index=False, border=0, classes="t verdicts")


def _comparisons_html(report: Report) -> str:
    out = []
    if report.comparisons is not None and not report.comparisons.empty:
        out.append("<h2>Pairwise comparisons</h2>\n<p>Two-sample KS test of the error EDFs (scipy's exact or "
                   "asymptotic p-value) and the difference of median errors with a bootstrap 95 % interval "
                   "(1000 resamples).</p>\n" + _verdict_table(report.comparisons))
    if report.comparisons_normalized is not None and not report.comparisons_normalized.empty:
        out.append("<h3>On normalized EDFs (FLOPs)</h3>\n<p>KS distance of the reweighted EDFs (linear FLOPs bins, "
                   "about 5 models of the smaller space per bin, at most 40; adjacent bins pooled until both spaces "
                   "occupy each); p-value by permuting the space labels within bins (1000 permutations); weighted "
                   "medians.</p>\n"
                   + _verdict_table(report.comparisons_normalized))
    for device, t in report.comparisons_runtime.items():
        if not t.empty:
            out.append(f"<h3>On normalized EDFs (runtime measured on {_esc(device)})</h3>\n<p>As above, with the "
                       "measured inference time in place of FLOPs; only the trials timed on this device (runtimes of "
                       "different hardware are not comparable).</p>\n" + _verdict_table(t))
    for w in report.warnings:
        out.append(f'<p class="warning"><b>Warning:</b> {_esc(w)}</p>')
    return "\n".join(out)


def _best_html(df: pd.DataFrame, top: int = 10) -> str:
    done = an.finished(df)
    if done.empty:
        return ""
    from netspace.search_spaces.sampling import format_count

    b = done.sort_values("error", kind="stable").head(top)
    rows = []
    for r in b.itertuples(index=False):
        cfg = r.config if isinstance(r.config, dict) else {}
        short = " ".join(f"{k}={(f'{v:.3g}' if isinstance(v, float) else v)}" for k, v in cfg.items()
                         if k not in ("se_ratio", "stem_width"))
        ms = pd.to_numeric(pd.Series([getattr(r, RUNTIME, None)]), errors="coerce").iloc[0]
        rows.append({"space": r.space, "trial": int(r.number), "top-1 error (%)": f"{float(r.error):.2f}",
                     "FLOPs": format_count(float(r.flops)) if pd.notna(r.flops) else "",
                     "params": format_count(float(r.params)) if pd.notna(r.params) else "",
                     "acts": format_count(float(r.acts)) if pd.notna(r.acts) else "",
                     "runtime": (f"{style.fmt_ms(ms)} ({getattr(r, DEVICE, None) or 'unknown'})" if pd.notna(ms) else ""),
                     "config": short})
    if not any(r["runtime"] for r in rows):
        for r in rows:
            del r["runtime"]
    return "<h2>Best networks</h2>\n" + pd.DataFrame(rows).to_html(index=False, border=0, classes="t")

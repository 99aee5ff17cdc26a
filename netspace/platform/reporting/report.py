"""A static campaign report: PNG figures, an index.html that embeds them with a summary table, trials.csv.

``build_report(url, campaign, out_dir)`` reads the storage once (:func:`netspace.platform.storage.results.load_trials`)
and plots with matplotlib's Agg backend (no display needed).
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
from netspace.platform.safetext import safe_filename
from netspace.platform.storage.results import load_trials, state_counts
from netspace.platform.storage.urls import mask_secrets

FINISHED_STATES = ("COMPLETE", "PRUNED", "FAIL")
COMPLEXITY = (("flops", "FLOPs"), ("params", "parameters"), ("acts", "activations"))


@dataclass
class Report:
    out_dir: Path
    index: Path
    csv: Path
    figures: list[Path] = field(default_factory=list)
    summary: pd.DataFrame | None = None
    n_finished: int = 0
    comparisons: pd.DataFrame | None = None             # pairwise verdicts, plain EDFs
    comparisons_normalized: pd.DataFrame | None = None  # the same on normalized (FLOPs) EDFs, permutation p-values
    warnings: list[str] = field(default_factory=list)   # e.g. empty complexity bins of the normalized EDF
    attrs: dict = field(default_factory=dict)           # study user attrs per label
    recipe_html: str = ""                               # searched recipes: best training block, importance


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _colors(spaces):
    return style.space_colors(spaces)  # the dashboard's colours


def _reference_lines(ax, refs: pd.DataFrame | None) -> None:
    """Reference presets on an EDF: a dashed vertical line at each one's error, labelled with its name."""
    for r in (refs if refs is not None else pd.DataFrame()).itertuples(index=False):
        ax.axvline(float(r.error), color="0.25", ls="--", lw=1)
        ax.text(float(r.error), 0.98, f" {r.space}", rotation=90, va="top", ha="left", fontsize=7, color="0.25")


def plot_edfs(df: pd.DataFrame, spaces, path: Path, normalize: str | None = None, bands: bool = True, seed: int = 0,
              refs: pd.DataFrame | None = None) -> Path:
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
    ax.set_ylabel("cumulative prob." + (" (normalized by " + normalize + ")" if normalize else ""))
    ax.set_title(("normalized " if normalize else "") + "error EDF" + (" with 95% bootstrap bands" if bands else ""))
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return _save(fig, path)


def plot_complexity(df: pd.DataFrame, spaces, path: Path, refs: pd.DataFrame | None = None) -> Path:
    plt = _plt()
    colors = _colors(spaces)
    fig, axes = plt.subplots(1, 3, figsize=(14, 4), sharey=True)
    for ax, (col, label) in zip(axes, COMPLEXITY):
        for s in spaces:
            sub = df[df["space"] == s]
            x = sub[col].to_numpy(dtype=float)
            ax.scatter(x, sub["error"], s=8, alpha=0.5, color=colors[s], label=s)
            t = an.binned_trend(x, sub["error"], n_bins=8, log=True, max_categories=0)
            ax.plot(t["x"], t["best"], color=colors[s], lw=1.5)
        for r in (refs if refs is not None else pd.DataFrame()).itertuples(index=False):  # reference presets
            ax.scatter([float(getattr(r, col))], [float(r.error)], marker="*", s=120, color="black", zorder=5)
            ax.annotate(r.space, (float(getattr(r, col)), float(r.error)), xytext=(4, 4),
                        textcoords="offset points", fontsize=7)
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(_unit_formatter(style.fmt_flops if col == "flops" else style.fmt_params))
        ax.set_xlabel(label)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("top-1 error (%)")
    axes[0].legend(fontsize=8)
    fig.suptitle("error vs complexity (lines: binned best)")
    return _save(fig, path)


def plot_trends(df: pd.DataFrame, space: str, path: Path, max_params: int = 16) -> Path | None:
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
            from matplotlib.ticker import NullFormatter, ScalarFormatter

            ax.set_xscale("log")
            ax.xaxis.set_major_formatter(ScalarFormatter())
            ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(col[len("param_"):])
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(cols):]:
        ax.set_visible(False)
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(f"{space}: error vs parameters (binned median and best; shaded: bootstrap range of the best model)")
    return _save(fig, path)


def plot_efficiency(df: pd.DataFrame, spaces, path: Path) -> Path:
    plt = _plt()
    colors = _colors(spaces)
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for s in spaces:
        e = df.loc[df["space"] == s, "error"].to_numpy(dtype=float)
        if e.size:
            k, m = an.efficiency_curve(e)
            ax.plot(k, m, "-", color=colors[s], lw=2, label=s)
    ax.set_xscale("log")
    ax.set_xlabel("models sampled (k)")
    ax.set_ylabel("expected min top-1 error (%)")
    ax.set_title("random search efficiency")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def _unit_formatter(fmt):
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: fmt(v))


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    _plt().close(fig)
    return path


def trials_csv(df: pd.DataFrame, path: Path) -> int:
    """Write the finished trials (COMPLETE, PRUNED, FAIL; not the never-trained rejections) with dict columns
    as JSON; returns the row count."""
    out = df[df["state"].isin(FINISHED_STATES) & (df["outcome"] != "rejected")].copy()
    for c in out.columns:
        if out[c].dtype == object and out[c].map(lambda v: isinstance(v, (dict, list))).any():
            out[c] = out[c].map(lambda v: json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v)
    out.to_csv(path, index=False)
    return len(out)


def build_report(url: str, campaign: str, out_dir: str | Path, spaces: list[str] | None = None, seed: int = 0) -> Report:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
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
    report = Report(out, out / "index.html", out / "trials.csv")
    report.n_finished = trials_csv(df, report.csv)
    figs: list[tuple[str, Path | None]] = []
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
    report.figures = [p for _, p in figs if p is not None]
    from netspace.platform.reporting.recipe_report import recipe_html

    report.recipe_html = recipe_html(url, campaign, df, report.attrs) + final_html(url, campaign)
    report.index.write_text(_html(campaign, url, df, report, [(t, p) for t, p in figs if p is not None]))
    return report


def _figures(done: pd.DataFrame, spaces, out: Path, seed: int, report: Report, figs: list,
             refs: pd.DataFrame | None = None) -> None:
    if not done.empty:
        report.summary = an.summary_table(done, spaces)
        if len(spaces) > 1:
            report.comparisons = an.pairwise_comparisons(done, spaces, seed=seed)
            if "flops" in done.columns:
                report.comparisons_normalized = an.pairwise_comparisons(done, spaces, normalize="flops", seed=seed)
        figs.append(("Error EDFs", plot_edfs(done, spaces, out / "edf.png", seed=seed, refs=refs)))
        figs.append(("Normalized error EDFs (FLOPs)", plot_edfs(done, spaces, out / "normalized_edf.png", normalize="flops", seed=seed,
                                                                   refs=refs)))
        figs.append(("Error vs complexity", plot_complexity(done, spaces, out / "error_vs_flops.png", refs)))
        for s in spaces:
            figs.append((f"Parameter trends: {s}", plot_trends(done, s, out / f"trends_{safe_filename(s)}.png")))
        figs.append(("Random search efficiency", plot_efficiency(done, spaces, out / "efficiency.png")))


def _table(df: pd.DataFrame | None, floatfmt: str = "{:.3f}") -> str:
    if df is None or df.empty:
        return "<p>none</p>"
    return df.to_html(index=False, float_format=lambda v: floatfmt.format(v), border=0, classes="t", na_rep="")


def _html(campaign: str, url: str, df: pd.DataFrame, report: Report, figs) -> str:
    counts = state_counts(df)
    counts_html = counts.reset_index().to_html(index=False, border=0, classes="t") if not counts.empty else "<p>none</p>"
    summary = report.summary.rename(columns={"n": "n", "min_error": "min error (%)", "median_error": "median error (%)",
                                             "ks_vs_first": "KS vs first", "ks_normalized_vs_first": "KS (normalized) vs first"}) \
        if report.summary is not None else None
    imgs = "\n".join(f'<h2>{html.escape(t)}</h2>\n<img src="{html.escape(p.name)}" alt="{html.escape(t)}">' for t, p in figs)
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>netspace report: {html.escape(campaign)}</title>
<style>body{{font-family:sans-serif;max-width:1200px;margin:2em auto;color:#222}}
table.t{{border-collapse:collapse}} table.t td,table.t th{{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right}}
img{{max-width:100%;border:1px solid #eee}}</style></head><body>
<h1>Campaign {html.escape(campaign)}</h1>
<p>storage: <code>{html.escape(mask_secrets(url))}</code> &middot; {len(df)} trials, {report.n_finished} finished
&middot; <a href="{report.csv.name}">{report.csv.name}</a></p>
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
        rows.append({"label": label, "space": sp.get("space"), "samples": sp.get("samples"),
                     "regime": json.dumps(reg) if reg else "", "restrict": json.dumps(sp.get("restrict") or {}) or ""})
    tr = spec.get("training", {})
    recipe = ", ".join(f"{k} {tr[k]}" for k in ("epochs", "batch_size", "lr", "warmup_epochs", "weight_decay") if k in tr)
    ds = spec.get("dataset", {})
    return (f"<h2>Campaign settings</h2>\n<p>dataset <code>{_esc(ds.get('name'))}</code> &middot; training: "
            f"{_esc(recipe)} &middot; strategy <code>{_esc(spec.get('strategy', {}).get('kind'))}</code> (seed "
            f"{_esc(spec.get('strategy', {}).get('seed'))}) &middot; early stopping "
            f"<code>{_esc(spec.get('early_stopping', {}).get('kind'))}</code></p>\n"
            + pd.DataFrame(rows).to_html(index=False, border=0, classes="t"))


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
        rows.append({"space": r.space, "trial": int(r.number), "top-1 error (%)": f"{float(r.error):.2f}",
                     "FLOPs": format_count(float(r.flops)) if pd.notna(r.flops) else "",
                     "params": format_count(float(r.params)) if pd.notna(r.params) else "",
                     "acts": format_count(float(r.acts)) if pd.notna(r.acts) else "", "config": short})
    return "<h2>Best networks</h2>\n" + pd.DataFrame(rows).to_html(index=False, border=0, classes="t")

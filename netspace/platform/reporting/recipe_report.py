"""The report's recipe section: per space that searched its recipe, the best model's recipe as a ready
``training:`` block and the parameters' importance (Optuna PED-ANOVA, recipe and architecture together)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import pandas as pd


def recipe_blocks(df: pd.DataFrame, attrs: Mapping[str, Mapping[str, Any]]) -> dict[str, tuple[int, float, str]]:
    """label -> (trial number, error, ``training:`` YAML) of the best finished model of each searched space."""
    from netspace.platform.analysis.compare import finished
    from netspace.platform.campaign.recipe_space import refined_training, study_recipe

    out = {}
    done = finished(df) if not df.empty else df
    for label, a in (attrs or {}).items():
        fixed, dists = study_recipe(a, label)
        if not dists or done.empty:
            continue
        sub = done[done["space"] == label]
        if sub.empty:
            continue
        e = sub["error"].to_numpy(dtype=float)
        _, block = refined_training((fixed, dists), {}, sub, e)
        best = sub.iloc[int(pd.Series(e).idxmin())]
        out[label] = (int(best["number"]), float(best["error"]), block)
    return out


def recipe_html(url: str, campaign: str, df: pd.DataFrame, attrs: Mapping[str, Mapping[str, Any]]) -> str:
    """HTML of the recipe section ('' when no space searched its recipe)."""
    from netspace.platform.storage.importance import param_importances
    from netspace.platform.storage.urls import study_name

    parts = []
    for label, (number, err, block) in recipe_blocks(df, attrs).items():
        imp = param_importances(url, study_name(campaign, label))
        imp_html = (imp.to_html(index=False, float_format=lambda v: f"{v:.3f}", border=0, classes="t")
                    if isinstance(imp, pd.DataFrame) else f"<p>importance: {html.escape(imp)}</p>")
        parts.append(f"<h3>{html.escape(label)}</h3>\n<p>best recipe: #{number} at {err:.2f} % top-1 error; carry it "
                     f"forward as the campaign's <code>training:</code></p>\n<pre>{html.escape(block)}</pre>\n"
                     f"<p>parameter importance for the error (PED-ANOVA):</p>\n{imp_html}")
    return "<h2>Searched recipes</h2>\n" + "\n".join(parts) if parts else ""


def without_final(df: pd.DataFrame) -> pd.DataFrame:
    """The trials without the final runs of ``netspace finalize`` (study ``NAME::final``)."""
    from netspace.platform.campaign.finalize import FINAL

    return df[df["space"] != FINAL].reset_index(drop=True) if "space" in df.columns and len(df) else df


def final_html(url: str, campaign: str) -> str:
    """The final-training table (mean ± std error per network and epoch count), '' when never finalized."""
    from netspace.platform.campaign.finalize import load_final

    rows = load_final(url, campaign)
    if not rows:
        return ""
    t = pd.DataFrame([{"network": r["source"], "epochs": r["epochs"], "runs": r["runs"],
                       "mean error (%)": r["mean_err"], "std (%)": r["std_err"], "search error (%)": r["search_err"]}
                      for r in rows])
    return ("<h2>Final training (netspace finalize)</h2>\n<p>each network retrained from scratch per epoch count and "
            "seed; mean and sample std of the top-1 error over seeds</p>\n"
            + t.to_html(index=False, float_format=lambda v: f"{v:.2f}", border=0, classes="t"))

"""The final runs of ``netspace finalize`` summarised (pure): per source network and epoch count, runs done against
runs planned, mean ± sample std of the top-1 error over seeds, and the figure ``netspace promote`` ranks by.

The same figures as :func:`netspace.platform.campaign.finalize.final_table` (mean and sample std of the COMPLETE
runs' errors, std 0 for one run) and :func:`~netspace.platform.campaign.finalize.best_finalized` (a network is
ranked by its mean at the longest epoch count with a finished run), read from DataFrames instead of Optuna trials.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

COLUMNS = ["source", "epochs", "done", "planned", "running", "failed", "mean_err", "std_err", "search_err", "flops",
           "params", "promote"]


def _key_counts(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[str, int], int]:
    out: dict[tuple[str, int], int] = {}
    for r in rows:
        try:
            key = (str(r["source"]), int(r["epochs"]))
        except (KeyError, TypeError, ValueError):
            continue
        out[key] = out.get(key, 0) + 1
    return out


def final_summary(runs: pd.DataFrame, plan: list[Mapping[str, Any]] | None = None) -> pd.DataFrame:
    """One row per source network (``LABEL#N``) and epoch count, in :data:`COLUMNS`.

    ``runs``: one row per final run with ``source, epochs, state, error`` (and ``source_top1_err, flops, params``
    when known), as :func:`netspace.platform.storage.results.final_runs` reads them; ``plan``: the planned runs
    (``{source, epochs, seed}`` dicts, the final study's ``plan`` attr). ``done`` counts COMPLETE runs with an
    error, ``mean_err`` / ``std_err`` are over those (NaN without any); ``planned`` is the plan's count (the
    runs seen when there is no plan); ``promote`` is True on the row ``netspace promote`` ranks the network by.
    Sorted by epochs, then mean error (networks without a finished run last), then source.
    """
    runs = runs if runs is not None else pd.DataFrame()
    planned = _key_counts(plan or [])
    groups: dict[tuple[str, int], dict[str, Any]] = {}
    if len(runs):
        for rec in runs.to_dict("records"):
            try:
                key = (str(rec["source"]), int(rec["epochs"]))
            except (KeyError, TypeError, ValueError):
                continue  # not a planned run (e.g. abandoned before it was planned)
            g = groups.setdefault(key, {"errs": [], "running": 0, "failed": 0, "seen": 0, "meta": rec})
            g["seen"] += 1
            state, err = rec.get("state"), rec.get("error")
            if state == "COMPLETE" and err is not None and not (isinstance(err, float) and math.isnan(err)):
                g["errs"].append(float(err))
            elif state == "RUNNING":
                g["running"] += 1
            elif state == "FAIL":
                g["failed"] += 1
    meta_of = {src: g["meta"] for (src, _), g in groups.items()}
    rows = []
    for key in sorted(set(groups) | set(planned)):
        g = groups.get(key, {"errs": [], "running": 0, "failed": 0, "seen": 0, "meta": meta_of.get(key[0], {})})
        errs = g["errs"]
        meta = g["meta"] or meta_of.get(key[0], {})
        rows.append({
            "source": key[0], "epochs": key[1], "done": len(errs), "planned": planned.get(key, g["seen"]),
            "running": g["running"], "failed": g["failed"],
            "mean_err": sum(errs) / len(errs) if errs else math.nan,
            "std_err": (statistics.stdev(errs) if len(errs) > 1 else 0.0) if errs else math.nan,
            "search_err": _float_or_nan(meta.get("source_top1_err")), "flops": _float_or_nan(meta.get("flops")),
            "params": _float_or_nan(meta.get("params")), "promote": False})
    out = pd.DataFrame(rows, columns=COLUMNS)
    if out.empty:
        return out
    finished = out[out["done"] > 0]
    if len(finished):
        longest = finished.loc[finished.groupby("source")["epochs"].idxmax()]
        out.loc[longest.index, "promote"] = True
    out["_nan"] = out["mean_err"].isna()
    out = out.sort_values(["epochs", "_nan", "mean_err", "source"], kind="stable").drop(columns="_nan")
    return out.reset_index(drop=True)


def promote_pick(summary: pd.DataFrame) -> pd.Series | None:
    """The row ``netspace promote`` picks by default among finalized networks: the lowest mean error over the
    rows it ranks by (ties: label, then trial number, as promote orders candidates); None when nothing finished."""
    rows = summary[summary["promote"]] if len(summary) else summary
    if rows.empty:
        return None
    order = sorted(rows.index, key=lambda i: (float(rows.at[i, "mean_err"]), *_label_number(rows.at[i, "source"])))
    return rows.loc[order[0]]


def _label_number(source: str) -> tuple[str, int]:
    label, _, number = str(source).rpartition("#")
    try:
        return label, int(number)
    except ValueError:
        return str(source), -1


def _float_or_nan(x: Any) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return math.nan
    return v

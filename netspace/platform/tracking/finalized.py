"""Promotion after ``netspace finalize``: a finalized network is ranked by its finalized mean error.

A network trained by ``netspace finalize`` is a promotion candidate with ``top1_err`` = the mean error over seeds at
the longest epoch count it was finalized at, and the weights of its best run there; ``figure`` says so. When any
network of the campaign was finalized, the default choice (best, or ``--top K``) is among the finalized networks
only: their long-schedule errors are not comparable with the search's short-schedule ones. The final runs
themselves (study ``NAME::final``) are never candidates of their own.
"""

from __future__ import annotations

from dataclasses import replace

from netspace.platform.campaign.finalize import FINAL, best_finalized, final_table


def use_finalized(storage_url: str, campaign: str, candidates: list, *, named: bool = False) -> list:
    from netspace.platform.storage.database import named_study_trials
    from netspace.platform.storage.urls import study_name

    pool = [c for c in candidates if c.space != FINAL]
    trials = named_study_trials(storage_url, study_name(campaign, FINAL), ("COMPLETE",))
    if trials is None:
        return pool
    rows = best_finalized(final_table(trials))
    finalized = []
    out = []
    for c in pool:
        row = rows.get(f"{c.space}#{c.number}")
        if row is None:
            out.append(c)
            continue
        runs = [t for t in trials if t.user_attrs.get("source") == row["source"]
                and int(t.user_attrs.get("epochs", -1)) == row["epochs"] and t.values]
        best_run = min(runs, key=lambda t: (t.values[0], t.number))
        ua = {**c.user_attrs, **{k: best_run.user_attrs[k] for k in ("weights_path", "mlflow_run_id", "epochs_run")
                                 if best_run.user_attrs.get(k) is not None}}
        figure = (f"finalized mean of {row['runs']} seed(s) at {row['epochs']} epochs "
                  f"(± {row['std_err']:.2f}; weights of final #{best_run.number})")
        cand = replace(c, top1_err=float(row["mean_err"]), user_attrs=ua, figure=figure)
        finalized.append(cand)
        out.append(cand)
    return out if (named or not finalized) else finalized

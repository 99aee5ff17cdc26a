"""The facts of the summary strip under the title (pure: DataFrames in, plain values out): the winning space and
its comparison with the runner-up, the best network, and progress against the campaign's targets with an ETA."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

FINISHED = ("COMPLETE", "FAIL", "PRUNED")


@dataclass
class Winner:
    space: str
    runner_up: str | None
    verdict: str                  # the comparison's plain verdict ("regnetx better than anynetx_e, p < 0.001")
    p_value: float
    diff: float                   # median error of the runner-up − the winner's (pp)
    lo: float
    hi: float


def winner(done: pd.DataFrame, pairs: pd.DataFrame) -> Winner | None:
    """The space with the lowest median error, and its pairwise comparison (``pairs``: the rows of
    :func:`netspace.platform.analysis.pairwise_comparisons`) with the space of the next-lowest median."""
    if done.empty:
        return None
    med = done.groupby("space")["error"].median().sort_values()
    best = str(med.index[0])
    if len(med) < 2 or pairs is None or pairs.empty:
        return Winner(best, None, f"only {best} has finished trials", math.nan, math.nan, math.nan, math.nan)
    second = str(med.index[1])
    hit = pairs[((pairs["a"] == best) & (pairs["b"] == second)) | ((pairs["a"] == second) & (pairs["b"] == best))]
    if hit.empty:
        return Winner(best, second, "not compared", math.nan, math.nan, math.nan, math.nan)
    r = hit.iloc[0]
    p = float(r["p_adjusted"]) if "p_adjusted" in r.index else float(r["p_value"])
    sign = 1.0 if r["a"] == best else -1.0  # median_diff is b − a: as runner-up − winner
    lo, hi = sorted((sign * float(r["diff_lo"]), sign * float(r["diff_hi"])))
    return Winner(best, second, str(r["verdict"]), p, sign * float(r["median_diff"]), lo, hi)


def progress(counts: pd.DataFrame, attrs: dict[str, dict]) -> tuple[int, int]:
    """(finished trials, the campaign's target: the sum of its studies' ``target`` attrs; 0 when unknown)."""
    done = sum(int(counts[c].sum()) for c in FINISHED if c in counts)
    return done, sum(int(a.get("target") or 0) for a in attrs.values())


def eta_s(trials: pd.DataFrame, done: int, target: int) -> float | None:
    """Seconds until the target at the campaign's throughput so far (finished trials over the time from the first
    start to the last completion); None when it cannot be told (fewer than two finished trials, no target)."""
    if target <= done:
        return 0.0 if target else None
    if trials.empty or "datetime_complete" not in trials:
        return None
    ends = pd.to_datetime(trials["datetime_complete"], errors="coerce").dropna()
    starts = pd.to_datetime(trials["datetime_start"], errors="coerce").dropna()
    if len(ends) < 2 or starts.empty:
        return None
    span = (ends.max() - starts.min()).total_seconds()
    if span <= 0:
        return None
    return (target - done) * span / len(ends)


def fmt_duration(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "unknown"
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"

"""Input-pipeline telemetry (pure): the data-wait fraction of a trial and which trials are input-bound.

An epoch report's ``data_wait`` is the fraction of the epoch's training-loop time spent waiting for the next batch
(:class:`netspace.workers.recipe.EpochReport`). A trial is **input-bound** when that fraction exceeds
:data:`INPUT_BOUND` (0.3): the accelerator idles for almost a third of each step or more, so more decoding CPUs
(``cpus_per_trial``) or the GPU decode path would make it faster.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

INPUT_BOUND = 0.3  # data-wait fraction of step time above which a trial counts as input-bound


def fraction(value: Any) -> float | None:
    """``value`` as a data-wait fraction in [0, 1], or None when it is missing or not a finite number in range."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) and 0.0 <= v <= 1.0 else None


def mean_data_wait(history: Iterable[Mapping[str, Any]] | None) -> float | None:
    """The mean data-wait fraction over a trial's epoch reports (``EpochReport`` dicts); None when no report
    carries one (results written before the field existed)."""
    values = [f for f in (fraction(h.get("data_wait")) for h in (history or ()) if isinstance(h, Mapping))
              if f is not None]
    return sum(values) / len(values) if values else None


def is_input_bound(value: Any, threshold: float = INPUT_BOUND) -> bool:
    f = fraction(value)
    return f is not None and f > threshold


def input_bound(df: pd.DataFrame, column: str = "data_wait", threshold: float = INPUT_BOUND) -> pd.Series:
    """Boolean mask of the rows of ``df`` whose ``column`` (a data-wait fraction) exceeds ``threshold``; all False
    when the column is absent."""
    if column not in df.columns:
        return pd.Series(False, index=df.index)
    return pd.to_numeric(df[column], errors="coerce").gt(threshold).fillna(False).astype(bool)

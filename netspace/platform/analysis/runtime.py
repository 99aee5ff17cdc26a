"""Complexity analysis with measured runtime (RegNet paper, Sec. 5): power-law fits of activations against FLOPs
(the best models' activations grow like √FLOPs), and of inference time against FLOPs, activations, and both.

Pure numpy / pandas; a fit is least squares on logarithms: log y = log c + k·log x (or Σ k_i·log x_i), with R² on
the log scale. Trials measured on different hardware are fitted separately, grouped by their ``device_name``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: the runtime column of a trials DataFrame (median ms of a fixed batch; netspace.workers.runtime)
RUNTIME = "inference_ms"
DEVICE = "device_name"


@dataclass(frozen=True)
class PowerLawFit:
    """y ≈ coef · Π x_i^exponents[i] (one x: y ≈ coef · x^exponent), fitted on ``n`` points with R² on logs."""

    names: tuple[str, ...]
    coef: float
    exponents: tuple[float, ...]
    r2: float
    n: int

    @property
    def exponent(self) -> float:
        """The exponent of a one-variable fit."""
        if len(self.exponents) != 1:
            raise ValueError(f"a fit on {len(self.exponents)} variables has no single exponent")
        return self.exponents[0]

    def predict(self, *xs) -> np.ndarray:
        out = np.full(np.broadcast(*[np.asarray(x, dtype=float) for x in xs]).shape, self.coef)
        for x, k in zip(xs, self.exponents):
            out = out * np.asarray(x, dtype=float) ** k
        return out

    def formula(self, y: str = "y") -> str:
        terms = " · ".join(f"{n}^{k:.2f}" for n, k in zip(self.names, self.exponents))
        return f"{y} ≈ {self.coef:.3g} · {terms}  (R² {self.r2:.2f}, n = {self.n})"


def power_law_fit(xs: Mapping[str, Sequence[float]] | Sequence[float], y: Sequence[float], name: str = "x") -> PowerLawFit:
    """Least-squares power law of ``y`` on one array (``xs`` a sequence) or several (``xs`` a mapping of name →
    array). Points with a non-finite or non-positive value are left out; fewer points than coefficients + 1
    raise ValueError."""
    cols = dict(xs) if isinstance(xs, Mapping) else {name: xs}
    names = tuple(cols)
    X = np.column_stack([np.asarray(cols[k], dtype=float).ravel() for k in names])
    yv = np.asarray(y, dtype=float).ravel()
    if len(X) != len(yv):
        raise ValueError(f"{len(X)} x values but {len(yv)} y values")
    with np.errstate(divide="ignore", invalid="ignore"):
        keep = np.all(np.isfinite(X) & (X > 0), axis=1) & np.isfinite(yv) & (yv > 0)
    X, yv = X[keep], yv[keep]
    n = len(yv)
    if n < len(names) + 2:
        raise ValueError(f"a power law on {', '.join(names)} needs at least {len(names) + 2} positive points, got {n}")
    A = np.column_stack([np.ones(n), np.log(X)])
    ly = np.log(yv)
    beta, *_ = np.linalg.lstsq(A, ly, rcond=None)
    resid = ly - A @ beta
    ss_tot = float(((ly - ly.mean()) ** 2).sum())
    r2 = 1.0 - float((resid**2).sum()) / ss_tot if ss_tot > 0 else 1.0
    return PowerLawFit(names, float(np.exp(beta[0])), tuple(float(b) for b in beta[1:]), r2, n)


#: the paper's fits: (what is fitted, on what)
FITS = (("acts", ("flops",)), (RUNTIME, ("flops",)), (RUNTIME, ("acts",)), (RUNTIME, ("flops", "acts")))


def complexity_fits(trials: pd.DataFrame, fits=FITS, min_points: int = 5) -> pd.DataFrame:
    """The paper's complexity fits on a trials DataFrame (``load_trials``: finished trials with ``flops``,
    ``acts`` and, where measured, ``inference_ms`` and ``device_name``), one row per (device, fit): ``device``,
    ``y``, ``x`` (names joined by " + "), ``n``, ``coef``, ``exponents`` (tuple), ``r2``, ``formula``.

    acts vs FLOPs does not depend on hardware and is fitted over all trials (device "any"); runtime fits are per
    device. Groups with fewer than ``min_points`` usable points are skipped."""
    cols = ["device", "y", "x", "n", "coef", "exponents", "r2", "formula"]
    df = trials
    if "outcome" in df.columns:
        df = df[df["outcome"] == "finished"]
    if "reference" in df.columns:
        df = df[~df["reference"].fillna(False).astype(bool)]
    rows = []
    for y, xs in fits:
        if y not in df.columns or any(x not in df.columns for x in xs):
            continue
        if y == RUNTIME and DEVICE in df.columns:
            groups = [(str(d), g) for d, g in df.groupby(df[DEVICE].fillna("unknown"), sort=True)]
        else:
            groups = [("any", df)]
        for device, g in groups:
            data = g[[*xs, y]].apply(pd.to_numeric, errors="coerce").dropna()
            data = data[(data > 0).all(axis=1)]
            if len(data) < max(min_points, len(xs) + 2):
                continue
            fit = power_law_fit({x: data[x].to_numpy() for x in xs}, data[y].to_numpy())
            rows.append({"device": device, "y": y, "x": " + ".join(xs), "n": fit.n, "coef": fit.coef,
                         "exponents": fit.exponents, "r2": fit.r2, "formula": fit.formula(y)})
    return pd.DataFrame(rows, columns=cols)


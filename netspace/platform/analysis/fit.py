"""Quantized linear fit of per-block widths (RegNet paper, Sec. 3.3) and its error e_fit.

A quantized linear function with parameters (w0, wa, wm) predicts block j's width as
u_j = w0 + wa·j,  s_j = round(log(u_j / w0) / log(wm)),  ŵ_j = round(w0·wm^s_j / q)·q
(exactly :func:`netspace.search_spaces.regnet.block_widths`). The fit error of observed widths w_j is the mean
log-ratio e_fit = mean_j |log(w_j / ŵ_j)|; the fit minimises it by a vectorised grid search over
(w0, wa, wm) — w0 over every multiple of q up to the largest width — followed by successively finer local grids
around the best candidates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class QuantizedLinearFit:
    w0: float
    wa: float
    wm: float
    e_fit: float
    widths: tuple[int, ...]  # the fitted function's block widths


def quantized_widths(w0, wa, wm, depth: int, q: int = 8) -> np.ndarray:
    """Block widths of quantized linear functions, broadcast over arrays of (w0, wa, wm): shape (..., depth)."""
    w0, wa, wm = (np.asarray(v, dtype=float)[..., None] for v in (w0, wa, wm))
    j = np.arange(depth, dtype=float)
    u = w0 + wa * j
    s = np.round(np.log(u / w0) / np.log(wm))
    return np.round(w0 * wm**s / q) * q


def fit_error(widths, predicted) -> np.ndarray:
    """e_fit = mean |log(w / ŵ)| over blocks (last axis); inf where a prediction is not positive."""
    w = np.asarray(widths, dtype=float)
    p = np.asarray(predicted, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.abs(np.log(w / p))
    r = np.where(p > 0, r, np.inf)
    return r.mean(axis=-1)


#: candidate × block elements evaluated per step: temporaries of ~2 MB stay in the CPU cache; one pass over millions
#: of elements was twice as slow, being bound by memory (the result is the same, element by element)
CHUNK_ELEMS = 262_144


def _evaluate(w, w0, wa, wm, q):
    """e_fit of every candidate (w0, wa, wm) (1-D arrays), in cache-sized chunks."""
    w0, wa, wm = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (w0, wa, wm)))
    if w0.ndim == 0 or w0.size * w.size <= CHUNK_ELEMS:
        return fit_error(w, quantized_widths(w0, wa, wm, w.size, q))
    out = np.empty(w0.shape)
    step = max(1, CHUNK_ELEMS // max(w.size, 1))
    for i in range(0, w0.size, step):
        out[i:i + step] = fit_error(w, quantized_widths(w0[i:i + step], wa[i:i + step], wm[i:i + step], w.size, q))
    return out


def _exact_fit(w: np.ndarray, q: int, points: int = 4096) -> tuple[float, float, float] | None:
    """(w0, wa, wm) reproducing ``w`` exactly, if one exists, found analytically.

    With w0 = w[0] and the k-th run of equal widths at exponent e_k, quantization bounds log wm to
    ∩_k [log((w_k − q/2)/w0)/e_k, log((w_k + q/2)/w0)/e_k); for a given wm, rounding s_j bounds wa to
    ∩_j [w0 (wm^(s_j − ½) − 1)/j, w0 (wm^(s_j + ½) − 1)/j). For each plausible exponent sequence (consecutive,
    or with skipped exponents when the slope is steep), scan wm inside its interval (vectorised) and return the
    first wm whose wa interval is non-empty, with wa at its middle.
    """
    w0 = float(w[0])
    if w0 % q:
        return None
    change = np.concatenate([[0], np.flatnonzero(np.diff(w)) + 1])
    stage = np.cumsum(np.isin(np.arange(w.size), change)) - 1  # run index of every block
    stage_w = w[change]
    if np.unique(stage_w).size != stage_w.size or np.any(stage_w[1:] <= 0):
        return None  # a width recurs after another: no quantized linear function does that
    if stage_w.size == 1:
        return w0, 0.0, 2.0
    logr = np.log(stage_w[1:] / w0)
    if np.any(logr <= 0):
        return None
    exps = {tuple(range(1, stage_w.size))}
    for lm_c in (logr[:, None] / np.arange(1, 9)[None, :]).ravel():
        e = np.round(logr / lm_c).astype(int)
        if e[0] >= 1 and np.all(np.diff(e) >= 1):
            exps.add(tuple(int(x) for x in e))
    j = np.arange(1, w.size, dtype=float)
    for e in sorted(exps, key=lambda t: (t[-1], t)):
        ek = np.asarray(e, dtype=float)
        lo = np.max(np.log(np.maximum(stage_w[1:] - q / 2, 1e-9) / w0) / ek)
        hi = np.min(np.log((stage_w[1:] + q / 2) / w0) / ek)
        if not hi > lo or hi <= 0:
            continue
        lm = np.linspace(max(lo, 1e-9), hi, points + 2)[1:-1]  # interior of the log(wm) interval
        sj = np.concatenate([[0.0], ek])[stage[1:]]
        wa_lo = np.maximum(np.max(w0 * (np.exp(lm[:, None] * (sj - 0.5)) - 1.0) / j, axis=1), 0.0)
        wa_hi = np.min(w0 * (np.exp(lm[:, None] * (sj + 0.5)) - 1.0) / j, axis=1)
        ok = np.flatnonzero(wa_hi > wa_lo * (1 + 1e-9) + 1e-12)
        for i in ok[np.argsort(-(wa_hi[ok] - wa_lo[ok]))][:8]:  # widest slope intervals first
            wm, wa = float(np.exp(lm[i])), float((wa_lo[i] + wa_hi[i]) / 2)
            if np.array_equal(quantized_widths(w0, wa, wm, w.size, q), w):
                return w0, wa, wm
    return None


def w0_lower_bound(w: np.ndarray, w0s: np.ndarray) -> np.ndarray:
    """A lower bound on e_fit of every quantized linear function starting at each ``w0`` (a multiple of q).

    Block 0 is predicted as exactly w0 (s_0 = 0), and no block is predicted narrower than w0 (u_j >= w0 and
    wm > 1 give s_j >= 0, so ŵ_j >= w0): block 0 costs |log(w_0 / w0)| and every other block narrower than w0
    at least log(w0 / w_j)."""
    w0s = np.asarray(w0s, dtype=float)[:, None]
    rest = np.log(np.maximum(w0s / w[None, 1:], 1.0)).sum(axis=1) if w.size > 1 else 0.0
    return (np.abs(np.log(w[0] / w0s[:, 0])) + rest) / w.size


def _all_w0_candidates(w: np.ndarray, q: int, wa_hi: float, wm_range, grid: int, bound: float = np.inf):
    """(w0, log wa, log wm, e_fit) of a coarse search over every multiple of ``q`` up to the largest width.

    Starting widths whose :func:`w0_lower_bound` exceeds ``bound`` are skipped: none of their candidates can
    reach an error of ``bound`` or less."""
    w0s = np.arange(q, q * np.ceil(w.max() / q) + q, q, dtype=float)
    w0s = w0s[w0_lower_bound(w, w0s) <= bound]
    coarse = max(8, grid // 3)
    la = np.concatenate([[-np.inf], np.linspace(np.log(0.1), np.log(wa_hi), coarse)])
    lm = np.linspace(np.log(wm_range[0]), np.log(wm_range[1]), coarse)
    A, M = np.meshgrid(la, lm, indexing="ij")
    A, M = A.ravel(), M.ravel()
    W0 = np.repeat(w0s, A.size)
    LA, LM = np.tile(A, w0s.size), np.tile(M, w0s.size)
    # derived multipliers per w0: log(u / w0) / s for each observed width u > w0 and s = 1..6
    uw = np.unique(w)
    ratio = uw[None, :] / w0s[:, None]
    dlm = np.log(np.where(ratio > 1, ratio, np.nan))[:, :, None] / np.arange(1, 7)[None, None, :]
    ok = np.isfinite(dlm) & (dlm >= lm[0]) & (dlm <= lm[-1])
    i0, _, _ = np.nonzero(ok)
    la_f = np.linspace(np.log(0.1), np.log(wa_hi), grid)
    W0 = np.concatenate([W0, np.repeat(w0s[i0], la_f.size)])
    LA = np.concatenate([LA, np.tile(la_f, i0.size)])
    LM = np.concatenate([LM, np.repeat(dlm[ok], la_f.size)])
    return W0, LA, LM, _evaluate(w, W0, np.exp(LA), np.exp(LM), q)


def quantized_linear_fit(widths, q: int = 8, wm_range=(1.05, 4.0), grid: int = 96, refine: int = 6,
                         keep: int = 8) -> QuantizedLinearFit:
    """Best (w0, wa, wm) for the block widths of one model, minimising e_fit."""
    w = np.asarray(widths, dtype=float).ravel()
    if w.size == 0 or np.any(w <= 0):
        raise ValueError("widths must be a non-empty sequence of positive numbers")
    d = w.size
    exact = _exact_fit(w, q)
    if exact is not None:
        w0, wa, wm = exact
        return QuantizedLinearFit(w0, wa, wm, 0.0, tuple(int(v) for v in w))
    first = max(q, round(w[0] / q) * q)
    w0s = np.array([first + k * q for k in range(-1, 2) if first + k * q > 0], dtype=float)
    wa_hi = max(256.0, 4.0 * w.max())
    log_wa = np.concatenate([[-np.inf], np.linspace(np.log(0.1), np.log(wa_hi), grid)])  # -inf -> wa = 0
    log_wm = np.linspace(np.log(wm_range[0]), np.log(wm_range[1]), grid)
    # plus the multipliers that map w0 exactly onto an observed stage width in s steps
    ratios = np.unique(w[w > w[0]]) / max(w[0], 1e-9)
    derived = (np.log(ratios)[:, None] / np.arange(1, 7)[None, :]).ravel()
    derived = derived[(derived >= log_wm[0]) & (derived <= log_wm[-1])]
    log_wm = np.unique(np.concatenate([log_wm, derived]))
    W0, LA, LM = np.meshgrid(w0s, log_wa, log_wm, indexing="ij")
    W0, LA, LM = W0.ravel(), LA.ravel(), LM.ravel()
    err = _evaluate(w, W0, np.exp(LA), np.exp(LM), q)
    if derived.size:  # the data-derived multipliers against a fine slope grid (exact fits have narrow wa ranges)
        fa, fm = np.meshgrid(np.linspace(np.log(0.1), np.log(wa_hi), 8 * grid), np.unique(derived), indexing="ij")
        fa, fm = fa.ravel(), fm.ravel()
        f0 = np.full(fa.size, float(first))
        W0, LA, LM = np.concatenate([W0, f0]), np.concatenate([LA, fa]), np.concatenate([LM, fm])
        err = np.concatenate([err, _evaluate(w, f0, np.exp(fa), np.exp(fm), q)])
    # every multiple of q as w0 (not only near the first width): a coarse (wa, wm) grid plus, per w0, the
    # multipliers mapping w0 exactly onto an observed width, against the slope grid
    # a starting width whose every candidate is worse than the keep-th best so far cannot enter the refinement
    # below nor win, so skipping it changes nothing (margin: the bound and e_fit round differently)
    kth = np.partition(err, keep - 1)[keep - 1] if err.size >= keep else np.inf
    bound = kth * (1 + 1e-9) + 1e-12 if np.isfinite(kth) else np.inf
    cand0 = _all_w0_candidates(w, q, wa_hi, wm_range, grid, bound=bound)
    W0, LA, LM = np.concatenate([W0, cand0[0]]), np.concatenate([LA, cand0[1]]), np.concatenate([LM, cand0[2]])
    err = np.concatenate([err, cand0[3]])
    step_a = (log_wa[2] - log_wa[1]) if grid > 1 else 1.0
    step_m = (np.log(wm_range[1]) - np.log(wm_range[0])) / max(grid - 1, 1)
    for _ in range(refine):
        best = np.argsort(err, kind="stable")[:keep]
        if err[best[0]] == 0:
            break
        offs = np.linspace(-1.0, 1.0, 15)
        da, dm = np.meshgrid(offs * step_a, offs * step_m, indexing="ij")
        la = np.where(np.isfinite(LA[best]), LA[best], np.log(0.1))
        cW0 = np.repeat(W0[best], da.size)
        cLA = (la[:, None] + da.ravel()[None, :]).ravel()
        cLM = np.clip((LM[best][:, None] + dm.ravel()[None, :]).ravel(), np.log(1.0001), None)
        cerr = _evaluate(w, cW0, np.exp(cLA), np.exp(cLM), q)
        W0, LA, LM = np.concatenate([W0[best], cW0]), np.concatenate([LA[best], cLA]), np.concatenate([LM[best], cLM])
        err = np.concatenate([err[best], cerr])
        step_a, step_m = step_a / 7.0, step_m / 7.0
    i = int(np.argmin(err))
    w0, wa, wm = float(W0[i]), float(np.exp(LA[i])), float(np.exp(LM[i]))
    pred = quantized_widths(w0, wa, wm, d, q)
    return QuantizedLinearFit(w0, wa, wm, float(err[i]), tuple(int(v) for v in pred))


def e_fit(widths, q: int = 8) -> float:
    """The fit error of the best quantized linear function for ``widths`` (0 for an exact RegNet)."""
    return quantized_linear_fit(widths, q=q).e_fit

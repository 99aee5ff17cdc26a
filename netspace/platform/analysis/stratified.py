"""Two-space comparisons of normalized (complexity-reweighted) error EDFs that are valid tests (pure numpy).

The normalized EDF gives every complexity bin the same mass in both spaces: a model of space s in bin k weighs
w_s,k = 1 / (K · n_s,k) (K bins, n_s,k models of s in bin k). The question it answers is "same error at every
complexity?", so the null hypothesis is: *within each bin*, the two spaces' errors have one law. Under it the
space labels are exchangeable within a bin — not across bins, since the spaces may hold different complexity
mixes. Hence:

- :func:`pool_bins` merges adjacent bins until both spaces occupy every bin (the authors' code refuses a
  normalized EDF with an empty bin; pooling is the smallest change that makes one exist), or says why none does;
- :func:`stratified_ks_test` permutes labels within bins only; the per-bin counts, hence the weights, stay fixed;
- :func:`weighted_median` and :func:`stratified_median_diff`: the normalized medians and a bootstrap interval of
  their difference that resamples within bins (weights fixed again).

Unit tests: ``tests/platform/test_calibration.py`` (false-rejection rate with equal error at every complexity
but different complexity mixes).
"""

from __future__ import annotations

import numpy as np

DEFAULT_MAX_BINS = 40
MODELS_PER_BIN = 5


def default_n_bins(n_smallest: int, max_bins: int = DEFAULT_MAX_BINS) -> int:
    """Complexity bins adapted to the smaller space: about :data:`MODELS_PER_BIN` of its models per bin, between
    2 and ``max_bins`` (the authors' 40 from 200 models per space up)."""
    return int(max(2, min(max_bins, int(n_smallest) // MODELS_PER_BIN)))


MIN_PER_BIN = 3  # models of each space per pooled bin: fewer make the within-bin bootstrap degenerate


def pool_bins(bins, is_b, n_bins: int, min_count: int = MIN_PER_BIN) -> tuple[np.ndarray | None, int, str]:
    """Merge adjacent bins (left to right) until both groups have at least ``min_count`` models in every pooled
    bin (1 = the authors' condition that both occupy it; the default 3 also keeps each bin's resampling
    meaningful).

    ``bins``: bin index of each model (``-1`` = outside the range, ignored); ``is_b``: its group. Returns
    ``(pooled, k, reason)``: the pooled bin of each model (-1 outside), the number of pooled bins, and "" — or
    ``(None, 0, reason)`` when no normalized comparison exists: one group has no model in the range, or pooling
    leaves a single bin although the models spread over several (too few models, or complexity ranges that
    barely overlap: a "normalized" EDF would not be normalized at all).
    """
    b = np.asarray(bins, dtype=np.int64)
    lab = np.asarray(is_b, dtype=bool)
    inside = b >= 0
    na = np.bincount(b[inside & ~lab], minlength=n_bins)[:n_bins]
    nb = np.bincount(b[inside & lab], minlength=n_bins)[:n_bins]
    if na.sum() == 0 or nb.sum() == 0:
        who = "a" if na.sum() == 0 else "b"
        return None, 0, f"space {who} has no model in the complexity range"
    need = max(1, int(min_count))
    group = np.empty(n_bins, dtype=np.int64)
    k, ca, cb = 0, 0, 0
    for i in range(n_bins):
        group[i] = k
        ca += na[i]
        cb += nb[i]
        if ca >= need and cb >= need:
            k, ca, cb = k + 1, 0, 0
    if k > 0 and (ca > 0 or cb > 0):  # the last open group is short of models: join the previous one
        group[group == k] = k - 1
    group = np.minimum(group, max(k - 1, 0))  # k = 0: never enough models, one bin
    k = int(group.max()) + 1
    occupied = int(((na + nb) > 0).sum())
    if k == 1 and occupied > 1 and n_bins > 1:
        return None, 0, (f"pooling complexity bins until each space has {need} model(s) in every bin leaves a single "
                         "bin (too few models, or complexity ranges that barely overlap)")
    pooled = np.where(inside, group[np.clip(b, 0, n_bins - 1)], -1)
    return pooled, k, ""


def _weights_of(pooled: np.ndarray, lab: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per pooled bin, the weight of one model of a and of b: 1 / (k · count)."""
    inside = pooled >= 0
    na = np.bincount(pooled[inside & ~lab], minlength=k).astype(float)
    nb = np.bincount(pooled[inside & lab], minlength=k).astype(float)
    with np.errstate(divide="ignore"):
        return np.where(na > 0, 1.0 / (k * na), 0.0), np.where(nb > 0, 1.0 / (k * nb), 0.0)


def stratified_ks_test(errors, pooled, is_b, k: int, *, n_perm: int = 1000, seed: int = 0, stop_after: int = 50,
                       max_cells: int = 4_000_000) -> tuple[float, float]:
    """Weighted KS distance of the two normalized EDFs and its within-bin permutation p-value.

    ``pooled``: pooled bin of each model (from :func:`pool_bins`; -1 = left out). Labels are shuffled inside each
    bin, so every permutation keeps each space's count per bin and therefore every weight;
    p = (1 + #{D* >= D}) / (1 + n_perm). Sequential (Besag & Clifford 1991): once ``stop_after`` permutations
    reach D the p-value is ``stop_after / permutations drawn`` (clearly not small; saves the rest). Vectorised:
    models sorted by error once, permutations in chunks.
    """
    e = np.asarray(errors, dtype=float)
    pb = np.asarray(pooled, dtype=np.int64)
    lab = np.asarray(is_b, dtype=bool)
    keep = np.isfinite(e) & (pb >= 0)
    e, pb, lab = e[keep], pb[keep], lab[keep]
    if lab.all() or not lab.any():
        return float("nan"), float("nan")
    order = np.argsort(e, kind="stable")
    e, pb, lab = e[order], pb[order], lab[order]
    wa, wb = _weights_of(pb, lab, k)
    # D = max |F_a − F_b| after each run of tied errors; F_a − F_b = cumsum of +w_a (a) or −w_b (b)
    w_if_a, w_if_b = wa[pb].astype(np.float32), -wb[pb].astype(np.float32)
    last = np.flatnonzero(np.r_[e[1:] != e[:-1], True])
    all_last = last.size == e.size

    def d_of(labels: np.ndarray) -> np.ndarray:  # (r, n) bool -> (r,) weighted D
        f = np.cumsum(np.where(labels, w_if_b, w_if_a), axis=1)
        return np.abs(f if all_last else f[:, last]).max(axis=1)

    d_obs = float(d_of(lab[None, :])[0])
    rng = np.random.default_rng(seed)
    members = [np.flatnonzero(pb == j) for j in range(k)]
    n = e.size
    chunk = max(1, min(n_perm, max_cells // max(n, 1), 250))
    ge, done = 0, 0
    while done < n_perm:
        r = min(chunk, n_perm - done)
        perm = np.empty((r, n), dtype=bool)
        for idx in members:
            if idx.size:
                perm[:, idx] = rng.permuted(np.broadcast_to(lab[idx], (r, idx.size)), axis=1)
        ge += int((d_of(perm) >= d_obs - 1e-6).sum())
        done += r
        if ge >= stop_after and done < n_perm:
            return d_obs, ge / done
    return d_obs, (1 + ge) / (1 + n_perm)


def weighted_median(errors, weights) -> float:
    """The smallest error at which the weighted EDF reaches 1/2 (the average of the two middle values when it is
    exactly 1/2 there, so equal weights give the ordinary median)."""
    e = np.asarray(errors, dtype=float)
    w = np.asarray(weights, dtype=float)
    keep = np.isfinite(e) & np.isfinite(w) & (w > 0)
    e, w = e[keep], w[keep]
    if e.size == 0:
        return float("nan")
    order = np.argsort(e, kind="stable")
    e, c = e[order], np.cumsum(w[order])
    c /= c[-1]
    i = min(int(np.searchsorted(c, 0.5 - 1e-9, side="left")), e.size - 1)
    if abs(c[i] - 0.5) <= 1e-9 and i + 1 < e.size:
        return float((e[i] + e[i + 1]) / 2)
    return float(e[i])


def _boot_weighted_medians(e: np.ndarray, strata: np.ndarray, w_of_stratum: np.ndarray, n_boot: int,
                           rng: np.random.Generator, max_cells: int = 4_000_000) -> np.ndarray:
    """Weighted medians of ``n_boot`` stratified resamples (each stratum resampled to its own size)."""
    order = np.lexsort((e, strata))  # grouped by stratum: a draw in stratum j is start_j + floor(U · n_j)
    e_s, st = e[order], strata[order]
    size = np.bincount(st)
    start = np.r_[0, np.cumsum(size)[:-1]]
    first, span = start[st].astype(np.float32), size[st].astype(np.float32)
    rank = np.empty(e.size, dtype=np.int64)  # position of each (stratum-sorted) model in error order
    by_error = np.argsort(e_s, kind="stable")
    rank[by_error] = np.arange(e.size)
    e_sorted = e_s[by_error]
    w_sorted = w_of_stratum[st][by_error]
    out = np.empty(n_boot)
    chunk = max(1, min(n_boot, max_cells // max(e.size, 1)))
    n = e.size
    for b0 in range(0, n_boot, chunk):
        r = min(chunk, n_boot - b0)
        # stratum-sorted positions, uniform within each stratum (float32: exact below 2^24 models per stratum)
        draws = (first + np.floor(rng.random((r, n), dtype=np.float32) * span)).astype(np.int32)
        np.minimum(draws, (first + span - 1).astype(np.int32), out=draws)
        flat = (np.arange(r)[:, None] * n + rank[draws]).ravel()
        c = np.cumsum(np.bincount(flat, minlength=r * n).reshape(r, n) * w_sorted, axis=1)
        c /= c[:, -1:]
        i = np.minimum((c < 0.5 - 1e-9).sum(axis=1), n - 1)  # first position where the weighted EDF reaches 1/2
        j = np.minimum((c <= 0.5 + 1e-9).sum(axis=1), n - 1)  # first position past 1/2
        exact = np.abs(c[np.arange(r), i] - 0.5) <= 1e-9  # exactly 1/2 there: the midpoint, as weighted_median
        out[b0:b0 + r] = np.where(exact, (e_sorted[i] + e_sorted[j]) / 2, e_sorted[i])
    return out


def stratified_median_diff(errors, pooled, is_b, k: int, *, n_boot: int = 1000, level: float = 0.95,
                           seed: int = 0) -> tuple[float, float, float, float, float]:
    """``(median_a, median_b, diff, lo, hi)``: the normalized (weighted) medians, their difference b − a and its
    percentile bootstrap ``level`` interval, each space resampled within each pooled bin (weights fixed)."""
    e = np.asarray(errors, dtype=float)
    pb = np.asarray(pooled, dtype=np.int64)
    lab = np.asarray(is_b, dtype=bool)
    keep = np.isfinite(e) & (pb >= 0)
    e, pb, lab = e[keep], pb[keep], lab[keep]
    wa, wb = _weights_of(pb, lab, k)
    ma = weighted_median(e[~lab], wa[pb[~lab]])
    mb = weighted_median(e[lab], wb[pb[lab]])
    if not (np.isfinite(ma) and np.isfinite(mb)):
        return ma, mb, float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    boot_a = _boot_weighted_medians(e[~lab], pb[~lab], wa, n_boot, rng)
    boot_b = _boot_weighted_medians(e[lab], pb[lab], wb, n_boot, rng)
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(boot_b - boot_a, [alpha, 1.0 - alpha])
    return ma, mb, mb - ma, float(lo), float(hi)

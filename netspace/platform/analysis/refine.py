"""One refinement round of a design space from its finished population (RegNet paper, Sec. 3 and appendix), with
evidence that must beat chance.

Per sampled parameter, and per derived quantity of AnyNet / RegNet networks (total depth, width ratios, monotone
widths / depths, spread of b and g; :mod:`.derived`): the *bootstrap good region* (the value of the best model of a
random ``subsample`` share of the models, repeated; its 95 % interval) and the *error trend* (correlation of error
with the parameter, on log scale for log-uniform ones; least-squares slope with a bootstrap interval for display).
Both are tested against the same statistics on populations with the errors shuffled, family-wise over all
parameters and features (:mod:`.evidence`). A numeric parameter is restricted to its good region only where

1. the population has at least ``min_n`` finished models (otherwise refine says how many it needs);
2. its region or trend is outside the shuffled-error null after the family-wise adjustment (p_adj < alpha);
3. the region is clearly narrower than the current range (rounded outward to values the space can draw);
4. the paper's check passes: the models inside the proposed region are *better* than those outside, by the same
   pair verdict as the comparisons of spaces (:func:`~netspace.platform.analysis.compare.pairwise_comparisons`).

The refined space is printed as a ``spaces:`` entry that runs as a new space of the same campaign.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from netspace.platform.analysis.compare import finished

TABLE_COLUMNS = ["parameter", "kind", "current", "good_lo", "good_median", "good_hi", "region_p", "slope", "slope_lo",
                 "slope_hi", "trend_p", "direction", "n", "proposed", "evidence"]
MIN_N = 32  # below this many finished models refine reports the evidence but proposes nothing
SUBSAMPLE = 0.25  # share of the models drawn at random (with replacement) per good-region round
NARROWER = 0.8  # propose a new range only when the good region covers less than this share of the current span


@dataclass
class RefineResult:
    label: str
    new_label: str
    table: pd.DataFrame
    restrict: dict[str, Any]
    yaml: str
    n: int
    notes: list[str] = field(default_factory=list)
    check: str = ""  # the inside-vs-outside verdict of the proposed region ("" when nothing was proposed)
    #: the best model's recipe as a ready ``training:`` block, when the space searched its recipe
    training_yaml: str = ""


def _fmt(x: float) -> str:
    if x is None or not np.isfinite(x):
        return "-"
    return f"{x:.4g}"


def slope_interval(t, e, n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> tuple[float, float, float]:
    """Least-squares slope of ``e`` on ``t`` and its percentile bootstrap interval (pairs resampled)."""
    t = np.asarray(t, dtype=float)
    e = np.asarray(e, dtype=float)
    if t.size < 3 or np.ptp(t) == 0:
        return float("nan"), float("nan"), float("nan")

    def slopes(tt, ee):
        tc = tt - tt.mean(axis=-1, keepdims=True)
        var = (tc * tc).sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(var > 0, (tc * (ee - ee.mean(axis=-1, keepdims=True))).sum(axis=-1) / var, np.nan)

    rng = np.random.default_rng(seed)
    idx = rng.integers(0, t.size, size=(n_boot, t.size))
    boot = slopes(t[idx], e[idx])
    alpha = (1 - level) / 2
    lo, hi = np.nanquantile(boot, [alpha, 1 - alpha])
    return float(slopes(t, e)), float(lo), float(hi)


def _bounds(p) -> tuple[float, float] | None:
    from netspace.search_spaces.params import Choice
    from netspace.search_spaces.restrict import _value_bounds

    if isinstance(p, Choice):
        vals = [c for c in p.choices if isinstance(c, (int, float)) and not isinstance(c, bool)]
        return (min(vals), max(vals)) if len(vals) == len(p.choices) else None
    return tuple(float(v) for v in _value_bounds(p))  # type: ignore[return-value]


def _propose(p, lo: float, hi: float) -> Any:
    """A restriction keeping [lo, hi] of ``p``, rounded outward to values ``p`` can take; None = no change."""
    from netspace.search_spaces.params import Choice, Float, Int

    cur = _bounds(p)
    if cur is None or not (np.isfinite(lo) and np.isfinite(hi)) or cur[1] <= cur[0]:
        return None
    if isinstance(p, Choice):
        keep = [c for c in p.choices if lo <= c <= hi]
        return {"values": keep} if keep and len(keep) < len(p.choices) else None
    log = bool(getattr(p, "log", False)) and cur[0] > 0 and lo > 0
    span = (math.log(cur[1]) - math.log(cur[0])) if log else (cur[1] - cur[0])
    part = (math.log(hi) - math.log(lo)) if log else (hi - lo)
    if part >= NARROWER * span:
        return None
    if isinstance(p, Int):
        ia, ib = math.floor(lo), math.ceil(hi)
        return {"low": int(max(ia, cur[0])), "high": int(min(ib, cur[1]))}
    if isinstance(p, Float) and p.quantum:
        q = p.quantum
        qa, qb = q * math.floor(lo / q), q * math.ceil(hi / q)
        if float(q).is_integer():
            return {"low": int(max(qa, cur[0])), "high": int(min(qb, cur[1]))}
        digits = max(0, -math.floor(math.log10(q)))  # a quantum of 0.1 or 0.001 (pycls's wa, wm)
        return {"low": round(max(qa, cur[0]), digits), "high": round(min(qb, cur[1]), digits)}
    a, b = _round_out(lo, hi)
    return {"low": max(a, cur[0]), "high": min(b, cur[1])}


def _round_out(lo: float, hi: float, digits: int = 3) -> tuple[float, float]:
    def r(x, fn):
        if x == 0:
            return 0.0
        k = digits - 1 - math.floor(math.log10(abs(x)))
        return fn(x * 10**k) / 10**k

    return float(r(lo, math.floor)), float(r(hi, math.ceil))


def next_label(label: str, taken=()) -> str:
    """``regnetx`` -> ``regnetx-r1``; ``regnetx-r1`` -> ``regnetx-r2`` (skipping labels in ``taken``)."""
    import re

    m = re.match(r"^(.*)-r(\d+)$", label)
    stem, k = (m.group(1), int(m.group(2)) + 1) if m else (label, 1)
    while f"{stem}-r{k}" in set(taken):
        k += 1
    return f"{stem}-r{k}"


def clean_regime(regime: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A stored ``RegimeSpec`` dump without its unset keys (for the YAML entry)."""
    if not regime:
        return None
    per = {m: {k: regime[m][k] for k in ("low", "high") if regime[m].get(k) is not None}
           if isinstance(regime.get(m), Mapping) else regime.get(m) for m in ("flops", "params", "acts") if regime.get(m)}
    if per:
        return {**per, "rule": regime["rule"]} if regime.get("rule") else per
    return {k: regime[k] for k in ("metric", "low", "high", "rule") if regime.get(k) is not None}


def refine_space(df: pd.DataFrame, label: str, *, subsample: float = SUBSAMPLE, n_boot: int = 400,
                 n_null: int | None = None, alpha: float = 0.05, min_n: int = MIN_N, seed: int = 0, base: str | None = None,
                 restrict: Mapping[str, Any] | None = None, samples: int | None = None,
                 regime: Mapping[str, Any] | None = None, new_label: str | None = None, taken_labels=(),
                 top_frac: float | None = None, recipe: tuple | None = None) -> RefineResult:
    """Evidence per parameter and derived feature, and the refined space of ``label``'s finished population.

    ``subsample``: share of the models drawn at random per good-region round (``top_frac`` is its old name);
    ``n_boot`` rounds, ``n_null`` error shuffles (default: enough that 2 tests per quantity can reach
    ``alpha / 2`` after the family-wise adjustment, at least 500), family-wise level ``alpha``; nothing is proposed below ``min_n``
    models. ``base``/``restrict``: the study's registered space and its restriction (study attrs ``space`` and
    ``restrict``; default: ``label`` itself, unrestricted). ``samples``/``regime``: copied into the YAML entry.
    Derived features come from a ``config`` column (trial attr) or ready ``feature_*`` columns.
    """
    from netspace.errors import NetspaceError
    from netspace.platform.analysis.derived import PREFIX, feature_columns, feature_doc, with_features
    from netspace.platform.analysis.evidence import refine_evidence
    from netspace.search_spaces import get_space
    from netspace.search_spaces.restrict import DerivedSpace
    from netspace.search_spaces.restrict import restrict as do_restrict

    if top_frac is not None:
        subsample = top_frac
    base = base or label
    old = dict(restrict or {})
    space = do_restrict(get_space(base), old)
    if recipe:  # (fixed, distributions) of a searched recipe: its recipe.* params are refined like the others
        from netspace.platform.campaign import recipe_space

        space = recipe_space.with_recipe(space, recipe[1])
    params = space.parameters()
    done = finished(df)
    sub = with_features(done[done["space"] == label])
    e = sub["error"].to_numpy(dtype=float)
    n = int(len(sub))
    rows: dict[str, dict] = {}
    tested: list[tuple[str, str, Any, np.ndarray, bool]] = []  # (name, kind, param or None, x, log)
    for name, p in params.items():
        col = f"param_{name}"
        cur = _bounds(p)
        if col not in sub.columns or cur is None:
            rows[name] = {"parameter": name, "kind": "parameter", "current": p.describe(), "n": 0, "direction": "-",
                          "proposed": "-", "evidence": "not numeric or not recorded"}
            continue
        raw = pd.to_numeric(sub[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        x = np.asarray(p.value(raw), dtype=float) if hasattr(p, "value") else raw
        if cur[0] == cur[1]:
            rows[name] = {"parameter": name, "kind": "parameter", "current": p.describe(),
                          "n": int(np.isfinite(x).sum()), "direction": "fixed", "proposed": "-",
                          "evidence": f"fixed at {_fmt(cur[0])}"}
            continue
        tested.append((name, "parameter", p, x, bool(getattr(p, "log", False))))
    for col in feature_columns(sub):
        x = pd.to_numeric(sub[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        name = col[len(PREFIX):]
        fin = x[np.isfinite(x)]
        if fin.size and fin.min() == fin.max():
            rows[name] = {"parameter": name, "kind": "derived", "current": feature_doc(name), "n": int(fin.size),
                          "direction": "fixed", "proposed": "-", "evidence": f"always {_fmt(fin[0])}"}
            continue
        tested.append((name, "derived", None, x, name.startswith("width_ratio") or name.endswith("_spread")))
    n_null = n_null or max(500, int(math.ceil(2 * 2 * len(tested) / alpha)))
    ev = refine_evidence(np.column_stack([q[3] for q in tested]) if tested else np.empty((n, 0)), e,
                         [q[4] for q in tested], subsample=subsample, n_boot=n_boot, n_null=n_null, seed=seed)
    proposals: dict[str, Any] = {}
    for j, (name, kind, p, x, log) in enumerate(tested):
        ok = np.isfinite(x) & np.isfinite(e)
        t = np.log2(x[ok]) if log and np.all(x[ok] > 0) else x[ok]
        slope, s_lo, s_hi = slope_interval(t, e[ok], n_boot=1000, seed=seed)
        rp, tp = float(ev.p_region_adj[j]), float(ev.p_trend_adj[j])
        trend = np.isfinite(tp) and tp < alpha
        direction = ("lower is better" if slope > 0 else "higher is better") if trend else "no clear trend"
        evident = trend or (np.isfinite(rp) and rp < alpha)
        prop = _propose(p, ev.lo[j], ev.hi[j]) if kind == "parameter" and evident and n >= min_n else None
        if prop is not None:
            proposals[name] = prop
        unit = f"%/doubling of {name}" if log else f"% per unit of {name}"
        evidence = (f"best models at {name} in [{_fmt(ev.lo[j])}, {_fmt(ev.hi[j])}] (95 %, median {_fmt(ev.median[j])}; "
                    f"narrower than with shuffled errors: p_adj = {_fmt_p(rp)}); error slope {_fmt(slope)} {unit} "
                    f"(95 % CI [{_fmt(s_lo)}, {_fmt(s_hi)}]; trend beyond shuffled errors: p_adj = {_fmt_p(tp)})")
        rows[name] = {"parameter": name, "kind": kind, "current": p.describe() if p is not None else feature_doc(name),
                      "good_lo": ev.lo[j], "good_median": ev.median[j], "good_hi": ev.hi[j], "region_p": rp,
                      "slope": slope, "slope_lo": s_lo, "slope_hi": s_hi, "trend_p": tp, "direction": direction,
                      "n": int(ok.sum()), "proposed": _proposal_text(prop) if kind == "parameter" else "-",
                      "evidence": evidence}
    notes: list[str] = []
    if n < min_n:
        notes.append(f"{label} has {n} finished models; refine proposes a restriction from {min_n} on (sample "
                     f"{min_n - n} more: raise its samples to {min_n} and run the campaign again)")
    elif not proposals:
        notes.append(f"no parameter's good region or trend is outside what shuffled errors give (family-wise "
                     f"{alpha:g} over {2 * len(tested)} tests): nothing to restrict")
    check = ""
    if proposals:
        proposals, check, note = _inside_better(sub, params, proposals, alpha=alpha, seed=seed)
        notes.append(note)
        for name in rows:
            if rows[name].get("kind") == "parameter" and rows[name].get("proposed") not in ("-", "keep"):
                rows[name]["proposed"] = _proposal_text(proposals.get(name))
    merged = dict(old)
    base_space = get_space(base)
    training_entry: dict[str, Any] = {}
    training_yaml = ""
    if recipe and recipe[1]:
        from netspace.platform.campaign import recipe_space

        training_entry, training_yaml = recipe_space.refined_training(recipe, proposals, sub, e)
        proposals = {k: v for k, v in proposals.items() if not k.startswith(recipe_space.PREFIX)}
    for name, prop in proposals.items():  # keep only proposals the base accepts
        trial = dict(merged, **{name: prop})
        try:
            DerivedSpace(base_space, trial)
        except NetspaceError as exc:
            notes.append(f"{name}: proposal dropped ({exc})")
            continue
        merged = trial
    new_label = new_label or next_label(label, taken_labels)
    entry: dict[str, Any] = {"label": new_label, "space": base}
    if samples:
        entry["samples"] = int(samples)
    reg = clean_regime(regime)
    if reg:
        entry["regime"] = reg
    if merged:
        entry["restrict"] = {k: _plain(v) for k, v in merged.items()}
    if training_entry:
        entry["training"] = training_entry
    order = [q for q in params if q in rows] + [q for q in rows if q not in params]
    table = pd.DataFrame([rows[q] for q in order], columns=TABLE_COLUMNS)
    return RefineResult(label, new_label, table, merged, entry_yaml(entry), n, notes, check, training_yaml)


def _fmt_p(p: float) -> str:
    if p is None or not np.isfinite(p):
        return "n/a"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _inside(sub: pd.DataFrame, params, proposals: Mapping[str, Any]) -> np.ndarray:
    """Models of ``sub`` whose values lie in every proposed range / value set."""
    mask = np.ones(len(sub), dtype=bool)
    for name, prop in proposals.items():
        p = params[name]
        raw = pd.to_numeric(sub[f"param_{name}"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        x = np.asarray(p.value(raw), dtype=float) if hasattr(p, "value") else raw
        if "values" in prop:
            mask &= np.isin(x, np.asarray(prop["values"], dtype=float))
        else:
            mask &= (x >= prop["low"]) & (x <= prop["high"])
    return mask


def _inside_better(sub: pd.DataFrame, params, proposals: dict, *, alpha: float, seed: int) -> tuple[dict, str, str]:
    """The paper's check: the error EDF of the models inside the proposed region against those outside, by the
    pair verdict. Returns (proposals kept — all or none, the verdict, a note)."""
    from netspace.platform.analysis.compare import pairwise_comparisons

    mask = _inside(sub, params, proposals)
    k_in, k_out = int(mask.sum()), int((~mask).sum())
    if k_in < 2 or k_out < 2:
        return {}, "", (f"proposal dropped: {k_in} model(s) inside the proposed region and {k_out} outside — too few "
                        "on one side to check that inside is better")
    pair = pd.DataFrame({"space": np.where(mask, "inside", "outside"), "error": sub["error"].to_numpy(dtype=float)})
    row = pairwise_comparisons(pair, ["inside", "outside"], seed=seed, alpha=alpha).iloc[0]
    check = f"inside (n = {k_in}) vs outside (n = {k_out}): {row['verdict']}"
    if row["better"] == "inside":
        return proposals, check, f"paper's check passed: {check}"
    return {}, check, f"proposal dropped: the models inside the proposed region are not better than those outside ({check})"


def _proposal_text(prop: Any) -> str:
    if prop is None:
        return "keep"
    if "values" in prop:
        return "{" + ", ".join(str(v) for v in prop["values"]) + "}"
    return f"[{_fmt(prop['low'])}, {_fmt(prop['high'])}]"


def _plain(v: Any) -> Any:
    if isinstance(v, Mapping):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v


def entry_yaml(entry: Mapping[str, Any]) -> str:
    """``entry`` as one item of a campaign's ``spaces:`` list (two-space indent, flow style for small maps)."""
    import yaml

    text = yaml.safe_dump([_plain(dict(entry))], sort_keys=False, default_flow_style=None, width=110)
    return "".join("  " + line + "\n" for line in text.splitlines())


def study_entry(attrs: Mapping[str, Any], label: str) -> dict[str, Any]:
    """``base``, ``restrict``, ``samples`` and ``regime`` of a campaign study, from its user attrs (older
    studies without ``label``/``restrict`` attrs: the study label is the registered space)."""
    import json

    raw = attrs.get("restrict")
    restrict = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
    out: dict[str, Any] = {"base": attrs.get("space") or label, "restrict": restrict, "samples": attrs.get("target"),
                           "regime": None}
    spec = attrs.get("spec")
    if spec:
        entries = json.loads(spec).get("spaces", [])
        for s in entries if isinstance(entries, list) else []:
            if isinstance(s, Mapping) and (s.get("label") or s.get("space")) == label:
                out["regime"] = s.get("regime")
                out["samples"] = s.get("samples", out["samples"])
    return out


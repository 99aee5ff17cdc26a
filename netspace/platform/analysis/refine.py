"""One refinement round of a design space from its finished population (RegNet paper, Sec. 3 and appendix).

Per sampled parameter: the *bootstrap good region* of the best models (:func:`good_region`: the parameter value
of the lowest-error model among ``top_frac`` of the models drawn with replacement, repeated ``n_boot`` times; its
95 % interval) and the *error trend* (least-squares slope of error on the parameter — on log2 of it for
log-uniform parameters — with a bootstrap 95 % interval). The proposed refined space keeps each numeric
parameter's good region where that region is clearly narrower than the current range, rounded outward to values
the space can draw, and is printed as a ``spaces:`` entry that runs as a new space of the same campaign.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from netspace.platform.analysis.bootstrap import good_region
from netspace.platform.analysis.compare import finished

TABLE_COLUMNS = ["parameter", "current", "good_lo", "good_median", "good_hi", "slope", "slope_lo", "slope_hi",
                 "direction", "n", "proposed", "evidence"]
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
        a, b = math.floor(lo), math.ceil(hi)
        return {"low": int(max(a, cur[0])), "high": int(min(b, cur[1]))}
    if isinstance(p, Float) and p.quantum:
        q = p.quantum
        a, b = q * math.floor(lo / q), q * math.ceil(hi / q)
        return {"low": int(max(a, cur[0])), "high": int(min(b, cur[1]))}
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
        return per
    return {k: regime[k] for k in ("metric", "low", "high") if regime.get(k) is not None}


def refine_space(df: pd.DataFrame, label: str, *, top_frac: float = 0.25, n_boot: int = 2000, seed: int = 0,
                 base: str | None = None, restrict: Mapping[str, Any] | None = None, samples: int | None = None,
                 regime: Mapping[str, Any] | None = None, new_label: str | None = None,
                 taken_labels=(), recipe: tuple | None = None) -> RefineResult:
    """Evidence per parameter and the refined space of ``label``'s finished population.

    ``base``/``restrict``: the study's registered space and its restriction (study attrs ``space`` and
    ``restrict``; default: ``label`` itself, unrestricted). ``samples``/``regime``: copied into the YAML entry.
    """
    from netspace.errors import NetspaceError
    from netspace.search_spaces import get_space
    from netspace.search_spaces.restrict import DerivedSpace
    from netspace.search_spaces.restrict import restrict as do_restrict

    base = base or label
    old = dict(restrict or {})
    space = do_restrict(get_space(base), old)
    if recipe:  # (fixed, distributions) of a searched recipe: its recipe.* params are refined like the others
        from netspace.platform.campaign import recipe_space

        space = recipe_space.with_recipe(space, recipe[1])
    params = space.parameters()
    done = finished(df)
    sub = done[done["space"] == label]
    e = sub["error"].to_numpy(dtype=float)
    rows, proposals, notes = [], {}, []
    if len(sub) < 8:
        notes.append(f"only {len(sub)} finished models of {label}: the evidence is weak")
    for name, p in params.items():
        col = f"param_{name}"
        cur = _bounds(p)
        current = p.describe()
        if col not in sub.columns or cur is None:
            rows.append({"parameter": name, "current": current, "n": 0, "direction": "-",
                         "proposed": "-", "evidence": "not numeric or not recorded"})
            continue
        raw = pd.to_numeric(sub[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        x = np.asarray(p.value(raw), dtype=float) if hasattr(p, "value") else raw
        keep = np.isfinite(x) & np.isfinite(e)
        x, ee = x[keep], e[keep]
        if cur[0] == cur[1]:
            rows.append({"parameter": name, "current": current, "n": int(x.size), "direction": "fixed",
                         "proposed": "-", "evidence": f"fixed at {_fmt(cur[0])}"})
            continue
        gr = good_region(x, ee, frac=top_frac, n_boot=n_boot, seed=seed)
        log = bool(getattr(p, "log", False)) and np.all(x > 0)
        t = np.log2(x) if log else x
        slope, s_lo, s_hi = slope_interval(t, ee, n_boot=n_boot, seed=seed)
        unit = f"%/doubling of {name}" if log else f"% per unit of {name}"
        if np.isfinite(s_hi) and s_hi < 0:
            direction = "higher is better"
        elif np.isfinite(s_lo) and s_lo > 0:
            direction = "lower is better"
        else:
            direction = "no clear trend"
        prop = _propose(p, gr["lo"], gr["hi"])
        if prop is not None:
            proposals[name] = prop
        evidence = (f"best models at {name} in [{_fmt(gr['lo'])}, {_fmt(gr['hi'])}] (95 % bootstrap, median "
                    f"{_fmt(gr['median'])}); error slope {_fmt(slope)} {unit} (95 % CI [{_fmt(s_lo)}, {_fmt(s_hi)}]): "
                    f"{direction}")
        rows.append({"parameter": name, "current": current, "good_lo": gr["lo"], "good_median": gr["median"],
                     "good_hi": gr["hi"], "slope": slope, "slope_lo": s_lo, "slope_hi": s_hi, "direction": direction,
                     "n": int(x.size), "proposed": _proposal_text(prop), "evidence": evidence})
    merged = dict(old)
    base_space = get_space(base)
    training_entry, training_yaml = {}, ""
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
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    return RefineResult(label, new_label, table, merged, entry_yaml(entry), int(len(sub)), notes, training_yaml)


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


def refine_campaign_space(url: str, campaign: str, label: str, **kwargs: Any) -> RefineResult:
    """:func:`refine_space` of a campaign study read from the storage (the ``netspace refine`` command)."""
    from netspace.errors import CampaignError
    from netspace.platform.storage.results import load_trials, study_attrs

    attrs = study_attrs(url, campaign)
    if label not in attrs:
        raise CampaignError(f"campaign {campaign!r} has no space labelled {label!r} (it has: {', '.join(sorted(attrs))})")
    entry = study_entry(attrs[label], label)
    df = load_trials(url, campaign, [label], intermediate=False)
    from netspace.platform.campaign.recipe_space import study_recipe

    return refine_space(df, label, base=entry["base"], restrict=entry["restrict"], samples=entry["samples"],
                        regime=entry["regime"], taken_labels=set(attrs), recipe=study_recipe(attrs[label], label),
                        **kwargs)

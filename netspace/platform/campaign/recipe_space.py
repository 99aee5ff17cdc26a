"""Searchable training recipes: ``training:`` fields given as distributions, drawn in the architecture's trial.

A field of ``training:`` (campaign level, or an entry's own ``training:``) may be a distribution instead of a value,
in ``restrict``'s vocabulary::

    training:
      lr: {low: 0.25, high: 5, log: true}       # log-uniform real
      weight_decay: {low: 5.0e-5, high: 1.0e-3, log: true}
      batch_size: {values: [64, 128, 256]}      # a choice
      augment: {values: [true, false]}

Such a field is a parameter of the trial named ``recipe.FIELD`` (:data:`PREFIX`), drawn by the same Optuna trial as
the network (random, TPE and NSGA-II alike: :class:`RecipeSpace` wraps the design space, so the sampler sees one
joint space) and stored with the trial's params, so trends, importance, parallel coordinates and drill-down see it
like any architecture parameter. The recipe a trial trains with is the fixed fields plus its drawn ones
(:func:`recipe_for`), rebuilt from the stored params (a resumed trial trains with the recipe it was drawn with).

Derived quantities (:func:`derived`): ``lr_wd`` = lr · weight decay, and ``lr_per_256`` = lr · 256 / batch size
(the RegNet paper's appendix finds the best lr·wd stable across model sizes); stored as the trial user attrs
``recipe_lr_wd`` and ``recipe_lr_per_256``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from netspace.errors import InvalidConfigError
from netspace.search_spaces.base import DesignSpace
from netspace.search_spaces.params import Choice, Float, Int, Param
from netspace.search_spaces.wrapped import WrappedSpace

PREFIX = "recipe."
SEARCHABLE = ("lr", "weight_decay", "momentum", "warmup_epochs", "batch_size", "epochs", "label_smoothing", "augment")
INTEGER = ("batch_size", "epochs")
BOOLEAN = ("augment",)
#: per field: (lowest allowed, whether the lowest is excluded, highest allowed, whether the highest is excluded)
BOUNDS = {"lr": (0.0, True, math.inf, False), "weight_decay": (0.0, False, math.inf, False),
          "momentum": (0.0, False, 1.0, True), "warmup_epochs": (0.0, False, math.inf, False),
          "batch_size": (1, False, math.inf, False), "epochs": (1, False, 10_000, False),
          "label_smoothing": (0.0, False, 1.0, True)}
#: the TrainRecipe fields (what a worker receives)
RECIPE_FIELDS = ("epochs", "batch_size", "lr", "warmup_epochs", "momentum", "nesterov", "weight_decay", "augment",
                 "label_smoothing", "device", "max_train_images")


def is_distribution(value: Any) -> bool:
    return isinstance(value, Mapping) and bool({"low", "high", "values", "log"} & set(value))


def split_training(data: Any) -> Any:
    """A raw ``training:`` mapping with its distributions moved under ``search`` (what :class:`TrainingSpec` holds)."""
    if not isinstance(data, Mapping):
        return data
    out = dict(data)
    search = dict(out.get("search") or {})
    for key in list(out):
        if key != "search" and is_distribution(out[key]):
            search[key] = out.pop(key)
    if search:
        out["search"] = search
    return out


def _check_value(field: str, v: Any, path: str) -> Any:
    if field in BOOLEAN:
        if not isinstance(v, bool):
            raise InvalidConfigError(f"{path}: expected true or false, got {v!r}")
        return v
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise InvalidConfigError(f"{path}: expected a number, got {v!r}")
    if field in INTEGER and v != int(v):
        raise InvalidConfigError(f"{path}: expected an integer, got {v!r}")
    lo, lo_open, hi, hi_open = BOUNDS[field]
    if v < lo or (lo_open and v == lo) or v > hi or (hi_open and v == hi):
        lower = f"> {lo:g}" if lo_open else f">= {lo:g}"
        upper = "" if math.isinf(hi) else (f" and < {hi:g}" if hi_open else f" and <= {hi:g}")
        raise InvalidConfigError(f"{path}: must be {lower}{upper} (got {v!r})")
    return int(v) if field in INTEGER else float(v)


def to_param(field: str, rule: Mapping[str, Any], path: str | None = None) -> Param:
    """The :mod:`netspace.search_spaces.params` declaration of one distribution; a bad one raises one line."""
    path = path or f"training.{field}"
    if field not in SEARCHABLE:
        raise InvalidConfigError(f"{path}: cannot be searched; searchable fields: {', '.join(SEARCHABLE)}")
    unknown = sorted(set(rule) - {"low", "high", "log", "values"})
    if unknown:
        raise InvalidConfigError(f"{path}.{unknown[0]}: unknown key; expected low/high (and log) or values")
    if "values" in rule:
        if {"low", "high", "log"} & set(rule):
            raise InvalidConfigError(f"{path}: give either low/high or values, not both")
        values = rule["values"]
        if not isinstance(values, (list, tuple)) or not values:
            raise InvalidConfigError(f"{path}.values: expected a non-empty list")
        checked = [_check_value(field, v, f"{path}.values") for v in values]
        if len(set(checked)) != len(checked):
            raise InvalidConfigError(f"{path}.values: a value is listed twice")
        return Choice(tuple(checked))
    if field in BOOLEAN:
        raise InvalidConfigError(f"{path}: a true/false field takes values: [true, false], not low/high")
    if "low" not in rule or "high" not in rule:
        raise InvalidConfigError(f"{path}: a range needs both low and high")
    lo = _check_value(field, rule["low"], f"{path}.low")
    hi = _check_value(field, rule["high"], f"{path}.high")
    log = rule.get("log", False)
    if not isinstance(log, bool):
        raise InvalidConfigError(f"{path}.log: expected true or false, got {log!r}")
    if lo >= hi:
        raise InvalidConfigError(f"{path}: low {lo:g} must be below high {hi:g}")
    if log and lo <= 0:
        raise InvalidConfigError(f"{path}: a log-uniform range needs low > 0 (got {lo:g})")
    return Int(int(lo), int(hi), log=log) if field in INTEGER else Float(float(lo), float(hi), log=log)


def check_search(search: Mapping[str, Any], path: str = "training") -> dict[str, Param]:
    return {k: to_param(k, dict(v), f"{path}.{k}") for k, v in search.items()}


def check_overrides(overrides: Mapping[str, Any], path: str = "training") -> None:
    """An entry's ``training:``: fixed values or distributions of the searchable fields (and ``nesterov``)."""
    for k, v in overrides.items():
        if is_distribution(v):
            to_param(k, dict(v), f"{path}.{k}")
        elif k == "nesterov":
            if not isinstance(v, bool):
                raise InvalidConfigError(f"{path}.nesterov: expected true or false, got {v!r}")
        elif k in SEARCHABLE:
            _check_value(k, v, f"{path}.{k}")
        else:
            raise InvalidConfigError(f"{path}.{k}: unknown key for an entry's training; allowed: "
                                     f"{', '.join((*SEARCHABLE, 'nesterov'))}")


def merge_recipe(training: Mapping[str, Any], overrides: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, Param]]:
    """(fixed fields, distributions) from a ``training:`` dump (distributions under ``search``) and an entry's own
    ``training:`` on top (a value there fixes a field the campaign searches)."""
    fixed = {k: training[k] for k in RECIPE_FIELDS if k in training}
    dists = dict(training.get("search") or {})
    for k, v in (overrides or {}).items():
        if is_distribution(v):
            dists[k] = v
        else:
            fixed[k] = v
            dists.pop(k, None)
    return fixed, check_search(dists)


def entry_recipe(spec, sspec) -> tuple[dict[str, Any], dict[str, Param]]:
    """(fixed fields, distributions) of the recipe of campaign ``spec``'s entry ``sspec``."""
    return merge_recipe(spec.training.model_dump(), getattr(sspec, "training", None))


def study_recipe(attrs: Mapping[str, Any], label: str) -> tuple[dict[str, Any], dict[str, Param]]:
    """:func:`entry_recipe` of a campaign study, from its user attrs (the stored spec); empty when unknown."""
    import json

    try:
        raw = attrs.get("spec")
        spec = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
        entries = [s for s in spec.get("spaces") or [] if isinstance(s, Mapping)]
        entry = next((s for s in entries if (s.get("label") or s.get("space")) == label), {})
        training = spec.get("training")
        return merge_recipe(training if isinstance(training, Mapping) else {}, entry.get("training"))
    except (ValueError, TypeError, AttributeError, InvalidConfigError):  # an older or hand-made spec: no recipe
        return {}, {}


def searched(spec, sspec) -> bool:
    return bool(entry_recipe(spec, sspec)[1])


def apply_params(fixed: Mapping[str, Any], dists: Mapping[str, Param], params: Mapping[str, Any]) -> dict[str, Any]:
    """The fixed fields with the drawn ones of ``params`` (``recipe.FIELD``) filled in."""
    out = dict(fixed)
    for k in dists:
        if PREFIX + k in params:
            v = params[PREFIX + k]
            out[k] = bool(v) if k in BOOLEAN else int(v) if k in INTEGER else float(v)
    return out


def recipe_for(spec, sspec, params: Mapping[str, Any]) -> dict[str, Any]:
    """The TrainRecipe fields a trial with ``params`` trains with."""
    return apply_params(*entry_recipe(spec, sspec), params)


def max_epochs(spec) -> int:
    """The longest schedule any entry can draw (ASHA's horizon)."""
    best = 1
    for s in spec.spaces:
        fixed, dists = entry_recipe(spec, s)
        p = dists.get("epochs")
        longest = int(fixed["epochs"]) if p is None else int(max(p.choices) if isinstance(p, Choice) else p.high)
        best = max(best, longest)
    return best


def derived(recipe: Mapping[str, Any]) -> dict[str, float]:
    """lr · weight decay, and lr per 256 images (lr · 256 / batch size)."""
    lr, wd, bs = float(recipe["lr"]), float(recipe["weight_decay"]), float(recipe["batch_size"])
    return {"lr_wd": lr * wd, "lr_per_256": lr * 256.0 / bs}


def recipe_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The recipe part of a trial's params, by field name."""
    return {k[len(PREFIX):]: v for k, v in params.items() if str(k).startswith(PREFIX)}


def architecture_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """A trial's params without the recipe ones (what the design space rebuilds its config from)."""
    return {k: v for k, v in params.items() if not str(k).startswith(PREFIX)}


class RecipeSpace(WrappedSpace):
    """A design space with recipe parameters: ``sample`` draws the network, then the recipe, through one trial.

    Everything else (``check``, ``build``, ``complexity``, configs, options, constraints) is the wrapped space's
    (``base``); the recipe params are declared (``recipe.FIELD``), so vectorised sampling draws them too and the
    wrapped space's screen ignores them.
    """

    def __init__(self, base: DesignSpace, dists: Mapping[str, Param]):
        super().__init__(base)
        self.dists = dict(dists)

    def options(self) -> dict[str, Any]:
        return self.base.options()

    def parameters(self) -> dict[str, Param]:
        return {**self.base.parameters(), **{PREFIX + k: p for k, p in self.dists.items()}}

    def constraints(self) -> list[str]:
        return self.base.constraints()

    def sample(self, trial):
        config = self.base.sample(trial)
        for k, p in self.dists.items():
            p.suggest(trial, PREFIX + k)
        return config

    def screen_batch(self, values, regime, geometry):
        return self.base.screen_batch({k: v for k, v in values.items() if not k.startswith(PREFIX)}, regime, geometry)

    def config_from_params(self, params):
        return self.base.config_from_params(architecture_params(params))

    def restrict(self, restriction=None, **kwargs):
        from netspace.search_spaces import restrict

        return restrict(self.base, restriction, **kwargs)


def with_recipe(space: DesignSpace, dists: Mapping[str, Param]) -> DesignSpace:
    """``space`` itself when no recipe field is searched, else the :class:`RecipeSpace` over it."""
    return RecipeSpace(space, dists) if dists else space


def training_block(recipe: Mapping[str, Any], base: Mapping[str, Any] | None = None) -> str:
    """A ready ``training:`` block (YAML) of ``recipe``: every searchable field, plus the fields that differ from
    ``base`` (e.g. the campaign's fixed ones) among the others."""
    import yaml

    out: dict[str, Any] = {}
    for k in RECIPE_FIELDS:
        if k not in recipe:
            continue
        v = recipe[k]
        if k in SEARCHABLE or base is None or base.get(k) != v:
            out[k] = float(f"{v:.4g}") if isinstance(v, float) else v
    return yaml.safe_dump({"training": out}, sort_keys=False, default_flow_style=False)


def trial_attrs(spec, sspec, params: Mapping[str, Any]) -> dict[str, Any]:
    """User attrs of a new trial of a searched recipe: the derived quantities (none when nothing is searched)."""
    if not any(str(k).startswith(PREFIX) for k in params):
        return {}
    return {f"recipe_{k}": v for k, v in derived(recipe_for(spec, sspec, params)).items()}


def dist_yaml(p: Param) -> dict[str, Any]:
    """A declaration back in the ``training:`` vocabulary."""
    if isinstance(p, Choice):
        return {"values": list(p.choices)}
    return {"low": p.low, "high": p.high, **({"log": True} if p.log else {})}


def refined_training(recipe: tuple, proposals: Mapping[str, Any], finished, errors) -> tuple[dict[str, Any], str]:
    """For ``netspace refine``: the refined entry's ``training:`` (each searched field narrowed where the evidence
    proposes it, else kept), and the best finished model's recipe as a ready ``training:`` block."""
    import numpy as np

    fixed, dists = recipe
    entry = {}
    for k, p in dists.items():
        prop = proposals.get(PREFIX + k)
        if prop is None:
            entry[k] = dist_yaml(p)
        elif "values" in prop:
            entry[k] = {"values": list(prop["values"])}
        else:
            entry[k] = {"low": prop["low"], "high": prop["high"], **({"log": True} if getattr(p, "log", False) else {})}
    block = ""
    e = np.asarray(errors, dtype=float)
    if len(finished) and np.isfinite(e).any():
        row = finished.iloc[int(np.nanargmin(e))]
        params = {c[len("param_"):]: row[c] for c in finished.columns if c.startswith("param_" + PREFIX)}
        block = training_block(apply_params(fixed, dists, params))
    return entry, block


def with_derived_columns(df):
    """``df`` (trial rows with ``param_recipe.*`` columns) plus the derived quantities as parameter columns
    (``param_lr*wd``, ``param_lr per 256``), where lr and weight decay are known."""
    import pandas as pd

    lr = df.get(f"param_{PREFIX}lr")
    if lr is None or df.empty:
        return df
    out = df.copy()
    wd = out.get(f"param_{PREFIX}weight_decay")
    bs = out.get(f"param_{PREFIX}batch_size")
    if wd is not None:
        out["param_lr*wd"] = pd.to_numeric(lr, errors="coerce") * pd.to_numeric(wd, errors="coerce")
    if bs is not None:
        out["param_lr per 256"] = pd.to_numeric(lr, errors="coerce") * 256.0 / pd.to_numeric(bs, errors="coerce")
    return out

"""Derived design spaces: a registered base space restricted on some of its parameters.

Operators (``restrict:`` in a campaign file, or ``restrict(space, ...)`` in Python), per parameter name:

* a scalar, e.g. ``b: 1`` — fix the parameter to that value (it must be a value the base can draw);
* ``{low: L, high: H}`` (either side optional) — narrow a numeric range;
* ``{values: [...]}`` — keep a subset of a parameter's choices (choices, or a uniform integer);
* ``{same_as: OTHER}`` — tie: the parameter takes OTHER's draw (then its own rounding, e.g. a multiple of 8).

Semantics. Fixing, narrowing and subsetting are *conditioning*: the derived space's samples are the base
sampler's draws restricted to the subset, with the same relative probabilities, because the base draws every
parameter independently (uniform / log-uniform / uniform choice) and the restriction narrows each parameter's own
distribution to the same conditional law: a uniform (log-uniform) law conditioned on a sub-interval is uniform
(log-uniform) on it, a uniform choice conditioned on a subset is uniform on the subset, and a value rounded to a
multiple of q is conditioned through the interval of raw draws that round into the range. Constraints and the
regime still reject afterwards, as in the base. Fixing a *continuous* parameter (``wm: 2``) is the degenerate
case: the value is set. A tie changes the distribution to "draw OTHER, copy it": the tied parameter is no longer
sampled (nor stored in the trial params) and the joint law is the base's law of OTHER on the diagonal.

Impossible or unknown restrictions raise :class:`~netspace.errors.InvalidConfigError` with one line naming the
key path, e.g. ``restrict.wm.low: 3.5 is above the base range [1.5, 3]``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, cast

from netspace.errors import InvalidConfigError
from netspace.search_spaces.base import DesignSpace
from netspace.search_spaces.params import Choice, Float, Int, Param
from netspace.search_spaces.wrapped import WrappedSpace

_OPS = ("low", "high", "values", "same_as")


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _fmt(x: Any) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _range_text(p: Param) -> str:
    if isinstance(p, Choice):
        return "{" + ", ".join(_fmt(c) for c in p.choices) + "}"
    lo, hi = _value_bounds(p)
    return f"[{_fmt(lo)}, {_fmt(hi)}]"


def _value_bounds(p: Int | Float) -> tuple[float, float]:
    """Smallest and largest value :meth:`Param.suggest` can return."""
    if isinstance(p, Float) and p.quantum:
        q = p.quantum
        return max(q, int(round(p.low / q)) * q), int(round(p.high / q)) * q
    if isinstance(p, Int) and not p.log:
        return p.low, p.low + p.step * ((p.high - p.low) // p.step)
    return p.low, p.high


def _fix(p: Param, v: Any, path: str) -> Param:
    """The parameter fixed at ``v`` (a one-point distribution)."""
    if isinstance(p, Choice):
        for c in p.choices:
            if c == v and isinstance(c, bool) == isinstance(v, bool):
                return Choice((c,), p.doc)
        raise InvalidConfigError(f"{path}: {v!r} is not one of {_range_text(p)}")
    if not _is_number(v):
        raise InvalidConfigError(f"{path}: expected a number, got {v!r}")
    lo, hi = _value_bounds(p)
    if not lo <= v <= hi:
        raise InvalidConfigError(f"{path}: {_fmt(v)} is outside the base range {_range_text(p)}")
    if isinstance(p, Int):
        if v != int(v) or (not p.log and (int(v) - p.low) % p.step):
            raise InvalidConfigError(f"{path}: {_fmt(v)} is not a value of {p.describe()}")
        return Int(int(v), int(v), 1, p.log, p.doc)
    if p.quantum and v % p.quantum:
        raise InvalidConfigError(f"{path}: {_fmt(v)} is not a multiple of {p.quantum}")
    return Float(float(v), float(v), p.log, p.quantum, p.doc)


def _narrow(p: Param, lo: Any, hi: Any, path: str) -> Param:
    """``p`` conditioned on its value lying in [lo, hi] (None = unbounded)."""
    for key, v in (("low", lo), ("high", hi)):
        if v is not None and not _is_number(v):
            raise InvalidConfigError(f"{path}.{key}: expected a number, got {v!r}")
    if lo is not None and hi is not None and lo > hi:
        raise InvalidConfigError(f"{path}: low {_fmt(lo)} is above high {_fmt(hi)}")
    if isinstance(p, Choice):
        if not all(_is_number(c) for c in p.choices):
            raise InvalidConfigError(f"{path}: low/high need numeric choices; {_range_text(p)} are not (use values)")
        keep = tuple(c for c in p.choices if (lo is None or c >= lo) and (hi is None or c <= hi))
        if not keep:
            raise InvalidConfigError(f"{path}: no choice of {_range_text(p)} lies in [{_fmt(lo)}, {_fmt(hi)}]")
        return Choice(keep, p.doc)
    vlo, vhi = _value_bounds(p)
    if lo is not None and lo > vhi:
        raise InvalidConfigError(f"{path}.low: {_fmt(lo)} is above the base range {_range_text(p)}")
    if hi is not None and hi < vlo:
        raise InvalidConfigError(f"{path}.high: {_fmt(hi)} is below the base range {_range_text(p)}")
    lo = vlo if lo is None else max(lo, vlo)
    hi = vhi if hi is None else min(hi, vhi)
    if isinstance(p, Int):
        if p.log:
            a, b = math.ceil(lo), math.floor(hi)
            step = 1
        else:
            a = p.low + p.step * math.ceil((lo - p.low) / p.step)
            b = p.low + p.step * math.floor((hi - p.low) / p.step)
            step = p.step
        if a > b:
            raise InvalidConfigError(f"{path}: no value of {p.describe()} lies in [{_fmt(lo)}, {_fmt(hi)}]")
        return Int(int(a), int(b), step, p.log, p.doc)
    if p.quantum:  # condition the raw draw on rounding into [lo, hi]
        q = p.quantum
        a, b = q * math.ceil(lo / q), q * math.floor(hi / q)
        if a > b:
            raise InvalidConfigError(f"{path}: no multiple of {q} lies in [{_fmt(lo)}, {_fmt(hi)}]")
        raw_lo = p.low if a <= vlo else max(p.low, a - q / 2)
        raw_hi = p.high if b >= vhi else min(p.high, b + q / 2)
        return Float(float(raw_lo), float(raw_hi), p.log, q, p.doc)
    return Float(float(lo), float(hi), p.log, 0, p.doc)


def _subset(p: Param, values: Any, path: str) -> Param:
    if not isinstance(values, (list, tuple)) or not values:
        raise InvalidConfigError(f"{path}: expected a non-empty list of values")
    if isinstance(p, Choice):
        keep = []
        for v in values:
            c = cast(Choice, _fix(p, v, path)).choices[0]
            if c not in keep:
                keep.append(c)
        return Choice(tuple(c for c in p.choices if c in keep), p.doc)
    if isinstance(p, Int) and not p.log:
        for v in values:
            _fix(p, v, path)
        # a uniform integer conditioned on a subset is uniform on the subset
        return Choice(tuple(sorted({int(v) for v in values})), p.doc)
    what = "a log-uniform integer" if isinstance(p, Int) else "a continuous parameter"
    raise InvalidConfigError(f"{path}: values cannot restrict {what} without changing its distribution; "
                             "use low/high or a fixed value")


def _same_kind(a: Param, b: Param) -> bool:
    return type(a) is type(b)


class DerivedSpace(WrappedSpace):
    """A base :class:`DesignSpace` with some parameters fixed, narrowed, subset or tied (see module doc)."""

    def __init__(self, base: DesignSpace, restrict: Mapping[str, Any], *, name: str | None = None,
                 summary: str | None = None, path: str = "restrict"):
        self.restriction: dict[str, Any] = json.loads(json.dumps(dict(restrict or {})))
        super().__init__(base, name=name or f"{base.name}[{_short(self.restriction)}]",
                         summary=summary or f"{base.name} restricted: {_short(self.restriction)}")
        self._params, self._ties = self._parse(base, self.restriction, path)
        self._declared = frozenset(base.parameters())

    # -- parsing -------------------------------------------------------------------------------------
    @staticmethod
    def _parse(base: DesignSpace, spec: Mapping[str, Any], path: str) -> tuple[dict[str, Param], dict[str, str]]:
        if not isinstance(spec, Mapping):
            raise InvalidConfigError(f"{path}: expected a mapping of parameter names to restrictions")
        declared = base.parameters()
        params = dict(declared)
        ties: dict[str, str] = {}
        for key, rule in spec.items():
            where = f"{path}.{key}"
            if key not in declared:
                raise InvalidConfigError(f"{where}: unknown parameter of {base.name}; known: {', '.join(declared)}")
            p = declared[key]
            if isinstance(rule, Mapping):
                unknown = [k for k in rule if k not in _OPS]
                if unknown:
                    raise InvalidConfigError(f"{where}.{unknown[0]}: unknown key; expected low/high, values or same_as")
                used = [op for op in ("values", "same_as") if op in rule] + (["low/high"] if {"low", "high"} & set(rule) else [])
                if len(used) != 1:
                    raise InvalidConfigError(f"{where}: give exactly one of low/high, values, same_as (got {', '.join(used) or 'none'})")
                if "same_as" in rule:
                    ties[key] = str(rule["same_as"])
                elif "values" in rule:
                    params[key] = _subset(p, rule["values"], f"{where}.values")
                else:
                    params[key] = _narrow(p, rule.get("low"), rule.get("high"), where)
            elif isinstance(rule, (list, tuple)):
                raise InvalidConfigError(f"{where}: a list is ambiguous; write {{values: [...]}} for a subset")
            elif rule is None:
                raise InvalidConfigError(f"{where}: expected a value, {{low, high}}, {{values}} or {{same_as}}")
            else:
                params[key] = _fix(p, rule, where)
        for key, src in ties.items():
            where = f"{path}.{key}.same_as"
            if src == key:
                raise InvalidConfigError(f"{where}: a parameter cannot be tied to itself")
            if src not in declared:
                raise InvalidConfigError(f"{where}: unknown parameter {src!r} of {base.name}; known: {', '.join(declared)}")
            if src in ties:
                raise InvalidConfigError(f"{where}: {src} is itself tied to {ties[src]}; tie {key} to {ties[src]}")
            a, b = declared[key], params[src]
            if not _same_kind(a, b):
                raise InvalidConfigError(f"{where}: {key} ({a.describe()}) and {src} ({b.describe()}) are different kinds")
            if isinstance(a, Choice):
                extra = [c for c in cast(Choice, b).choices if c not in a.choices]
                if extra:
                    raise InvalidConfigError(f"{where}: {src} can be {_fmt(extra[0])}, which {key} cannot; "
                                             f"restrict {src} to values of {_range_text(a)} first")
            elif not (a.low <= b.low and b.high <= a.high):  # type: ignore[union-attr]  # b is a's kind
                raise InvalidConfigError(f"{where}: {src}'s range [{_fmt(b.low)}, {_fmt(b.high)}] is not inside "  # type: ignore[union-attr]
                                         f"{key}'s [{_fmt(a.low)}, {_fmt(a.high)}]; narrow {src} first, e.g. "
                                         f"{src}: {{low: {_fmt(a.low)}, high: {_fmt(a.high)}}}")
            params.pop(key)
        return params, ties

    # -- declaration ---------------------------------------------------------------------------------
    def parameters(self) -> dict[str, Param]:
        return dict(self._params)

    @property
    def ties(self) -> dict[str, str]:
        return dict(self._ties)

    def constraints(self) -> list[str]:
        return list(self.base.constraints()) + [f"restricted: {_short(self.restriction)}"]

    def size(self) -> float:
        total = self.base.size()
        if math.isinf(total) or any(math.isinf(p.cardinality()) for p in self._params.values()):
            return math.inf
        declared = self.base.parameters()
        for k, p in declared.items():
            if k in self._ties:
                total /= p.cardinality()
            elif self._params[k] is not p:
                total = total / p.cardinality() * self._params[k].cardinality()
        return total

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        for k, src in self._ties.items():
            info["parameters"][k] = f"same as {src} (tied: {src}'s draw is copied)"
        info["parameters"] = {k: info["parameters"][k] for k in self.base.parameters()}
        info["base"] = self.base.name
        info["restrict"] = self.restriction
        return info

    # -- sampling ------------------------------------------------------------------------------------
    def sample(self, trial):
        return self.base.sample(_RestrictedTrial(trial, self))

    def has_batch_path(self) -> bool:
        if not super().has_batch_path():
            return False
        # ties copy the source's raw draw; the batch path only sees values, equal to raw draws except when rounded
        return all(not (isinstance(p := self._params[s], Float) and p.quantum) for s in self._ties.values())

    def screen_batch(self, values, *args, **kwargs):
        full = dict(values)
        declared = self.base.parameters()
        for k, src in self._ties.items():
            full[k] = declared[k].value(values[src])
        return self.base.screen_batch(full, *args, **kwargs)

    # -- checks, networks and configs: the base's (WrappedSpace); its other helpers through __getattr__ --------
    def __getattr__(self, item):  # other helpers and options of the base (e.g. geometry-aware methods)
        if item.startswith("__") or item in ("base", "_params", "_ties", "_declared"):
            raise AttributeError(item)
        return getattr(self.base, item)

    def __repr__(self) -> str:
        return f"<DerivedSpace {self.name} of {self.base.name}>"


class _RestrictedTrial:
    """Forwards the base space's ``suggest_*`` calls to the real trial with the restricted distributions, and
    answers tied parameters with their source's draw (drawn once, in whatever order the base asks)."""

    def __init__(self, trial, space: DerivedSpace):
        self._trial, self._space = trial, space
        self._raw: dict[str, Any] = {}

    @property
    def params(self):
        return self._trial.params

    def _get(self, name: str, fallback):
        if name in self._raw:
            return self._raw[name]
        src = self._space._ties.get(name)
        if src is not None:
            v = self._get(src, None)
        elif name in self._space._declared:
            v = self._draw(name, self._space._params[name])
        else:
            v = fallback()
        self._raw[name] = v
        return v

    def _draw(self, name: str, p: Param):
        t = self._trial
        if isinstance(p, Int):
            if p.log:
                return t.suggest_int(name, p.low, p.high, log=True)
            return t.suggest_int(name, p.low, p.high, step=p.step)
        if isinstance(p, Float):
            return t.suggest_float(name, p.low, p.high, log=p.log)
        return t.suggest_categorical(name, list(p.choices))

    def suggest_int(self, name, low, high, *, step=1, log=False):
        return self._get(name, lambda: self._trial.suggest_int(name, low, high, step=step, log=log))

    def suggest_float(self, name, low, high, *, step=None, log=False):
        return self._get(name, lambda: self._trial.suggest_float(name, low, high, step=step, log=log))

    def suggest_categorical(self, name, choices):
        return self._get(name, lambda: self._trial.suggest_categorical(name, choices))

    def __getattr__(self, item):  # anything else an Optuna trial offers (number, user attrs, ...)
        return getattr(self._trial, item)


def _short(spec: Mapping[str, Any]) -> str:
    parts = []
    for k, v in spec.items():
        if isinstance(v, Mapping):
            if "same_as" in v:
                parts.append(f"{k}={v['same_as']}")
            elif "values" in v:
                parts.append(f"{k}∈{{{','.join(_fmt(x) for x in v['values'])}}}")
            else:
                lo, hi = v.get("low"), v.get("high")
                parts.append(f"{_fmt(lo)}≤{k}≤{_fmt(hi)}" if lo is not None and hi is not None
                             else f"{k}≥{_fmt(lo)}" if lo is not None else f"{k}≤{_fmt(hi)}")
        else:
            parts.append(f"{k}={_fmt(v)}")
    return ", ".join(parts)


def restrict(space: DesignSpace, restriction: Mapping[str, Any] | None = None, *, name: str | None = None,
             summary: str | None = None, path: str = "restrict", **kwargs: Any) -> DesignSpace:
    """``space`` restricted by ``restriction`` (and/or keyword arguments); ``space`` itself when empty."""
    spec = dict(restriction or {}, **kwargs)
    if not spec and name is None:
        return space
    return DerivedSpace(space, spec, name=name, summary=summary, path=path)


"""The campaign file: a YAML document validated into typed pydantic models.

Every problem is reported as ONE line naming the file and the key's path, e.g.
``campaign.yaml: spaces[1].samples: must be >= 1``; malformed YAML names the file and line.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from netspace.errors import CampaignError, NetspaceError
from netspace.platform.storage.urls import DEFAULT_STORAGE, DEFAULT_TRACKING_URI, absolute_sqlite_url  # noqa: F401

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
DEFAULT_ARTIFACTS = "./mlartifacts"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class RangeSpec(_Model):
    """One metric's range in the multi-metric form of ``regime``."""

    low: Optional[Union[float, str]] = None
    high: Optional[Union[float, str]] = None


class RegimeSpec(_Model):
    """Complexity ranges; ``low``/``high`` accept numbers or strings such as ``"360M"``.

    Single metric: ``{metric: flops, low: 2M, high: 6M}``. Several at once (all must hold):
    ``{flops: {low: 2M, high: 6M}, params: {high: 1M}}`` or ``{flops: "2M:6M", acts: ":200k"}``. ``rule`` adds a
    named rule's limits (:mod:`netspace.search_spaces.rules`), e.g. ``{flops: "2M:6M", rule: regnetx_c}``.
    """

    metric: Literal["flops", "params", "acts"] = "flops"
    low: Optional[Union[float, str]] = None
    high: Optional[Union[float, str]] = None
    flops: Optional[Union[RangeSpec, str]] = None
    params: Optional[Union[RangeSpec, str]] = None
    acts: Optional[Union[RangeSpec, str]] = None
    rule: Optional[Literal["regnetx_c"]] = None

    @model_validator(mode="after")
    def _parse(self):
        regime = self.to_regime()  # raises RegimeError (a ValueError) with a one-line message
        if self._per_metric() or self.rule:
            for metric, lo, hi in regime.ranges:
                self.__dict__[metric] = RangeSpec(low=lo, high=None if math.isinf(hi) else hi)
            self.__dict__["low"] = self.__dict__["high"] = None
        else:
            self.__dict__["low"], self.__dict__["high"] = regime.low, (None if math.isinf(regime.high) else regime.high)
        return self

    def _per_metric(self) -> dict[str, Any]:
        return {m: getattr(self, m) for m in ("flops", "params", "acts") if getattr(self, m) is not None}

    def to_regime(self):
        regime = self._ranges_regime()
        if self.rule:
            from netspace.search_spaces.rules import apply_rule

            regime = apply_rule(regime, self.rule)
        return regime

    def _ranges_regime(self):
        from netspace.errors import RegimeError
        from netspace.search_spaces import Regime

        per = self._per_metric()
        if per:
            if self.low is not None or self.high is not None:
                raise RegimeError("give either metric/low/high or per-metric ranges (flops, params, acts), not both")
            ranges = {}
            for m, r in per.items():
                if isinstance(r, str):
                    ranges[m] = r
                else:
                    ranges[m] = f"{'' if r.low is None else r.low}:{'' if r.high is None else r.high}"
            return Regime.of(**ranges)
        lo = "" if self.low is None else str(self.low)
        hi = "" if self.high is None else str(self.high)
        return Regime.parse(f"{lo}:{hi}", self.metric)


class ResolutionSpec(_Model):
    """``resolution: {values: [24, 28, 32]}``: every trial of the entry draws its input resolution from ``values``
    (complexity and regime at that resolution; the data resized on the training device)."""

    values: list[int] = Field(min_length=1)

    @field_validator("values")
    @classmethod
    def _values(cls, v: list[int]) -> list[int]:
        from netspace.search_spaces.resolution import resolution_values

        try:
            return list(resolution_values(v))
        except NetspaceError as exc:
            raise ValueError(str(exc).split(": ", 1)[-1]) from None


LABEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,99}$")


class SpaceSpec(_Model):
    space: str
    samples: int = Field(ge=1, le=1_000_000)
    regime: Optional[RegimeSpec] = None
    label: Optional[str] = None            # study "<campaign>::<label>"; default: the space name
    restrict: Optional[dict[str, Any]] = None   # netspace.search_spaces.restrict operators on the base's params
    reference: bool = False                # a preset trained as a fixed reference point (from `references:`)
    resolution: Optional[ResolutionSpec] = None  # sample the input resolution per trial
    regimes: Optional[list[RegimeSpec]] = Field(default=None, min_length=1)  # one study per regime (expanded on load)
    regime_of: Optional[str] = None        # set on the entries `regimes:` expands to: the entry's own key
    training: Optional[dict[str, Any]] = None  # this entry's recipe fields (values or distributions) over `training:`

    @field_validator("space")
    @classmethod
    def _known(cls, v: str) -> str:
        from netspace.search_spaces import get_space

        try:
            get_space(v)
        except NetspaceError as exc:  # UnknownSpaceError is a KeyError: re-raise as pydantic's ValueError
            raise ValueError(str(exc)) from None
        return v

    @field_validator("label")
    @classmethod
    def _label(cls, v: Optional[str]) -> Optional[str]:
        if v is not None and not LABEL_RE.match(v):
            raise ValueError("must start with a letter or digit and hold only letters, digits, '_', '.', '+', '-'")
        return v

    @model_validator(mode="after")
    def _one_regime_form(self):
        if self.regimes is not None and self.regime is not None:
            raise ValueError("give either regime or regimes, not both")
        return self

    @model_validator(mode="after")
    def _restrictable(self):
        if self.restrict or self.resolution:
            try:
                self.design_space()
            except NetspaceError as exc:  # "@" marks a message that continues the key path
                raise ValueError(f"@{exc}") from None
        return self

    @field_validator("training")
    @classmethod
    def _training(cls, v: Optional[dict[str, Any]]) -> Optional[dict[str, Any]]:
        from netspace.platform.campaign.recipe_space import check_overrides

        if v:
            try:
                check_overrides(v, path="")
            except NetspaceError as exc:
                raise ValueError(f"@{str(exc).lstrip('.')}") from None
        return v or None

    @property
    def key(self) -> str:
        """The study label: ``label``, else the space name."""
        return self.label or self.space

    def design_space(self):
        """The (derived) design space this entry samples."""
        from netspace.search_spaces import get_space
        from netspace.search_spaces.resolution import with_resolution
        from netspace.search_spaces.restrict import restrict

        space = restrict(get_space(self.space), self.restrict or {}, name=self.label if self.restrict else None)
        return with_resolution(space, self.resolution.values if self.resolution else None)


class DatasetModel(_Model):
    name: str = "digits"
    root: Optional[str] = None
    resolution: Optional[int] = Field(default=None, ge=8, le=1024)  # folder: resize to; imagenet: training res (224)


class TrainingSpec(_Model):
    """The fields of :class:`netspace.workers.TrainRecipe`."""

    epochs: int = Field(default=5, ge=1, le=10_000)
    batch_size: int = Field(default=128, ge=1)
    lr: float = Field(default=0.1, gt=0)
    warmup_epochs: float = Field(default=1.0, ge=0)
    momentum: float = Field(default=0.9, ge=0, lt=1)
    nesterov: bool = True
    weight_decay: float = Field(default=5e-5, ge=0)
    augment: bool = True
    label_smoothing: float = Field(default=0.0, ge=0, lt=1)
    device: str = "auto"
    max_train_images: Optional[int] = Field(default=None, ge=2)
    lr_ref_batch: Optional[int] = Field(default=None, ge=1)  # lr is per this many images (256: the ImageNet recipe)
    # fields given as distributions ({low, high, log} or {values}): searched (netspace.platform.campaign.recipe_space)
    search: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _split_distributions(cls, data: Any) -> Any:
        from netspace.platform.campaign.recipe_space import split_training

        return split_training(data)

    @model_validator(mode="after")
    def _check_search(self):
        from netspace.platform.campaign.recipe_space import check_search

        try:
            check_search(self.search, path="")
        except NetspaceError as exc:  # "@" marks a message that continues the key path
            raise ValueError(f"@{str(exc).lstrip('.')}") from None
        return self


class StrategySpec(_Model):
    kind: Literal["random", "tpe", "nsga2"] = "random"
    seed: int = 0


class EarlyStoppingSpec(_Model):
    kind: Literal["none", "asha"] = "none"
    grace_period: int = Field(default=1, ge=1)
    reduction_factor: float = Field(default=3.0, gt=1)


class ResourcesSpec(_Model):
    cpus_per_trial: float = Field(default=1.0, gt=0)
    gpus_per_trial: float = Field(default=0.0, ge=0, le=1)
    max_concurrent: Optional[int] = Field(default=None, ge=1)
    max_failures: int = Field(default=1, ge=0, le=10)


def _default_tracking_uri() -> str:
    """``$MLFLOW_TRACKING_URI`` when set (e.g. a cluster's tracking server), else the embedded SQLite store."""
    return os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI


class MlflowSpec(_Model):
    tracking_uri: str = Field(default_factory=_default_tracking_uri)
    artifact_location: str = DEFAULT_ARTIFACTS
    log_weights: bool = True


class CampaignSpec(_Model):
    name: str
    spaces: list[SpaceSpec] = Field(min_length=1)
    references: list[str] = Field(default_factory=list)   # preset names, trained once each as reference points
    dataset: DatasetModel = DatasetModel()
    training: TrainingSpec = TrainingSpec()
    strategy: StrategySpec = StrategySpec()
    early_stopping: EarlyStoppingSpec = EarlyStoppingSpec()
    resources: ResourcesSpec = ResourcesSpec()
    storage: Optional[str] = None
    mlflow: MlflowSpec = Field(default_factory=MlflowSpec)  # read $MLFLOW_TRACKING_URI when parsed, not at import
    output_dir: Optional[str] = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not NAME_RE.match(v):
            raise ValueError("must start with a letter or digit and hold only letters, digits, '_', '.', '-'")
        return v

    @field_validator("spaces")
    @classmethod
    def _expand_regimes(cls, v: list[SpaceSpec]) -> list[SpaceSpec]:
        """An entry with ``regimes: [...]`` becomes one entry per regime (separate labelled studies)."""
        from netspace.platform.campaign.regimes import expand_regimes

        return expand_regimes(v)

    @field_validator("spaces")
    @classmethod
    def _unique(cls, v: list[SpaceSpec]) -> list[SpaceSpec]:
        seen = set()
        for s in v:
            if s.key in seen:
                what = f"label {s.key!r}" if s.label else f"design space {s.space!r}"
                raise ValueError(f"{what} is listed twice; give each entry of the same space its own label")
            seen.add(s.key)
        return v

    @field_validator("references")
    @classmethod
    def _presets(cls, v: list[str]) -> list[str]:
        from netspace.search_spaces import get_preset

        for name in v:
            try:
                get_preset(name)
            except NetspaceError as exc:
                raise ValueError(str(exc)) from None
        if len(set(v)) != len(v):
            raise ValueError("a preset is listed twice")
        return v

    @model_validator(mode="after")
    def _reference_entries(self):
        """Each preset of ``references`` becomes a one-sample space entry ``preset:NAME`` labelled NAME (once: a
        stored spec already holds them)."""
        have = {s.key: s for s in self.spaces}
        for name in self.references:
            entry = have.get(name)
            if entry is None:
                self.spaces.append(SpaceSpec(space=f"preset:{name}", label=name, samples=1, reference=True))
            elif not entry.reference:
                raise ValueError(f"references: {name!r} is also the label of a space entry")
        return self

    # -- derived -------------------------------------------------------------------------------------
    @property
    def populations(self) -> list[SpaceSpec]:
        """The sampled spaces (without the reference presets)."""
        return [s for s in self.spaces if not s.reference]

    @property
    def multi_objective(self) -> bool:
        return self.strategy.kind == "nsga2"

    @property
    def resolved_output_dir(self) -> str:
        """``output_dir`` of a :meth:`resolved` spec, which always sets it (runs and finalize need it)."""
        if self.output_dir is None:
            raise CampaignError(f"campaign {self.name!r}: output_dir is unset (the spec was not resolved)")
        return self.output_dir

    def resolved(self, base: Path | None = None) -> CampaignSpec:
        """A copy with relative local paths (output dir, sqlite MLflow store, artifacts) made absolute, so
        ``resume`` works from any directory."""
        base = Path(base or os.getcwd())
        data = self.model_dump()
        out = data["output_dir"] or f"./netspace_runs/{self.name}"
        data["output_dir"] = str((base / os.path.expanduser(out)).resolve())
        data["mlflow"]["tracking_uri"] = absolute_sqlite_url(data["mlflow"]["tracking_uri"], base)
        art = data["mlflow"]["artifact_location"]
        if "://" not in art:
            data["mlflow"]["artifact_location"] = str((base / os.path.expanduser(art)).resolve())
        if data["dataset"]["root"] and "://" not in data["dataset"]["root"]:
            data["dataset"]["root"] = str((base / os.path.expanduser(data["dataset"]["root"])).resolve())
        return CampaignSpec.model_validate(data)

    def stored(self, given: CampaignSpec, project: Path | None) -> CampaignSpec:
        """This :meth:`resolved` spec in the form stored with the campaign: each local path that ``given`` (the spec
        as written, before resolving) holds relative (or leaves to its default) is stored relative to the project
        directory ``project`` (:mod:`netspace.platform.storage.project`), so a copied project keeps working;
        paths given absolute stay absolute, and so does everything when there is no project directory."""
        from netspace.platform.storage import project as pj

        data = self.model_dump()
        data["output_dir"] = pj.store_path(self.output_dir, project, absolute=pj.given_absolute(given.output_dir))
        m, g = data["mlflow"], given.mlflow
        m["tracking_uri"] = pj.store_sqlite_url(m["tracking_uri"], project,
                                                absolute=not pj.is_relative_sqlite(g.tracking_uri))
        m["artifact_location"] = pj.store_path(m["artifact_location"], project,
                                               absolute=pj.given_absolute(g.artifact_location))
        data["dataset"]["root"] = pj.store_path(data["dataset"]["root"], project,
                                                absolute=pj.given_absolute(given.dataset.root))
        return CampaignSpec.model_validate(data)

    def to_json(self) -> str:
        """The spec as JSON with credentials in URLs masked (stored in the study user attrs)."""
        from netspace.platform.storage.urls import mask_secrets

        def masked(value):  # every string: URLs may hide in storage, tracking_uri, artifact_location, dataset root
            if isinstance(value, str):
                return mask_secrets(value)
            if isinstance(value, dict):
                return {k: masked(v) for k, v in value.items()}
            if isinstance(value, list):
                return [masked(v) for v in value]
            return value

        return json.dumps(masked(self.model_dump()), sort_keys=True)

    def fingerprint_without_samples(self) -> dict[str, Any]:
        """What must not change between ``run`` invocations of one campaign (sample counts, resources, URLs and
        added spaces may)."""
        d = self.model_dump(include={"dataset", "training", "strategy", "early_stopping"})
        d["regimes"] = {s.key: {"space": s.space, "regime": s.regime.model_dump() if s.regime else None,
                                "restrict": s.restrict or None,
                                **({"resolution": s.resolution.values} if s.resolution else {}),
                                **({"training": s.training} if s.training else {})} for s in self.spaces}
        return json.loads(json.dumps(d, sort_keys=True))


def load_campaign(path: str | os.PathLike) -> CampaignSpec:
    """Read and validate a campaign file; any problem raises :class:`CampaignError` with one line."""
    from netspace.platform.campaign.yamlfile import load_file

    label = str(path)
    data = load_file(Path(path), label)  # UTF-8, no aliases, bounded size: one line otherwise
    return parse_campaign(data, label)


def parse_campaign(data: Any, label: str = "campaign") -> CampaignSpec:
    if not isinstance(data, dict):
        raise CampaignError(f"{label}: expected a mapping of keys (name, spaces, ...), got {type(data).__name__}")
    try:
        return CampaignSpec.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
        msg = _message(first)
        loc = format_loc(first["loc"])
        from netspace.platform.campaign.yamlfile import clip

        if msg.startswith("@"):  # the message continues the key path, e.g. "restrict.wm.low: ..."
            raise CampaignError(clip(f"{label}: {loc}.{msg[1:]}{more}")) from None
        raise CampaignError(clip(f"{label}: {loc}: {msg}{more}")) from None
    except NetspaceError as exc:  # raised outside pydantic's wrapping
        from netspace.platform.campaign.yamlfile import clip

        raise CampaignError(clip(f"{label}: {exc}")) from None


def format_loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith("function-after[") or str(part) in ("RangeSpec", "str", "float"):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


_TYPE_NAMES = {
    "int_type": "an integer", "int_parsing": "an integer", "int_from_float": "an integer",
    "float_type": "a number", "float_parsing": "a number",
    "bool_type": "true or false", "bool_parsing": "true or false",
    "string_type": "a string", "list_type": "a list", "dict_type": "a mapping", "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def _message(err: ErrorDetails) -> str:
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    if kind in _TYPE_NAMES:
        return f"expected {_TYPE_NAMES[kind]}, got {value!r}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        op = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}[kind]
        bound = next(iter(ctx.values()))
        return f"must be {op} {bound} (got {value!r})"
    if kind == "literal_error":
        return f"got {value!r}; expected {ctx.get('expected')}"
    if kind == "too_short":
        return "must not be empty"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    return err["msg"]

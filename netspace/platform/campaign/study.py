"""One Optuna study per design space: sampling, ask/tell and the trial records of the storage contract.

* ``random`` strategy: unbiased populations drawn with netspace's own sampler (seeded, regime-constrained
  rejection through :func:`iter_samples`); each accepted sample becomes a RUNNING trial created in one
  transaction with its params, distributions and config, and a ``sample_index`` so a resumed campaign continues
  the same seeded stream instead of redrawing earlier samples.
* ``tpe`` / ``nsga2``: Optuna's TPESampler / NSGAIISampler (error vs FLOPs) ask, the space's ``sample(trial)``
  draws; constraint or regime rejections are told FAIL with user attr ``rejected`` and never trained nor counted.

The records the driver reads and writes of any campaign study (attrs, counts, abandoned trials, epochs, outcomes)
are :class:`StudyRecords`, shared with the final-training study (:mod:`netspace.platform.campaign.final_study`);
the parameter specs the space layer records become Optuna distributions here (``to_optuna``).

The driver is the only writer. Counting: ``finished`` = COMPLETE + PRUNED (early-stopped); ``failed`` = FAIL
with status ``failed``; ``rejected`` = FAIL with ``rejected``; ``running`` = RUNNING.
"""

from __future__ import annotations

import math
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from netspace.errors import CampaignError
from netspace.platform.campaign import recipe_space
from netspace.platform.campaign.spec import CampaignSpec, SpaceSpec
from netspace.platform.storage.distributions import to_optuna
from netspace.platform.storage.urls import SEP, study_name  # noqa: F401  (the study naming contract)
from netspace.search_spaces import Geometry, Regime, iter_samples

MAX_CONSECUTIVE_REJECTIONS = 2000
PENALTY_ERR = 100.0  # what a rejected proposal is told in the sampler's mirror study (the worst top-1 error)




@dataclass
class Draw:
    """A trial ready to train."""

    space: str
    number: int
    trial_id: int
    params: dict[str, Any]
    config: dict[str, Any]
    complexity: dict[str, int]
    mlflow_run_id: str | None = None
    resumed: bool = False  # an abandoned RUNNING trial picked up again
    label: str = ""  # the study label within the campaign (defaults to ``space``)

    def __post_init__(self):
        self.label = self.label or self.space

    @property
    def key(self) -> tuple[str, int]:
        return (self.label, self.number)


@dataclass
class Counts:
    target: int
    finished: int = 0
    completed: int = 0
    pruned: int = 0
    running: int = 0
    failed: int = 0
    rejected: int = 0
    best: float | None = None
    best_number: int | None = None
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "extra"}


def classify(t: FrozenTrial) -> str:
    """finished | running | failed | rejected | waiting."""
    if t.state in (TrialState.COMPLETE, TrialState.PRUNED):
        return "finished"
    if t.state == TrialState.RUNNING:
        return "running"
    if t.state == TrialState.FAIL:
        return "rejected" if "rejected" in t.user_attrs else "failed"
    return "waiting"


def count_trials(trials: list[FrozenTrial], target: int) -> Counts:
    c = Counts(target=target)
    for t in trials:
        kind = classify(t)
        if kind == "finished":
            c.finished += 1
            if t.state == TrialState.COMPLETE:
                c.completed += 1
                v = t.values[0] if t.values else None
                if v is not None and (c.best is None or v < c.best):
                    c.best, c.best_number = v, t.number
            else:
                c.pruned += 1
        elif kind in ("running", "failed", "rejected"):
            setattr(c, kind, getattr(c, kind) + 1)
    return c


def make_sampler(strategy: str, seed: int):
    if strategy == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if strategy == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed)
    return optuna.samplers.RandomSampler(seed=seed)


def space_seed(seed: int, space: str) -> int:
    """A stable per-space seed (independent of the order spaces are listed in)."""
    return zlib.crc32(f"{seed}:{space}".encode()) & 0x7FFFFFFF


def open_study(storage, name: str, *, multi_objective: bool = False, sampler=None):
    """The study ``name`` (created unless it exists): top-1 error minimised (and FLOPs, multi-objective), the
    objectives named so Optuna's own tools (optuna-dashboard, plots) label them."""
    study = optuna.create_study(storage=storage, study_name=name, sampler=sampler, load_if_exists=True,
                                directions=["minimize", "minimize"] if multi_objective else ["minimize"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.set_metric_names(["top1_err", "flops"] if multi_objective else ["top1_err"])
    return study


def load_study(storage, name: str) -> StudyRecords:
    """An existing study seen only through its records (e.g. a population study, for MLflow reconciliation)."""
    return StudyRecords(storage, optuna.load_study(study_name=name, storage=storage))


class StudyRecords:
    """One campaign study as the driver reads and writes it: study attrs, trials and their counts, the MLflow runs
    they reference, abandoned trials, and each trial's epochs and outcome. :class:`SpaceStudy` (a design space's
    population) and :class:`~netspace.platform.campaign.final_study.FinalStudy` (``netspace finalize``) add how
    they draw trials."""

    #: the ``rejected`` attr of a RUNNING trial abandoned before it had a config (never trained)
    abandoned_reason = "abandoned before sampling finished"

    def __init__(self, storage, study, *, target: int = 0, multi_objective: bool = False):
        self.storage, self.study, self.target, self.multi_objective = storage, study, target, multi_objective
        self.study_id = study._study_id

    # -- study-level -------------------------------------------------------------------------------
    def set_attrs(self, **attrs: Any) -> None:
        for k, v in attrs.items():
            self.study.set_user_attr(k, v)

    @property
    def attrs(self) -> dict[str, Any]:
        return self.storage.get_study_user_attrs(self.study_id)

    def trials(self) -> list[FrozenTrial]:
        return self.study.get_trials(deepcopy=False)

    def counts(self) -> Counts:
        return count_trials(self.trials(), self.target)

    def mlflow_outcomes(self) -> tuple[dict[str, dict[str, Any]], set[str]]:
        """(MLflow run id -> status, metrics and weights of each finished trial; every run id referenced), for
        reconciling MLflow with the storage."""
        finished: dict[str, dict[str, Any]] = {}
        referenced: set[str] = set()
        for t in self.trials():
            rid = t.user_attrs.get("mlflow_run_id")
            if rid:
                referenced.add(rid)
            if not rid or not t.state.is_finished():
                continue
            ua = t.user_attrs
            status = ua.get("status") or ("completed" if t.state == TrialState.COMPLETE else "failed")
            metrics = {"epochs_run": ua.get("epochs_run"), "train_time_s": ua.get("train_time_s"),
                       "best_top1_err": ua.get("best_top1_err")}
            if t.state == TrialState.COMPLETE and t.values:
                metrics["final_top1_err"] = t.values[0]
            finished[rid] = {"status": status, "metrics": metrics, "weights_path": ua.get("weights_path")}
        return finished, referenced

    # -- abandoned trials ----------------------------------------------------------------------------
    def abandoned(self) -> list[Draw]:
        """RUNNING trials (only called with the driver lease held, so nobody runs them): the ones with a config
        are returned (:meth:`resumed`) to be re-run under the same number; the ones cut off before they had one
        are marked rejected."""
        out = []
        for t in self.trials():
            if t.state != TrialState.RUNNING:
                continue
            if "config" not in t.user_attrs:
                self.storage.set_trial_user_attr(t._trial_id, "rejected", self.abandoned_reason)
                self.study.tell(t.number, state=TrialState.FAIL, skip_if_finished=True)
                continue
            out.append(self.resumed(t))
        return out

    def resumed(self, t: FrozenTrial) -> Draw:
        """The :class:`Draw` that re-runs the abandoned trial ``t``."""
        raise NotImplementedError

    @staticmethod
    def _complexity_of(ua: dict[str, Any]) -> dict[str, Any]:
        return {k: ua.get(k) for k in ("flops", "params", "acts")}

    # -- recording -----------------------------------------------------------------------------------
    def set_trial_attrs(self, trial_id: int, **attrs: Any) -> None:
        """The user attrs in one transaction (the storage adapter's batched write, when it has one)."""
        if hasattr(self.storage, "set_trial_user_attrs"):
            self.storage.set_trial_user_attrs(trial_id, attrs)
            return
        for k, v in attrs.items():
            self.storage.set_trial_user_attr(trial_id, k, v)

    def record_epoch(self, draw: Draw, epoch: int, top1_err: float | None, progress: dict[str, Any]) -> None:
        """The epoch's top-1 error (intermediate value, single objective; kept only when finite) and ``progress``,
        in one transaction."""
        err = None if self.multi_objective else _finite_float(top1_err)
        if hasattr(self.storage, "record_trial_epoch"):
            self.storage.record_trial_epoch(draw.trial_id, None if err is None else int(epoch), err,
                                            {"progress": progress})
            return
        if err is not None:
            self.storage.set_trial_intermediate_value(draw.trial_id, int(epoch), err)
        self.storage.set_trial_user_attr(draw.trial_id, "progress", progress)

    def finish(self, draw: Draw, *, top1_err: float | None, state: str | TrialState, attrs: dict[str, Any],
               history: list[dict[str, Any]] | None = None) -> None:
        """Write the outcome (``state``: COMPLETE, PRUNED or FAIL): user attrs first, then the state and values in
        one call (the trial counts as finished only once both are stored). ``history`` (the worker's per-epoch
        reports) fills in epochs no driver recorded, so the last intermediate value is the final error."""
        trial_state = TrialState[state] if isinstance(state, str) else state
        steps = {} if self.multi_objective else epoch_errors(history)
        finite = _finite_float(top1_err)
        err = 100.0 if finite is None else finite
        values = None
        if trial_state == TrialState.COMPLETE:
            values = [err, float(draw.complexity["flops"])] if self.multi_objective else [err]
        if hasattr(self.storage, "finish_trial"):  # the storage adapter: all of it in one transaction
            self.storage.finish_trial(draw.trial_id, trial_state.name, values, attrs,
                                      single_objective=not self.multi_objective, intermediate=steps)
            return
        self.set_trial_attrs(draw.trial_id, **attrs)
        for step, value in sorted(steps.items()):
            self.storage.set_trial_intermediate_value(draw.trial_id, step, value)
        if values is not None:
            self.study.tell(draw.number, values=values, skip_if_finished=True)
        else:
            self.study.tell(draw.number, state=trial_state, skip_if_finished=True)


class SpaceStudy(StudyRecords):
    """A design space's population study: draws new trials (seeded random stream, or a sampler's proposals)."""

    def __init__(self, storage, spec: CampaignSpec, sspec: SpaceSpec, geometry: Geometry):
        self.spec, self.sspec, self.geometry = spec, sspec, geometry
        self.space = sspec.design_space()  # the registered space, or a derived (restricted) one
        self.space = recipe_space.with_recipe(self.space, recipe_space.entry_recipe(spec, sspec)[1])  # + recipe params
        self.label = sspec.key
        self.name = study_name(spec.name, self.label)
        self.regime: Regime | None = sspec.regime.to_regime() if sspec.regime else None
        self.strategy = spec.strategy.kind
        self.seed = space_seed(spec.strategy.seed, self.label)
        super().__init__(storage, open_study(storage, self.name, multi_objective=spec.multi_objective,
                                             sampler=make_sampler(self.strategy, self.seed)),
                         target=sspec.samples, multi_objective=spec.multi_objective)
        self._stream: Iterator | None = None
        self._stream_pos = 0
        self._rejected: list[FrozenTrial] = []

    def resumed(self, t: FrozenTrial) -> Draw:
        ua = t.user_attrs
        return Draw(self.sspec.space, t.number, t._trial_id, dict(t.params), ua["config"], self._complexity_of(ua),
                    ua.get("mlflow_run_id"), True, self.label)

    # -- drawing new trials --------------------------------------------------------------------------
    def draw(self, extra_attrs: dict[str, Any]) -> Draw:
        if self.strategy == "random":
            return self._draw_random(extra_attrs)
        return self._draw_ask(extra_attrs)

    def _complexity(self, config):
        g = self.geometry
        return self.space.complexity(config, g)

    def _create_running(self, params: dict[str, Any], distributions: dict[str, Any], config, cx,
                        attrs: dict[str, Any]) -> Draw:
        """One transaction: a RUNNING trial with its params, distributions, config and complexity."""
        cxd = {"flops": int(cx.flops), "params": int(cx.params), "acts": int(cx.acts)}
        cfg = config.to_dict()
        attrs = {**recipe_space.trial_attrs(self.spec, self.sspec, params), **attrs}
        template = optuna.trial.create_trial(state=TrialState.RUNNING, params=params, distributions=distributions,
                                             user_attrs={"config": cfg, **cxd, **attrs})
        trial_id = self.storage.create_new_trial(self.study_id, template_trial=template)
        number = self.storage.get_trial_number_from_id(trial_id)
        return Draw(self.sspec.space, number, trial_id, dict(params), cfg, cxd, label=self.label)

    def _random_stream(self, seed: int) -> Iterator:
        g = self.geometry
        return iter_samples(self.space, seed, self.regime, geometry=g)

    def _draw_random(self, extra_attrs: dict[str, Any]) -> Draw:
        if self._stream is None:
            self._stream = self._random_stream(self.seed)
            used = [t.user_attrs.get("sample_index", -1) for t in self.trials()]
            self._skip = max(used, default=-1) + 1
        while self._stream_pos < self._skip:  # continue the seeded stream where the last driver stopped
            next(self._stream)
            self._stream_pos += 1
        sample = next(self._stream)
        index = self._stream_pos
        self._stream_pos += 1
        self._skip = self._stream_pos
        return self._create_running(sample.params, to_optuna(sample.specs), sample.config, sample.complexity,
                                    {"sample_index": index, **extra_attrs})

    def _startup_left(self, used: int) -> bool:
        """True while the sampler would still draw at random (TPE's startup trials, NSGA-II's first generation)."""
        sampler = self.study.sampler
        n = getattr(sampler, "_n_startup_trials", None) or getattr(sampler, "_population_size", None) or 0
        return used < n

    def _draw_ask(self, extra_attrs: dict[str, Any]) -> Draw:
        """TPE / NSGA-II. Proposals are asked from an in-memory mirror of the study (its real trials plus this
        driver's rejected proposals, told there as the worst error so the sampler learns to avoid them); only
        an accepted proposal becomes a trial in the storage. Rejections are counted in the study user attr
        ``rejected_proposals``."""
        real = [t for t in self.trials() if "config" in t.user_attrs]
        if self._startup_left(len(real)):
            # the sampler's random phase: netspace's regime-aware rejection sampler gives the same distribution
            # (random proposals filtered by constraints and regime) at thousands of draws per second
            if self._stream is None:
                self._stream = self._random_stream(self.seed + len(self.trials()))
            sample = next(self._stream)
            return self._create_running(sample.params, to_optuna(sample.specs), sample.config, sample.complexity,
                                        extra_attrs)
        mirror = optuna.create_study(directions=self.study.directions,
                                     sampler=make_sampler(self.strategy, self.seed + len(real)))
        mirror.add_trials([t for t in real if t.state in (TrialState.COMPLETE, TrialState.PRUNED,
                                                           TrialState.RUNNING)] + self._rejected[-1000:])
        rejected = 0
        try:
            for _ in range(MAX_CONSECUTIVE_REJECTIONS):
                trial = mirror.ask()
                problems: list[str]
                try:
                    config = self.space.sample(trial)
                    problems = list(self.space.check(config))
                except Exception as exc:  # a sampler proposing something the space cannot build
                    config, problems = None, [" ".join(str(exc).split())[:200]]
                cx = None
                if not problems:
                    cx = self._complexity(config)
                    if self.regime is not None and not self.regime.contains(cx):
                        problems = self.regime.violations(cx)
                if problems:
                    rejected += 1
                    values = [PENALTY_ERR, float(cx.flops) if cx else 1e15] if self.multi_objective \
                        else [PENALTY_ERR]
                    mirror.tell(trial, values=values)
                    frozen = mirror._storage.get_trial(trial._trial_id)
                    frozen.set_user_attr("rejected", "; ".join(problems))
                    self._rejected.append(frozen)
                    del self._rejected[:-1000]  # only the last 1000 are shown to the sampler: keep memory bounded
                    continue
                mirror.tell(trial, state=TrialState.FAIL)
                return self._create_running(dict(trial.params), dict(trial.distributions), config, cx, extra_attrs)
        finally:
            if rejected:
                self.study.set_user_attr("rejected_proposals",
                                         int(self.study.user_attrs.get("rejected_proposals", 0)) + rejected)
        raise CampaignError(f"{self.name}: {MAX_CONSECUTIVE_REJECTIONS} consecutive {self.strategy} proposals were "
                            f"rejected (constraints or regime {self.regime}); widen the regime or use strategy random")

def epoch_errors(history: list[dict[str, Any]] | None) -> dict[int, float]:
    """{epoch: top-1 error} of a worker's per-epoch reports (entries without a finite error are skipped)."""
    return {int(h["epoch"]): float(h["top1_err"]) for h in history or ()
            if isinstance(h, dict) and "epoch" in h and _finite(h.get("top1_err"))}


def _finite(x: Any) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def _finite_float(x: Any) -> float | None:
    """``x`` as a float when it is a finite number, else None."""
    return float(x) if _finite(x) else None

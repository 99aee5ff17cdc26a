"""The study adapter of final training (``netspace finalize``): the Optuna study ``NAME::final``, one trial per
planned run (user attrs ``source`` = ``LABEL#N``, ``epochs``, ``seed``), and the campaign's population studies it
reads its sources from. With :mod:`netspace.platform.campaign.study` (whose :class:`StudyRecords` it shares) the
only campaign code that imports Optuna; :mod:`netspace.platform.campaign.finalize` plans and runs the stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from netspace.errors import CampaignError
from netspace.platform.campaign.study import Draw, StudyRecords, load_study, open_study
from netspace.platform.storage.urls import study_name

FINAL = "final"  # the label of the final study: NAME::final


@dataclass(frozen=True)
class PlannedRun:
    source: str   # "LABEL#N": the campaign trial whose network (and recipe) is trained
    epochs: int
    seed: int

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.source, int(self.epochs), int(self.seed))


def population_studies(storage, studies: dict[str, Any]) -> dict[str, StudyRecords]:
    """label -> the records of each population study among ``studies`` (label -> the storage's ``FrozenStudy``):
    every study but the final one."""
    return {label: load_study(storage, s.study_name) for label, s in studies.items() if label != FINAL}


class FinalStudy(StudyRecords):
    """The study ``NAME::final``: one trial per planned run; the driver runs it as it runs a :class:`SpaceStudy`.

    The stored plan (study attr ``plan``) is extended by ``plan``'s runs not in it yet; ``run_attrs`` go with each
    new run's trial (e.g. ``workers`` of data-parallel training)."""

    abandoned_reason = "abandoned before it was planned"

    def __init__(self, storage, spec, plan: list[PlannedRun], sources: dict[str, Any], source_attrs: dict[str, Any],
                 run_attrs: dict[str, Any] | None = None):
        self.spec, self.sspec = spec, None
        self.label = FINAL
        self.name = study_name(spec.name, FINAL)
        super().__init__(storage, open_study(storage, self.name))
        stored = [PlannedRun(**p) for p in self.attrs.get("plan", [])]
        keys = {p.key for p in stored}
        self.plan = stored + [p for p in plan if p.key not in keys]
        self.target = len(self.plan)
        self.sources, self.source_attrs = sources, source_attrs
        self.run_attrs = dict(run_attrs or {})

    @staticmethod
    def _run_key(t: FrozenTrial) -> tuple[str, int, int] | None:
        ua = t.user_attrs
        return (ua["source"], int(ua["epochs"]), int(ua["seed"])) if "source" in ua else None

    def resumed(self, t: FrozenTrial) -> Draw:
        ua = t.user_attrs
        return Draw(ua["space"], t.number, t._trial_id, dict(ua.get("source_params") or {}), ua["config"],
                    self._complexity_of(ua), ua.get("mlflow_run_id"), True, FINAL)

    def draw(self, extra_attrs: dict[str, Any]) -> Draw:
        taken = {self._run_key(t) for t in self.trials()
                 if t.state in (TrialState.COMPLETE, TrialState.RUNNING, TrialState.PRUNED)}
        run = next((p for p in self.plan if p.key not in taken), None)
        if run is None:
            raise CampaignError(f"{self.name}: every planned run is finished or running")
        src = self.sources[run.source]
        label = run.source.rpartition("#")[0]
        ua = src.user_attrs
        cx = {k: int(ua[k]) for k in ("flops", "params", "acts") if ua.get(k) is not None}
        space = self.source_attrs.get(label, {}).get("space") or label
        attrs = {**extra_attrs, **self.run_attrs, "config": ua["config"], **cx, "source": run.source,
                 "epochs": int(run.epochs), "seed": int(run.seed), "space": space, "source_label": label,
                 "source_number": src.number, "source_params": dict(src.params),
                 "source_top1_err": float(src.values[0])}
        template = optuna.trial.create_trial(state=TrialState.RUNNING, user_attrs=attrs)
        trial_id = self.storage.create_new_trial(self.study_id, template_trial=template)
        number = self.storage.get_trial_number_from_id(trial_id)
        return Draw(space, number, trial_id, dict(src.params), ua["config"], cx, label=FINAL)

    def run_of(self, number: int) -> PlannedRun:
        ua = self.storage.get_trial(self.storage.get_trial_id_from_study_id_trial_number(self.study_id, number)).user_attrs
        return PlannedRun(ua["source"], int(ua["epochs"]), int(ua["seed"]))

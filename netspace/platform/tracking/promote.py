"""Promote the best network(s) of a campaign to the MLflow model registry.

Reads the campaign's Optuna studies (``"{campaign}::{space}"``, see docs/contracts.md), picks finished trials,
rebuilds each network from its design-space config and dataset, loads its final weights, logs it with
``mlflow.pytorch.log_model`` (pickle serialization: it loads back as the original module) and registers it
under an alias. A trial is registered at most once per model name: promoting it again only moves the alias.
Moving an alias to a model with a higher top-1 error than the one it names needs ``force=True``. The MLflow
server is ``tracking_uri`` if given, else ``$MLFLOW_TRACKING_URI``, else the one stored in the campaign spec.

This module is the MLflow side and the orchestration; the choice of trials is :mod:`.candidates` (its storage
read goes through :func:`netspace.platform.storage.database.completed_trials`), the network with its weights is
:mod:`.weights`, the registry calls are :mod:`.model_registry`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from netspace.platform.storage.project import load_sqlite_url, project_dir
from netspace.platform.storage.urls import mask_secrets
from netspace.platform.tracking.candidates import (
    Candidate,
    PromotionError,
    check_not_worse,
    load_candidates,
    select,
)
from netspace.platform.tracking.model_registry import TRIAL_KEY_TAG, ModelRegistry, RegisteredVersion
from netspace.platform.tracking.tracker import configure_env
from netspace.platform.tracking.weights import build_trained_model, trial_resolution, weights_file

DEFAULT_ALIAS = "champion"


@dataclass(frozen=True)
class PromotedModel:
    name: str
    version: str
    alias: str | None
    campaign: str
    space: str
    trial_number: int
    top1_err: float
    flops: int | None
    params: int | None
    run_id: str | None
    created: bool  # False when the trial was already registered under this name
    previous_version: str | None = None  # the version ``alias`` named before (None: the alias is new)
    figure: str = ""  # which error top1_err is (see Candidate.figure); "" = the trial's own final error

    @property
    def model_uri(self) -> str:
        return f"models:/{self.name}/{self.version}"

    def describe(self) -> str:
        """One line saying exactly what happened in the registry."""
        what = (f"registered new version {self.version}" if self.created
                else f"already registered as version {self.version}")
        figure = f", {self.figure}" if self.figure else ", the search trial's error"
        line = f"{self.space}#{self.trial_number} (top-1 error {self.top1_err:.2f}%{figure}): {what} of {self.name}"
        if self.alias:
            if self.previous_version is None:
                line += f"; @{self.alias} set on v{self.version}"
            elif self.previous_version == self.version:
                line += f"; @{self.alias} unchanged (v{self.version})"
            else:
                line += f"; @{self.alias} moved from v{self.previous_version} to v{self.version}"
        return line


# ------------------------------------------------------------------------------------------------ public API
def promote(
    storage_url: str | None,
    campaign: str,
    *,
    trial_number: int | str | None = None,
    top_k: int | None = None,
    space: str | None = None,
    alias: str | None = DEFAULT_ALIAS,
    registered_name: str | None = None,
    tracking_uri: str | None = None,
    force: bool = False,
    announce: Callable[[str], None] | None = None,
) -> list[PromotedModel]:
    """Register the chosen trial(s) of ``campaign``; ``alias`` goes to the first (best) one.

    Default: the finished trial with the lowest error across the campaign's spaces (or within ``space``).
    ``trial_number``: an int, ``"N"`` (when only one space has trial N) or ``"space#N"`` (``"space:N"`` too).
    ``top_k``: the K best finished trials.
    ``force``: move ``alias`` even when the version it names has a lower top-1 error; without it that raises
    :class:`PromotionError` before anything is registered.
    ``announce``: called with the MLflow store's URI once it is resolved (the CLI prints it).
    Paths the campaign stored relative (weights, dataset root, MLflow store and artifacts) are taken against the
    project directory, where the SQLite storage file lives (:mod:`netspace.platform.storage.project`).
    """
    if trial_number is not None and top_k is not None:
        raise PromotionError("give either a trial or --top, not both")
    if top_k is not None and top_k < 1:
        raise PromotionError(f"--top must be at least 1, got {top_k}")
    from netspace.platform.storage.urls import resolve_url

    storage_url = resolve_url(storage_url)  # --storage > $NETSPACE_STORAGE > sqlite:///netspace.db
    candidates, study_attrs = load_candidates(storage_url, campaign, space=space)
    from netspace.platform.tracking.finalized import use_finalized  # finalized networks rank by their mean error

    candidates = use_finalized(storage_url, campaign, candidates, named=trial_number is not None)
    project = project_dir(storage_url)
    chosen = [_with_project_paths(c, project)
              for c in select(candidates, campaign, trial_number=trial_number, top_k=top_k, space=space)]

    uri = resolve_tracking_uri(tracking_uri, study_attrs, project)
    if announce is not None:
        announce(uri)
    configure_env(uri)
    campaign_uri = _spec_tracking_uri(study_attrs.get("spec"))
    artifacts = _artifact_location(study_attrs, project)
    if artifacts and campaign_uri and uri == load_sqlite_url(campaign_uri, project):
        from netspace.platform.tracking.relocate import follow_moved_project

        follow_moved_project(uri, study_attrs.get("mlflow_experiment_id"), artifacts, project)  # a copied project  # as the engine does: MLflow 3 refuses a local file store unless allowed
    registry = ModelRegistry(uri, display_uri=mask_secrets(uri))
    name = registered_name or default_model_name(campaign)
    existing = {c.key: registry.find_version(name, c.key) for c in chosen}
    for cand in chosen:  # check every new one can be built before registering any
        if existing[cand.key] is None:
            weights_file(cand)
    current = registry.alias_version(name, alias) if alias else None
    if alias and current is not None and not force:
        check_not_worse(alias, current, chosen[0], existing[chosen[0].key])
    out: list[PromotedModel] = []
    for i, cand in enumerate(chosen):
        found = existing[cand.key]
        version, created = (found, False) if found is not None else _register(registry, name, cand, project)
        this_alias = alias if (alias and i == 0) else None
        if this_alias and (current is None or current.version != version.version):
            registry.set_alias(name, this_alias, version.version)
        out.append(PromotedModel(
            name=name, version=version.version, alias=this_alias, campaign=campaign, space=cand.space,
            trial_number=cand.number, top1_err=cand.top1_err, flops=_int(cand.user_attrs.get("flops")),
            params=_int(cand.user_attrs.get("params")), run_id=version.run_id, created=created,
            previous_version=current.version if (this_alias and current is not None) else None,
            figure=cand.figure,
        ))
    return out


def list_models(tracking_uri: str | None = None, name: str | None = None) -> list[RegisteredVersion]:
    """Every registered version (of ``name``, or of all models) on the tracking server."""
    from netspace.platform.storage.urls import require_existing_store
    from netspace.platform.storage.urls import resolve_tracking_uri as resolve

    uri = resolve(tracking_uri)
    require_existing_store(uri, "MLflow store")  # a read-only command never creates a store
    configure_env(uri)
    return ModelRegistry(uri, display_uri=mask_secrets(uri)).versions(name)


def default_model_name(campaign: str) -> str:
    return f"netspace-{campaign}"


# ------------------------------------------------------------------------------------------------ MLflow side
def resolve_tracking_uri(explicit: str | None, study_attrs: Mapping[str, Any], project: Path | None = None) -> str:
    """``explicit`` (``--tracking-uri``), else ``$MLFLOW_TRACKING_URI``, else the campaign spec's MLflow tracking
    URI (unless its password is masked there; a relative SQLite file is in the project directory ``project``):
    :func:`netspace.platform.storage.urls.resolve_tracking_uri`, the one resolution every command uses."""
    from netspace.platform.storage.urls import resolve_tracking_uri as resolve

    from_spec = _spec_tracking_uri(study_attrs.get("spec"))
    if explicit or os.environ.get("MLFLOW_TRACKING_URI") or (from_spec and not _is_masked(from_spec)):
        return resolve(explicit, from_spec, project)
    if from_spec:
        raise PromotionError(f"the campaign's tracking URI {from_spec} has its credentials masked: "
                             "pass --tracking-uri or set MLFLOW_TRACKING_URI")
    raise PromotionError("no MLflow tracking URI: the campaign does not name one; "
                         "pass --tracking-uri or set MLFLOW_TRACKING_URI")


def _artifact_location(study_attrs: Mapping[str, Any], project: Path | None) -> str | None:
    """The campaign's MLflow artifact folder, a relative one taken against the project directory."""
    from netspace.platform.storage.project import load_path

    return load_path(_spec_field(study_attrs.get("spec"), "artifact_location"), project)


def _with_project_paths(cand: Candidate, project: Path | None) -> Candidate:
    """``cand`` with its stored weights path and dataset root usable from here (relative ones are in ``project``)."""
    from netspace.platform.storage.project import load_dataset, load_path

    ua = dict(cand.user_attrs)
    if ua.get("weights_path"):
        ua["weights_path"] = load_path(str(ua["weights_path"]), project)
    if isinstance(ua.get("dataset"), Mapping):
        ua["dataset"] = load_dataset(dict(ua["dataset"]), project)
    return replace(cand, user_attrs=ua)


def _spec_tracking_uri(spec: Any) -> str | None:
    """``mlflow.tracking_uri`` of the campaign spec stored in the study user attrs (JSON, passwords masked)."""
    return _spec_field(spec, "tracking_uri")


def _spec_field(spec: Any, key: str) -> str | None:
    """``mlflow.<key>`` of the campaign spec (a JSON string or a mapping), if it is a non-empty string."""
    if isinstance(spec, str):
        try:
            spec = json.loads(spec)
        except ValueError:
            return None
    mlflow_spec = spec.get("mlflow") if isinstance(spec, Mapping) else None
    value = mlflow_spec.get(key) if isinstance(mlflow_spec, Mapping) else None
    return value if isinstance(value, str) and value else None


def _register(registry: ModelRegistry, name: str, cand: Candidate, project: Path | None
              ) -> tuple[RegisteredVersion, bool]:
    model, info, dataset = build_trained_model(cand)
    resolution = trial_resolution(cand)  # a trial that sampled its resolution is served (and evaluated) at it
    preprocessing, example = serving_inputs(info, dataset, resolution)
    trial_run = cand.user_attrs.get("mlflow_run_id")
    run_experiment = registry.run_exists(trial_run)
    experiment_id = run_experiment or registry.experiment_id(
        preferred_id=cand.study_attrs.get("mlflow_experiment_id"), name=f"netspace-{cand.campaign}",
        artifact_location=_artifact_location(cand.study_attrs, project))
    config = dict(cand.user_attrs.get("config") or {})
    tags = {
        TRIAL_KEY_TAG: cand.key,
        "netspace.campaign": cand.campaign,
        "netspace.space": cand.space,
        "netspace.trial": str(cand.number),
        "netspace.top1_err": f"{cand.top1_err:.6g}",
        "netspace.config": json.dumps(config, sort_keys=True),
        "netspace.dataset": json.dumps(_public_dataset(dataset), sort_keys=True),
    }
    for k in ("flops", "params", "acts"):
        if cand.user_attrs.get(k) is not None:
            tags[f"netspace.{k}"] = str(_int(cand.user_attrs[k]))
    tags["netspace.resolution"] = str(preprocessing.resolution)
    if trial_run:
        tags["netspace.trial_run_id"] = str(trial_run)
    run_tags = dict(tags)
    if run_experiment:
        run_tags["mlflow.parentRunId"] = str(trial_run)  # nest the promotion under the trial's own run
    params = {"campaign": cand.campaign, "space": cand.space, "trial": cand.number,
              "dataset": _public_dataset(dataset).get("name"), "resolution": preprocessing.resolution}
    params.update({f"config.{k}": v for k, v in config.items()})
    metrics = {"top1_err": cand.top1_err}
    for k in ("flops", "params", "acts"):
        if cand.user_attrs.get(k) is not None:
            metrics[k] = float(cand.user_attrs[k])
    version = registry.log_and_register(
        model, name=name, experiment_id=experiment_id, run_name=f"promote-{cand.space}-{cand.number}",
        input_example=example, pip_requirements=pip_requirements(), params=params, metrics=metrics,
        run_tags=run_tags, version_tags=tags, preprocessing=preprocessing,
        description=f"Networks promoted from netspace campaign '{cand.campaign}'",
    )
    return version, True


def serving_inputs(info: Any, dataset: Any, resolution: int | None = None):
    """The preprocessing the served model bundles (the dataset's mean, std and class names, and the resolution the
    network trained at: ``resolution`` when the trial sampled one, else the dataset's) and a real held-out image as
    its input example (at the dataset's resolution: what a client has; the served model resizes it)."""
    from netspace.platform.tracking.serving import Preprocessing, example_images
    from netspace.workers import load_dataset

    data = load_dataset(dataset)
    classes = tuple(info.classes) or tuple(str(i) for i in range(info.num_classes))
    prep = Preprocessing(in_channels=info.in_channels, resolution=int(resolution or info.resolution), mean=tuple(data.mean),
                         std=tuple(data.std), classes=classes)
    return prep, example_images(data.test_x, 1)


def pip_requirements() -> list[str]:
    """Given explicitly so log_model skips its slow requirement inference."""
    import numpy
    import torch

    from netspace import __version__

    return [f"torch=={torch.__version__.split('+')[0]}", f"numpy=={numpy.__version__}", f"netspace=={__version__}"]


def _public_dataset(dataset: Any) -> dict[str, Any]:
    from dataclasses import asdict, is_dataclass

    data = asdict(dataset) if is_dataclass(dataset) and not isinstance(dataset, type) else dict(dataset)
    return {k: (mask_secrets(v) if isinstance(v, str) else v) for k, v in data.items()}


# ------------------------------------------------------------------------------------------------ helpers
def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _is_masked(uri: str) -> bool:
    return "***" in uri


def describe(models: Iterable[PromotedModel]) -> list[str]:
    """One line per promoted model, for the CLI."""
    return [m.describe() for m in models]

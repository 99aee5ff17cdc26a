"""Thin adapter over the MLflow model registry: log a PyTorch network, register it once per trial, move aliases,
list versions. Knows nothing about campaigns or Optuna; :mod:`netspace.platform.tracking.promote` drives it.

Every MLflow call goes through a :class:`~mlflow.MlflowClient` bound to one tracking URI, so a process can talk to
several servers without touching the global ``mlflow.set_tracking_uri``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from netspace.errors import NetspaceError, StorageError
from netspace.platform.storage.urls import mask_secrets

#: model-version tag that identifies the trial a version was built from (deduplicates re-promotions)
TRIAL_KEY_TAG = "netspace.trial_key"
TAG_PREFIX = "netspace."


class RegistryError(NetspaceError, RuntimeError):
    """The MLflow tracking server / registry refused or could not be reached."""


@dataclass(frozen=True)
class RegisteredVersion:
    """One version of a registered model, with the netspace tags that describe its trial."""

    name: str
    version: str
    aliases: tuple[str, ...]
    tags: dict[str, str]
    run_id: str | None
    source: str
    created_ms: int

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"


@contextlib.contextmanager
def _tracking(uri: str) -> Iterator[None]:
    """Point the fluent ``mlflow`` API (log_model is fluent-only) at ``uri`` for the duration of the block, then
    restore the previous tracking URI and the ``MLFLOW_TRACKING_URI`` variable exactly. (Registration goes through
    the client, so the registry URI is left alone.)"""
    import mlflow
    from mlflow.tracking._tracking_service import utils as tracking_utils

    saved_env = os.environ.get("MLFLOW_TRACKING_URI")
    saved_tracking = tracking_utils._tracking_uri
    mlflow.set_tracking_uri(uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(saved_tracking)  # type: ignore[arg-type]  # mlflow accepts None (unset), its hint omits it
        if saved_env is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            os.environ["MLFLOW_TRACKING_URI"] = saved_env


class ModelRegistry:
    """The registry of one MLflow tracking server (``tracking_uri``)."""

    def __init__(self, tracking_uri: str, *, display_uri: str | None = None):
        from mlflow import MlflowClient

        # after the import (mlflow sets its own levels): creating a store logs alembic's INFO lines on stderr
        for name in ("mlflow", "alembic", "mlflow.store.db.utils"):
            logging.getLogger(name).setLevel(logging.WARNING)
        self.tracking_uri = tracking_uri
        self.display_uri = display_uri or tracking_uri  # credentials masked by the caller
        self.client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)

    # ---------------------------------------------------------------- queries
    def find_version(self, name: str, trial_key: str) -> RegisteredVersion | None:
        """The newest version of ``name`` already built from ``trial_key``, if any."""
        if not self._model_exists(name):
            return None
        found = self._call(
            self.client.search_model_versions,
            f"name = '{_quote(name)}' and tags.`{TRIAL_KEY_TAG}` = '{_quote(trial_key)}'",
        )
        versions = sorted(found, key=lambda mv: int(mv.version), reverse=True)
        return self._version(versions[0]) if versions else None

    def alias_version(self, name: str, alias: str) -> RegisteredVersion | None:
        """The version ``alias`` points at, or None (no such model or alias)."""
        if not self._model_exists(name):
            return None
        aliases = self._call(self.client.get_registered_model, name).aliases or {}
        if alias not in aliases:
            return None
        return self._version(self._call(self.client.get_model_version, name, str(aliases[alias])))

    def versions(self, name: str | None = None) -> list[RegisteredVersion]:
        """All versions of ``name`` (or of every registered model), by name then version."""
        if name is not None:
            if not self._model_exists(name):
                return []
            names = [name]
        else:
            names = sorted(rm.name for rm in self._paged(self.client.search_registered_models))
        out: list[RegisteredVersion] = []
        for model_name in names:
            aliases: dict[str, list[str]] = {}  # search_model_versions leaves aliases empty: take the model's
            for alias, version in (self._call(self.client.get_registered_model, model_name).aliases or {}).items():
                aliases.setdefault(str(version), []).append(alias)
            found = self._paged(self.client.search_model_versions, f"name = '{_quote(model_name)}'")
            for mv in sorted(found, key=lambda mv: int(mv.version)):
                v = self._version(mv)
                out.append(dataclasses.replace(v, aliases=tuple(sorted(aliases.get(v.version, ())))))
        return out

    # ---------------------------------------------------------------- updates
    def experiment_id(self, *, preferred_id: str | None, name: str, artifact_location: str | None = None) -> str:
        """``preferred_id`` when that experiment exists on this server, else the id of experiment ``name``
        (created if missing, with ``artifact_location`` unless the server serves artifacts itself)."""
        if preferred_id:
            with contextlib.suppress(Exception):
                exp = self.client.get_experiment(str(preferred_id))
                if exp is not None and exp.lifecycle_stage == "active":
                    return exp.experiment_id
        exp = self._call(self.client.get_experiment_by_name, name)
        if exp is not None:
            return exp.experiment_id
        if self.tracking_uri.startswith(("http://", "https://")):
            artifact_location = None  # the server's --artifacts-destination / --default-artifact-root decides
        return self._call(self.client.create_experiment, name, artifact_location=artifact_location or None)

    def run_exists(self, run_id: str | None) -> str | None:
        """The experiment id of run ``run_id`` when it exists on this server."""
        if not run_id:
            return None
        try:
            return self.client.get_run(run_id).info.experiment_id
        except Exception:
            return None

    def log_and_register(
        self,
        model: Any,
        *,
        name: str,
        experiment_id: str,
        run_name: str,
        input_example: Any,
        pip_requirements: list[str],
        params: Mapping[str, Any],
        metrics: Mapping[str, float],
        run_tags: Mapping[str, str],
        version_tags: Mapping[str, str],
        description: str | None = None,
        preprocessing: Any = None,
    ) -> RegisteredVersion:
        """Log ``model`` (pickle serialization, signature inferred from ``input_example``) in a new run of
        ``experiment_id`` and register it as a new version of ``name`` carrying ``version_tags``. With
        ``preprocessing`` (a :class:`~netspace.platform.tracking.serving.Preprocessing`) the model's pyfunc flavor
        serves raw images (:mod:`netspace.platform.tracking.serving`)."""
        import mlflow
        import mlflow.pytorch

        os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
        with _tracking(self.tracking_uri):
            try:
                with mlflow.start_run(experiment_id=experiment_id, run_name=run_name, tags=dict(run_tags)) as run:
                    if params:
                        mlflow.log_params({k: _param(v) for k, v in params.items()})
                    if metrics:
                        mlflow.log_metrics({k: float(v) for k, v in metrics.items()})
                    # pickle on purpose: the model loads back as the netspace class (pt2 gives a GraphModule);
                    # MLflow's warning about it says nothing the user needs to act on
                    logging.getLogger("mlflow.pytorch").setLevel(logging.ERROR)
                    if preprocessing is not None:
                        from mlflow.models import Model

                        from netspace.platform.tracking import serving

                        info = Model.log(
                            None, serving, name="model", pytorch_model=model, preprocessing=preprocessing,
                            input_example=input_example, pip_requirements=pip_requirements,
                            serialization_format="pickle",
                        )
                    else:
                        info = mlflow.pytorch.log_model(
                            model,
                            name="model",
                            input_example=input_example,
                            pip_requirements=pip_requirements,
                            serialization_format="pickle",
                        )
                    run_id = run.info.run_id
            except NetspaceError:
                raise
            except Exception as exc:
                raise RegistryError(f"could not log the model to MLflow at {self.display_uri}: "
                                    f"{_first_line(exc)}") from exc
            # still inside _tracking: the registry resolves the logged model through the global tracking URI
            self._ensure_model(name, description)
            mv = self._call(self.client.create_model_version, name, info.model_uri, run_id=run_id,
                            tags=dict(version_tags), model_id=getattr(info, "model_id", None))
        return self._version(self._call(self.client.get_model_version, name, mv.version))

    def set_alias(self, name: str, alias: str, version: str) -> None:
        self._call(self.client.set_registered_model_alias, name, alias, version)

    # ---------------------------------------------------------------- helpers
    def _ensure_model(self, name: str, description: str | None) -> None:
        if not self._model_exists(name):
            with contextlib.suppress(Exception):  # a concurrent promote may have created it meanwhile
                self.client.create_registered_model(name, description=description)
            self._call(self.client.get_registered_model, name)

    def _model_exists(self, name: str) -> bool:
        from mlflow.exceptions import MlflowException

        try:
            self.client.get_registered_model(name)
            return True
        except MlflowException as exc:
            if "RESOURCE_DOES_NOT_EXIST" in str(getattr(exc, "error_code", "")) or "not found" in str(exc).lower():
                return False
            raise RegistryError(f"MLflow registry at {self.display_uri}: {_first_line(exc)}") from exc
        except Exception as exc:
            raise StorageError(f"cannot reach MLflow at {self.display_uri}: {_first_line(exc)}") from exc

    def _version(self, mv: Any) -> RegisteredVersion:
        aliases = tuple(sorted(getattr(mv, "aliases", None) or ()))
        return RegisteredVersion(
            name=mv.name, version=str(mv.version), aliases=aliases, tags=dict(mv.tags or {}),
            run_id=mv.run_id, source=mv.source, created_ms=int(mv.creation_timestamp or 0),
        )

    def _paged(self, method, *args) -> list:
        items, token = [], None
        while True:
            page = self._call(method, *args, page_token=token) if token else self._call(method, *args)
            items.extend(page)
            token = getattr(page, "token", None)
            if not token:
                return items

    def _call(self, method, *args, **kwargs):
        try:
            return method(*args, **kwargs)
        except NetspaceError:
            raise
        except Exception as exc:
            raise RegistryError(f"MLflow at {self.display_uri}: {_first_line(exc)}") from exc


def _quote(value: str) -> str:
    return str(value).replace("'", "\\'")


def _param(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 6000 else text[:5997] + "..."


def _first_line(exc: BaseException) -> str:
    text = mask_secrets(" ".join(str(exc).split()))
    return text[:300] + ("..." if len(text) > 300 else "")

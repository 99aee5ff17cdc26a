"""Optuna's ``RDBStorage`` with every public method retried through database outages.

The only place (with :mod:`netspace.platform.campaign.study`) that touches Optuna's storage classes; everything
else gets one from :func:`netspace.platform.storage.database.open_storage`.
"""

from __future__ import annotations

import copy
import functools
import json
import math
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import optuna
import sqlalchemy
from optuna.storages._rdb import models
from optuna.storages._rdb.storage import _create_scoped_session
from optuna.trial import TrialState
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect

from netspace.platform.storage.retry import with_retry

#: RDBStorage methods that are not retried: schema management and session clean-up
NOT_RETRIED = ("upgrade", "remove_session", "get_current_version", "get_head_version", "get_all_versions")


def _retrying(method):
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        if getattr(self._retry_depth, "n", 0):  # an inner call of a call already being retried
            return method(self, *args, **kwargs)
        self._retry_depth.n = 1
        try:
            return with_retry(method, self, *args, url=self._shown_url, **kwargs)
        finally:
            self._retry_depth.n = 0
    return call


def _retry_public_methods(cls):
    """Wrap every public method ``cls`` inherits from ``RDBStorage`` in :func:`with_retry`."""
    base = optuna.storages.RDBStorage
    for name, value in vars(base).items():
        if callable(value) and not name.startswith("_") and name not in NOT_RETRIED and name not in vars(cls):
            setattr(cls, name, _retrying(value))
    return cls


@_retry_public_methods
class RetryingRDBStorage(optuna.storages.RDBStorage):
    """``RDBStorage`` whose public methods retry with backoff while the database is unreachable."""

    def __init__(self, url: str, **kwargs):
        self._retry_depth = threading.local()
        self._shown_url = url
        super().__init__(url, **kwargs)

    # -- batched writes: one transaction (one commit, one fsync on SQLite) instead of one per value -----------
    @_retrying
    def set_trial_user_attrs(self, trial_id: int, attrs: Mapping[str, Any]) -> None:
        """Several user attrs of one trial in one transaction."""
        with _create_scoped_session(self.scoped_session, True) as session:
            self._upsert_user_attrs(session, trial_id, attrs)

    @_retrying
    def record_trial_epoch(self, trial_id: int, step: int | None, value: float | None,
                           attrs: Mapping[str, Any]) -> None:
        """An intermediate value (skipped when ``step`` is None) and user attrs of one trial, in one transaction."""
        with _create_scoped_session(self.scoped_session, True) as session:
            if step is not None:
                if value is None:
                    raise TypeError(f"trial {trial_id}: the intermediate value of step {step} is None")
                self._set_trial_intermediate_value_without_commit(session, trial_id, int(step), float(value))
                self._upsert_user_attrs(session, trial_id, attrs, checked=True)
            else:
                self._upsert_user_attrs(session, trial_id, attrs)

    @_retrying
    def finish_trial(self, trial_id: int, state: str, values: Sequence[float] | None,
                     attrs: Mapping[str, Any], *, single_objective: bool = True,
                     intermediate: Mapping[int, float] | None = None) -> bool:
        """A trial's outcome in one transaction: user attrs, values and the finished ``state`` (COMPLETE, PRUNED or
        FAIL); the trial counts as finished only with all of them stored. False (nothing written) when it was
        already finished, as ``study.tell(..., skip_if_finished=True)``; a PRUNED single-objective trial gets its
        last intermediate value as its value, as ``study.tell`` gives it. ``intermediate`` ({step: value}) are
        per-epoch values written (or overwritten) with the outcome: epochs a worker trained that no driver recorded."""
        final = TrialState[state]
        if not final.is_finished():
            raise ValueError(f"finish_trial needs a finished state, got {state}")
        try:
            with _create_scoped_session(self.scoped_session) as session:
                trial = models.TrialModel.find_or_raise_by_id(trial_id, session, for_update=True)
                if trial.state.is_finished():
                    return False
                self._upsert_user_attrs(session, trial_id, attrs, checked=True)
                for step, value in sorted((intermediate or {}).items()):
                    self._set_trial_intermediate_value_without_commit(session, trial_id, int(step), float(value))
                if final == TrialState.PRUNED and values is None and single_objective:
                    values = _last_intermediate(session, trial_id)
                for objective, value in enumerate(values or ()):
                    self._set_trial_value_without_commit(session, trial, objective, float(value))
                trial.state = final
                trial.datetime_complete = datetime.now()
        except sqlalchemy.exc.IntegrityError:
            return False
        return True

    def _upsert_user_attrs(self, session, trial_id: int, attrs: Mapping[str, Any], *, checked: bool = False) -> None:
        """Insert-or-update several user attrs of one (running) trial in one statement on SQLite and PostgreSQL
        (Optuna writes one statement, after one trial lookup, per attr)."""
        if not attrs:
            return
        if not checked:
            trial = models.TrialModel.find_or_raise_by_id(trial_id, session)
            # Optuna's models declare untyped columns: the loaded row's state is a TrialState, not a Column
            self.check_trial_is_updatable(trial_id, trial.state)  # type: ignore[arg-type]
        dialect = {"sqlite": sqlite_dialect, "postgresql": pg_dialect}.get(self.engine.name)
        if dialect is None:
            for key, value in attrs.items():
                self._set_trial_attr_without_commit(session, models.TrialUserAttributeModel, trial_id, key, value)
            return
        model = models.TrialUserAttributeModel
        stmt = dialect.insert(model).values([{"trial_id": trial_id, "key": k, "value_json": json.dumps(v)}
                                             for k, v in attrs.items()])
        session.execute(stmt.on_conflict_do_update(index_elements=[model.trial_id, model.key],
                                                   set_={"value_json": stmt.excluded.value_json}))

    def _get_prepared_new_trial(self, study_id, template_trial, session):
        """Optuna's, with the template's user attrs written in one statement (a drawn trial carries ~6)."""
        if template_trial is None or not template_trial.user_attrs:
            return super()._get_prepared_new_trial(study_id, template_trial, session)
        bare = copy.copy(template_trial)
        bare._user_attrs = {}
        trial = super()._get_prepared_new_trial(study_id, bare, session)
        self._upsert_user_attrs(session, trial.trial_id, template_trial.user_attrs, checked=True)
        return trial

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_retry_depth", None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        self._retry_depth = threading.local()


def _last_intermediate(session, trial_id: int) -> list[float] | None:
    iv = models.TrialIntermediateValueModel
    row = (session.query(iv).filter(iv.trial_id == trial_id).order_by(iv.step.desc()).first())
    if row is None:
        return None
    value = iv.stored_repr_to_intermediate_value(row.intermediate_value, row.intermediate_value_type)
    return None if math.isnan(value) else [value]


def quiet() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)

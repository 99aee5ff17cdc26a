"""Optuna's ``RDBStorage`` with every public method retried through database outages.

The only place (with :mod:`netspace.platform.campaign.study`) that touches Optuna's storage classes; everything
else gets one from :func:`netspace.platform.storage.database.open_storage`.
"""

from __future__ import annotations

import functools
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

from netspace.platform.storage.database import with_retry

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
            for key, value in attrs.items():
                self._set_trial_attr_without_commit(session, models.TrialUserAttributeModel, trial_id, key, value)

    @_retrying
    def record_trial_epoch(self, trial_id: int, step: int | None, value: float | None,
                           attrs: Mapping[str, Any]) -> None:
        """An intermediate value (skipped when ``step`` is None) and user attrs of one trial, in one transaction."""
        with _create_scoped_session(self.scoped_session, True) as session:
            if step is not None:
                self._set_trial_intermediate_value_without_commit(session, trial_id, int(step), float(value))
            for key, val in attrs.items():
                self._set_trial_attr_without_commit(session, models.TrialUserAttributeModel, trial_id, key, val)

    @_retrying
    def finish_trial(self, trial_id: int, state: str, values: Sequence[float] | None,
                     attrs: Mapping[str, Any], *, single_objective: bool = True) -> bool:
        """A trial's outcome in one transaction: user attrs, values and the finished ``state`` (COMPLETE, PRUNED or
        FAIL); the trial counts as finished only with all of them stored. False (nothing written) when it was
        already finished, as ``study.tell(..., skip_if_finished=True)``; a PRUNED single-objective trial gets its
        last intermediate value as its value, as ``study.tell`` gives it."""
        final = TrialState[state]
        if not final.is_finished():
            raise ValueError(f"finish_trial needs a finished state, got {state}")
        try:
            with _create_scoped_session(self.scoped_session) as session:
                trial = models.TrialModel.find_or_raise_by_id(trial_id, session, for_update=True)
                if trial.state.is_finished():
                    return False
                for key, value in attrs.items():
                    self._set_trial_attr_without_commit(session, models.TrialUserAttributeModel, trial_id, key,
                                                        value)
                if final == TrialState.PRUNED and values is None and single_objective:
                    values = _last_intermediate(session, trial_id)
                for objective, value in enumerate(values or ()):
                    self._set_trial_value_without_commit(session, trial, objective, float(value))
                trial.state = final
                trial.datetime_complete = datetime.now()
        except sqlalchemy.exc.IntegrityError:
            return False
        return True

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

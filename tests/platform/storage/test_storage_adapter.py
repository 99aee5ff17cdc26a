"""The storage adapter on a real SQLite database: batched trial writes, one transaction each, and the shared
read-side connections."""

from __future__ import annotations

import pickle

import optuna
import pytest

from netspace.errors import StorageError
from netspace.platform.storage.database import dispose_shared, open_storage, shared_engine, shared_storage


def test_batched_writes_land_together(tmp_path):
    st = open_storage(f"sqlite:///{tmp_path / 's.db'}")
    trial = optuna.create_study(storage=st, study_name="c::regnetx").ask()
    st.set_trial_user_attrs(trial._trial_id, {"status": "completed", "flops": 12, "config": {"d": [1, 2]}})
    st.record_trial_epoch(trial._trial_id, 1, 42.5, {"progress": {"epoch": 1}})
    st.record_trial_epoch(trial._trial_id, None, None, {"progress": {"epoch": 2}})  # no value (multi-objective)
    ft = st.get_trial(trial._trial_id)
    assert ft.user_attrs == {"status": "completed", "flops": 12, "config": {"d": [1, 2]}, "progress": {"epoch": 2}}
    assert ft.intermediate_values == {1: 42.5}
    assert type(pickle.loads(pickle.dumps(st))).__name__ == "RetryingRDBStorage"
    assert st.finish_trial(trial._trial_id, "COMPLETE", [40.0], {"status": "completed", "epochs_run": 2})
    ft = st.get_trial(trial._trial_id)
    assert ft.state.name == "COMPLETE" and ft.values == [40.0] and ft.datetime_complete is not None
    assert ft.user_attrs["epochs_run"] == 2
    # already finished: nothing written (as study.tell(skip_if_finished=True))
    assert not st.finish_trial(trial._trial_id, "FAIL", None, {"status": "failed"})
    assert st.get_trial(trial._trial_id).user_attrs["status"] == "completed"
    # PRUNED: the last intermediate value becomes the value, as study.tell does
    study = optuna.load_study(study_name="c::regnetx", storage=st)
    for via_tell in (True, False):
        t = study.ask()
        st.record_trial_epoch(t._trial_id, 1, 50.0, {})
        st.record_trial_epoch(t._trial_id, 2, 45.0, {})
        if via_tell:
            study.tell(t.number, state=optuna.trial.TrialState.PRUNED)
        else:
            st.finish_trial(t._trial_id, "PRUNED", None, {"status": "pruned"})
        assert st.get_trial(t._trial_id).values == [45.0]
    # a template trial (how a drawn trial is created) keeps its user attrs, written in one statement
    done = optuna.trial.create_trial(state=optuna.trial.TrialState.COMPLETE, value=3.0, params={"d": 2},
                                     distributions={"d": optuna.distributions.IntDistribution(1, 4)},
                                     user_attrs={"config": {"d": 2}, "flops": 7})
    tid = st.create_new_trial(study._study_id, template_trial=done)
    ft = st.get_trial(tid)
    assert ft.user_attrs == {"config": {"d": 2}, "flops": 7} and ft.params == {"d": 2} and ft.values == [3.0]
    assert ft.state.name == "COMPLETE"
    st.engine.dispose()


def test_shared_connections_are_one_per_url(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    with pytest.raises(StorageError, match="does not exist"):
        shared_engine(url)
    open_storage(url).engine.dispose()
    try:
        assert shared_engine(url) is shared_engine(url)
        assert shared_storage(url) is shared_storage(url)
    finally:
        dispose_shared()

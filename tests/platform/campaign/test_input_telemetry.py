"""Input-pipeline telemetry through a real tiny campaign (local Ray, SQLite, MLflow store): every epoch's data-wait
fraction is an MLflow metric of the trial's child run, the running trial's progress carries its latest one, and the
finished trial keeps the mean over epochs, which the dashboard's reader returns."""

from __future__ import annotations

import optuna
import pytest
from optuna.trial import TrialState

from netspace.platform.campaign.run import run_campaign
from netspace.platform.storage.results import load_trials
from tests.support.campaigns import campaign_dict, write_campaign


@pytest.mark.slow
def test_data_wait_is_logged_per_epoch_and_kept_on_the_trial(ray_cluster, workdir):
    from mlflow import MlflowClient

    name, epochs = "tele", 2
    data = campaign_dict(name, spaces=("anynetx_a",), samples=1, epochs=epochs, images=128,
                         resources={"max_concurrent": 1})
    assert run_campaign(write_campaign(workdir / "c.yaml", data), show_progress=False).complete
    storage = f"sqlite:///{workdir / 'netspace.db'}"
    trials = optuna.load_study(study_name=f"{name}::anynetx_a", storage=storage).get_trials(
        states=(TrialState.COMPLETE,))
    assert len(trials) == 1
    client = MlflowClient(f"sqlite:///{workdir / 'mlflow.db'}")
    for t in trials:
        history = client.get_metric_history(t.user_attrs["mlflow_run_id"], "data_wait")
        assert sorted(m.step for m in history) == list(range(1, epochs + 1))  # once per epoch
        waits = [m.value for m in sorted(history, key=lambda m: m.step)]
        assert all(0.0 <= w <= 1.0 for w in waits)
        assert t.user_attrs["data_wait"] == pytest.approx(sum(waits) / len(waits))  # the mean over epochs
        assert t.user_attrs["progress"]["data_wait"] == pytest.approx(waits[-1])  # the latest epoch's report
    df = load_trials(storage, name)
    assert df["data_wait"].notna().all() and df["data_wait"].between(0, 1).all()

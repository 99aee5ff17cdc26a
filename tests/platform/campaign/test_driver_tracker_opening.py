"""The MLflow tracker opens in a background thread (``open_in_background``) while the driver starts trials: the
first trials' child runs are created once it is ready, dated from their launch, and an opening that fails stops the
campaign with its one-line error instead of losing or hiding it. Real SQLite Optuna storage and MLflow store."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future

from netspace.errors import StorageError
from netspace.platform.campaign import scheduler as sched
from netspace.platform.campaign.driver import CampaignDriver
from netspace.platform.campaign.progress import Progress
from netspace.platform.campaign.spec import CampaignSpec
from netspace.platform.campaign.study import Geometry, SpaceStudy
from netspace.platform.storage.database import open_storage
from netspace.platform.tracking.tracker import open_in_background
from tests.support.campaigns import campaign_dict


def _driver(tmp_path, tracker):
    data = campaign_dict("bg", spaces=("anynetx_a",), samples=3, output_dir=str(tmp_path / "runs"),
                         mlflow={"tracking_uri": f"sqlite:///{tmp_path / 'mlflow.db'}",
                                 "artifact_location": str(tmp_path / "art"), "log_weights": False})
    spec = CampaignSpec.model_validate(data).resolved(tmp_path)
    storage = open_storage(f"sqlite:///{tmp_path / 'netspace.db'}")
    sspec = spec.spaces[0]
    studies = {sspec.space: SpaceStudy(storage, spec, sspec, Geometry(32, 1, 10))}
    tracker = tracker(spec) if callable(tracker) else tracker
    driver = CampaignDriver(spec, studies, tracker, Progress(spec.name, enabled=False), max_concurrent=1)
    return driver, studies[sspec.space], sspec.space


def test_first_trial_launched_before_mlflow_is_open_gets_its_run_at_its_first_report(tmp_path):
    gate = threading.Event()
    ready: list = []

    def opening(spec):
        future = open_in_background(spec.mlflow, spec.name, project=tmp_path, experiment_id=None,
                                    parent_run_id=None, spec_json="{}")
        held: Future = Future()  # released by the test: MLflow "still opening" while the first trial launches

        def release():
            gate.wait(30)
            held.set_result(future.result())

        threading.Thread(target=release, daemon=True).start()
        return held

    driver, study, space = _driver(tmp_path, opening)
    driver.on_tracker = ready.append
    launched = time.time()
    cfg = driver.next_trial()
    assert cfg not in (None, sched.FINISHED) and not driver.tracker_ready
    [trial] = study.trials()
    assert "mlflow_run_id" not in trial.user_attrs  # no run yet: MLflow was not open at launch
    time.sleep(0.2)
    gate.set()
    driver.on_result((space, cfg["number"]), {"epoch": 1, "epochs": 2, "train_loss": 1.0, "top1_err": 40.0,
                                              "images_per_s": 1.0, "elapsed_s": 1.0, "final": False})
    assert driver.error is None and len(ready) == 1  # adopted once, in the driver's thread
    run_id = study.trials()[0].user_attrs["mlflow_run_id"]
    run = driver.tracker.client.get_run(run_id)
    assert abs(run.info.start_time / 1000 - launched) < 1.0  # dated from the launch, not from the report
    assert [m.value for m in driver.tracker.client.get_metric_history(run_id, "top1_err")] == [40.0]


def test_an_mlflow_opening_that_fails_stops_the_campaign_with_its_error(tmp_path):
    failed: Future = Future()
    failed.set_exception(StorageError("cannot use MLflow tracking URI sqlite:///x: disk I/O error"))
    driver, study, _ = _driver(tmp_path, failed)
    assert driver.next_trial() == sched.FINISHED
    assert isinstance(driver.error, StorageError) and driver.abort
    assert study.trials() == []  # nothing was launched


def test_a_deferred_opening_starts_once_the_first_trial_is_launched(tmp_path):
    """``run_campaign`` hands the driver the opening itself: MLflow starts opening after the first launch, so the
    driver's set-up and Tune's start do not share the interpreter with mlflow's import and migrations."""
    calls: list[float] = []

    def deferred(spec):
        def start():
            calls.append(time.time())
            return open_in_background(spec.mlflow, spec.name, project=tmp_path, experiment_id=None,
                                      parent_run_id=None, spec_json="{}")
        return start

    driver, study, space = _driver(tmp_path, deferred)
    assert calls == [] and not driver.tracker_ready and driver.started_tracker() is None
    cfg = driver.next_trial()
    assert cfg not in (None, sched.FINISHED) and len(calls) == 1  # started right after the first launch
    [trial] = study.trials()
    assert calls[0] >= trial.datetime_start.timestamp() - 0.01
    assert isinstance(driver.started_tracker(), Future)
    assert driver.tracker.client is not None and len(calls) == 1  # waited for, never started twice
    driver.next_trial()  # at capacity (one at a time): nothing new, and no second opening
    assert len(calls) == 1

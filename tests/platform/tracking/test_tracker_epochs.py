"""Per-epoch MLflow metrics of a trial's child run on a real MLflow store: the data-wait fraction is one of them, and
epochs or metrics the live reports did not log are filled in from the trial's history once, metric by metric."""

from __future__ import annotations

from netspace.platform.campaign.spec import MlflowSpec
from netspace.platform.tracking.tracker import EPOCH_METRICS, Tracker


def _history(epochs: int) -> list[dict]:
    return [{"epoch": e, "epochs": epochs, "train_loss": 2.0 / e, "top1_err": 50.0 - e, "images_per_s": 900.0 + e,
             "elapsed_s": 3.0 * e, "data_wait": 0.1 * e, "skipped_images": 0} for e in range(1, epochs + 1)]


def test_missing_epochs_and_metrics_are_filled_in_once(tmp_path):
    tracker = Tracker(MlflowSpec(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}",
                                 artifact_location=str(tmp_path / "artifacts")), "tele")
    tracker.open()
    run_id = tracker.start_trial("regnetx", 0, {"d": 3}, {"d": 3}, {"flops": 1000})
    history = _history(4)
    # epoch 1 reported live with every metric; epoch 2 by a driver that did not forward the data wait; 3-4 never
    tracker.log_epoch(run_id, 1, {k: history[0][k] for k in EPOCH_METRICS})
    tracker.log_epoch(run_id, 2, {k: history[1][k] for k in EPOCH_METRICS if k != "data_wait"})
    assert tracker.log_missing_epochs(run_id, history) == 3
    assert tracker.log_missing_epochs(run_id, history) == 0  # idempotent
    for key in EPOCH_METRICS:
        got = sorted((m.step, m.value) for m in tracker.client.get_metric_history(run_id, key))
        assert got == [(h["epoch"], float(h[key])) for h in history], key
    assert "data_wait" in EPOCH_METRICS

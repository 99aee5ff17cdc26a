"""Case: after a driver crash some MLflow child runs missed an epoch's metrics, and every finished trial kept its
``checkpoint.pt`` next to ``weights.pt`` (twice the disk). The driver is SIGKILLed (a real process, by a test hook)
as an epoch report arrives, before recording it; after `resume` every child run has each epoch exactly once, and
finished trials hold ``weights.pt`` + ``result.json`` only."""

from __future__ import annotations

import os
import subprocess

from netspace.platform.campaign.run import resume_campaign
from tests.support.campaigns import campaign_dict, kill_tree, netspace_cmd, write_campaign


def test_epochs_missed_by_a_crashed_driver_are_logged_once_on_resume(ray_cluster, workdir):
    name, epochs = "epochs", 3
    path = write_campaign(workdir / "c.yaml", campaign_dict(name, spaces=("anynetx_a",), samples=2, epochs=epochs,
                                                           images=128, resources={"max_concurrent": 1}))
    marker = workdir / "driver-died"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "NETSPACE_FAULT_DRIVER_EXIT_AT_EPOCH": "2",
           "NETSPACE_FAULT_MARKER": str(marker)}
    with open(workdir / "driver.log", "w") as log:
        proc = subprocess.Popen(netspace_cmd("run", str(path), "--address", ray_cluster, "--quiet"), cwd=workdir,
                                env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            assert proc.wait(400) == -9, (workdir / "driver.log").read_text()
        finally:
            kill_tree(proc)
    assert marker.exists()

    summary = resume_campaign(name, storage=f"sqlite:///{workdir / 'netspace.db'}", address=ray_cluster,
                              show_progress=False)
    assert summary.complete and summary.resumed_trials == 1

    from mlflow import MlflowClient

    client = MlflowClient(f"sqlite:///{workdir / 'mlflow.db'}")
    exp = client.get_experiment_by_name(name)
    children = [r for r in client.search_runs([exp.experiment_id], max_results=100)
                if r.data.tags.get("netspace.role") != "campaign"]
    assert len(children) == 2
    for run in children:
        for metric in ("top1_err", "train_loss"):
            steps = sorted(m.step for m in client.get_metric_history(run.info.run_id, metric))
            assert steps == list(range(1, epochs + 1)), (run.info.run_name, metric, steps)

    for trial_dir in (workdir / "netspace_runs" / name / "anynetx_a").iterdir():
        assert sorted(p.name for p in trial_dir.iterdir()) == ["result.json", "weights.pt"], trial_dir

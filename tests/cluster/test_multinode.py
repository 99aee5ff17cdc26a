"""A campaign on a two-node Ray cluster (two `ray start` processes on this machine, token authentication), with
PostgreSQL campaign storage and an `mlflow server` (PostgreSQL backend store, served artifacts), submitted with
`netspace run FILE --address HEAD`; then promotion through the server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

from tests.support.cluster import BIN, cluster_nodes
from tests.support.services import PG_HOST, PG_PORT

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

SECRET = "optuna-pw-7f3a"  # trust auth ignores it; it must never be shown or logged
SAMPLES = 4

_LOAD_CODE = """
import json, mlflow.pytorch
from netspace.workers import DatasetSpec, evaluate_model
m = mlflow.pytorch.load_model("models:/%s@champion")
print(json.dumps({"cls": type(m).__module__ + "." + type(m).__name__,
                  "err": evaluate_model(m.eval(), DatasetSpec(name="digits"))}))
"""


def test_campaign_on_two_nodes_with_postgres_and_mlflow_server(ray_cluster, mlflow_server, pg_databases, tmp_path):
    import optuna
    from mlflow import MlflowClient

    nodes = cluster_nodes(ray_cluster)
    assert len(nodes) == 2
    second = next(n["id"] for n in nodes if "second_node" in n["resources"])
    head = next(n["id"] for n in nodes if n["id"] != second)

    storage = f"postgresql+psycopg2://postgres:{SECRET}@{PG_HOST}:{PG_PORT}/{pg_databases('netspace_optuna')}"
    name = f"mn-{uuid.uuid4().hex[:6]}"
    campaign = tmp_path / "campaign.yaml"
    campaign.write_text(f"""
name: {name}
spaces:
  - space: regnetx
    samples: {SAMPLES}
    regime: {{metric: flops, high: 1M}}
dataset: {{name: digits}}
training: {{epochs: 1, batch_size: 64, lr: 0.05, warmup_epochs: 0, augment: false, max_train_images: 256}}
strategy: {{kind: random, seed: 0}}
resources: {{cpus_per_trial: 1, max_concurrent: 2, max_failures: 1}}
mlflow:
  tracking_uri: {mlflow_server.url}
output_dir: {tmp_path / "runs"}
""")
    client = MlflowClient(tracking_uri=mlflow_server.url)
    # as on the cluster: storage URL and Ray token from the environment, never in the campaign file
    env = {**ray_cluster.env, "NETSPACE_STORAGE": storage, "MLFLOW_ENABLE_ASYNC_LOGGING": "false"}
    env.pop("MLFLOW_TRACKING_URI", None)
    run = subprocess.run([str(BIN / "netspace"), "run", str(campaign), "--address", ray_cluster.address, "--quiet"],
                         env=env, cwd=tmp_path, capture_output=True, text=True, timeout=420)
    assert run.returncode == 0, f"{run.stdout[-3000:]}\n{run.stderr[-5000:]}\n{ray_cluster.log_tail()}"
    assert SECRET not in run.stdout + run.stderr

    # every finished trial is in PostgreSQL ...
    st = optuna.storages.RDBStorage(storage)
    try:
        study = optuna.load_study(study_name=f"{name}::regnetx", storage=st)
        trials = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
        assert len(trials) == SAMPLES
        assert all(t.user_attrs["status"] == "completed" and os.path.isfile(t.user_attrs["weights_path"])
                   for t in trials)
        spec_attr = study.user_attrs["spec"]
    finally:
        st.engine.dispose()
    assert SECRET not in spec_attr

    # ... and in MLflow, as finished child runs with their final error
    for t in trials:
        r = client.get_run(t.user_attrs["mlflow_run_id"])
        assert r.info.status == "FINISHED"
        assert r.data.metrics["final_top1_err"] == pytest.approx(t.values[0])
        assert SECRET not in json.dumps([r.data.params, r.data.tags])

    # the trials ran on both nodes (each trial records the Ray node it trained on)
    assert {t.user_attrs["node_id"] for t in trials} == {head, second}, [t.user_attrs for t in trials]
    # the engine created the experiment without a local artifact location: artifacts go through the server
    assert client.get_experiment_by_name(name).artifact_location.startswith("mlflow-artifacts:")

    # promotion through the server: tracking URI from the campaign spec, storage from the environment
    prom = subprocess.run([str(BIN / "netspace"), "promote", name], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert prom.returncode == 0, prom.stderr[-3000:]
    assert f"registered new version 1 of netspace-{name}; @champion set on v1" in prom.stdout
    assert SECRET not in prom.stdout + prom.stderr
    best = min(trials, key=lambda t: t.values[0])
    assert f"regnetx#{best.number} " in prom.stdout

    load = subprocess.run([sys.executable, "-c", _LOAD_CODE % f"netspace-{name}"], cwd=tmp_path,
                          env={**os.environ, "MLFLOW_TRACKING_URI": mlflow_server.url}, capture_output=True,
                          text=True, timeout=300)
    assert load.returncode == 0, load.stderr[-3000:]
    loaded = json.loads(load.stdout.strip().splitlines()[-1])
    assert loaded["cls"].startswith("netspace.search_spaces.")
    assert loaded["err"] == pytest.approx(best.values[0], abs=1e-9)
    # the model went through the server's artifact store
    assert list(mlflow_server.artifacts.rglob("MLmodel")), "model artifacts are served by the tracking server"
    assert len(list(mlflow_server.artifacts.rglob("weights.pt"))) == SAMPLES
    assert "mlflow-pw" not in " ".join(mlflow_server.proc.args)

    # the Host headers the compose deployment uses are accepted, others refused (MLFLOW_ALLOWED_HOSTS)
    assert _status(mlflow_server.url + "/health", "mlflow:5000") == 200
    assert _status(mlflow_server.url + "/health", "localhost:5000") == 200
    assert _status(mlflow_server.url + "/api/2.0/mlflow/experiments/search?max_results=1", "evil.example:5000") \
        in (400, 403)


def _status(url: str, host: str) -> int:
    import urllib.error
    import urllib.request

    req = urllib.request.Request(url, headers={"Host": host})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code

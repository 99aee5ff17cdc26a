"""A project directory is portable (issue 19): a campaign run in folder A stores its paths relative to A; A copied to
B (and A deleted), `netspace status`, `report`, `promote` and `models` work in B, print which MLflow store they use
(B's), promote registers into B's store with its artifacts in B, and nothing outside B is touched."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sqlite3
import subprocess

import pytest

from tests.support.campaigns import campaign_dict, netspace_cmd, write_campaign

NAME = "port"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NETSPACE_STORAGE", "MLFLOW_TRACKING_URI")}
    return {**env, "PYTHONUNBUFFERED": "1"}


def _run(args, cwd, timeout=300) -> subprocess.CompletedProcess:
    proc = subprocess.run(netspace_cmd(*args), cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"netspace {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _files(root) -> dict[str, float]:
    """Every file under ``root`` with its mtime."""
    return {str(p): p.stat().st_mtime for p in root.rglob("*") if p.is_file()}


def _query(db, sql):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.mark.slow
def test_a_copied_project_works_in_its_new_place_and_touches_nothing_else(ray_cluster, tmp_path):
    a, b = tmp_path / "A", tmp_path / "B"
    a.mkdir()
    sentinel = tmp_path / "sentinel.txt"
    sentinel.write_text("outside the project")
    path = write_campaign(a / "campaign.yaml", campaign_dict(NAME, spaces=("regnetx",), samples=1, epochs=1,
                                                             images=128, resources={"max_concurrent": 1}))
    _run(["run", path.name, "--address", ray_cluster, "--quiet"], cwd=a, timeout=400)

    # stored relative to the project directory: the spec, the output dir and every trial's weights
    spec = json.loads(next(v for k, v in _query(a / "netspace.db", "SELECT key, value_json FROM study_user_attributes")
                           if k == "spec"))
    spec = json.loads(spec)
    assert spec["output_dir"] == f"netspace_runs/{NAME}"
    assert spec["mlflow"]["tracking_uri"] == "sqlite:///mlflow.db" and spec["mlflow"]["artifact_location"] == "mlartifacts"
    weights = [json.loads(v) for k, v in _query(a / "netspace.db", "SELECT key, value_json FROM trial_user_attributes")
               if k == "weights_path"]
    assert len(weights) == 1 and all(w.startswith(f"netspace_runs/{NAME}/regnetx/trial-") for w in weights), weights

    shutil.copytree(a, b)
    shutil.rmtree(a)
    before = {p: t for p, t in _files(tmp_path).items() if not p.startswith(str(b) + os.sep)}

    store = f"MLflow store: sqlite:///{b / 'mlflow.db'}"
    status = _run(["status", NAME], cwd=b)
    assert store in status.stdout and "regnetx#" in status.stdout, status.stdout
    js = json.loads(_run(["status", NAME, "--json"], cwd=b).stdout)
    assert js["spaces"]["regnetx"]["finished"] == 1 and js["mlflow"] == f"sqlite:///{b / 'mlflow.db'}"
    assert all(r["weights_path"].startswith(str(b)) and os.path.isfile(r["weights_path"]) for r in js["best"])

    report = _run(["report", NAME], cwd=b)
    assert store in report.stdout, report.stdout
    assert (b / "reports" / NAME / "trials.csv").is_file()
    assert str(tmp_path) not in (b / "reports" / NAME / "trials.csv").read_text()  # relative paths only

    onnx = importlib.util.find_spec("onnx") is not None
    promote = _run(["promote", NAME, *(["--onnx", "champion.onnx"] if onnx else [])], cwd=b)
    assert store in promote.stdout and "registered new version 1 of netspace-port" in promote.stdout, promote.stdout
    assert "regnetx#" in promote.stdout
    if onnx:
        assert (b / "champion.onnx").is_file() and "ONNX:" in promote.stdout

    models = _run(["models"], cwd=b)
    assert store in models.stdout and "netspace-port" in models.stdout and "champion" in models.stdout, models.stdout

    # the registered model and every artifact location of B's MLflow store live in B
    locations = [loc for (loc,) in _query(b / "mlflow.db", "SELECT storage_location FROM model_versions")]
    locations += [loc for (loc,) in _query(b / "mlflow.db", "SELECT artifact_location FROM experiments "
                                                            "WHERE name != 'Default'")]
    locations += [loc for (loc,) in _query(b / "mlflow.db", "SELECT artifact_uri FROM runs")]
    assert locations and all(str(b) in loc for loc in locations), locations
    assert list((b / "mlartifacts").rglob("MLmodel")), "the promoted model's artifacts are in B"

    assert not a.exists(), "a command recreated the original project folder"
    after = {p: t for p, t in _files(tmp_path).items() if not p.startswith(str(b) + os.sep)}
    assert after == before and sentinel.read_text() == "outside the project"

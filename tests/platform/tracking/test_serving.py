"""The promoted champion takes images: a network trained by the real worker is promoted from a real SQLite campaign
storage to a real MLflow store, served by a real ``mlflow models serve`` process, and asked about raw held-out
images over HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest

from netspace.platform.storage.distributions import to_optuna

CAMPAIGN = "serve"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def promoted(tmp_path_factory):
    import optuna

    from netspace.platform.tracking.promote import promote
    from netspace.search_spaces import Geometry, Regime, get_space, sample_configs
    from netspace.workers import DatasetSpec, TrainRecipe, run_trial

    root = tmp_path_factory.mktemp("serve")
    tracking = f"sqlite:///{root / 'mlflow.db'}"
    storage_url = f"sqlite:///{root / 'netspace.db'}"
    dataset = DatasetSpec(name="digits")
    space = get_space("regnetx")
    sample = [s for s in sample_configs(space, 8, seed=0, regime=Regime.parse(":1.5M"), geometry=Geometry(32))
              if s.config.depth <= 6][0]
    result = run_trial("regnetx", sample.config.to_dict(), dataset,
                       TrainRecipe(epochs=2, batch_size=32, lr=0.05, warmup_epochs=0, augment=False,
                                   max_train_images=512), checkpoint_dir=str(root / "regnetx-0"))
    spec = {"name": CAMPAIGN, "mlflow": {"tracking_uri": tracking, "artifact_location": str(root / "artifacts")}}
    study = optuna.create_study(study_name=f"{CAMPAIGN}::regnetx", storage=storage_url, direction="minimize")
    for k, v in {"campaign": CAMPAIGN, "space": "regnetx", "target": 1, "spec": json.dumps(spec)}.items():
        study.set_user_attr(k, v)
    attrs = {"config": sample.config.to_dict(), "flops": sample.complexity.flops, "params": sample.complexity.params,
             "acts": sample.complexity.acts, "status": "completed", "dataset": {"name": "digits", "root": None},
             "weights_path": result.weights_path}
    study.add_trial(optuna.trial.create_trial(params=sample.params, distributions=to_optuna(sample.specs),
                                              value=result.top1_err, user_attrs=attrs))
    models = promote(storage_url, CAMPAIGN, registered_name="served", tracking_uri=tracking)
    assert models and models[0].alias == "champion"
    return {"tracking": tracking, "err": result.top1_err, "root": root}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(port: int, payload: dict) -> dict:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/invocations", data=json.dumps(payload).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as resp:
        return json.loads(resp.read())


def test_registered_model_bundles_preprocessing_and_a_real_input_example(promoted):
    import mlflow.pyfunc
    from mlflow.models import Model

    from netspace.platform.tracking.serving import load_served
    from netspace.workers import load_dataset

    uri = "models:/served@champion"
    os.environ["MLFLOW_TRACKING_URI"] = promoted["tracking"]
    try:
        model = mlflow.pyfunc.load_model(uri)
        local = mlflow.artifacts.download_artifacts(uri, dst_path=str(promoted["root"] / "dl"))
    finally:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    meta = Model.load(os.path.join(local, "MLmodel"))
    inputs = meta.signature.inputs.to_dict()
    assert inputs[0]["type"] == "tensor" and inputs[0]["tensor-spec"]["dtype"] == "uint8"
    assert [c["name"] for c in meta.signature.outputs.to_dict()] == ["class", "class_name", "probability",
                                                                       "probabilities"]
    data = load_dataset("digits")
    example = np.asarray(meta.load_input_example(local))
    assert example.dtype == np.uint8 and example.shape == (1, 32, 32, 1)
    assert any(np.array_equal(example[0, :, :, 0], img[0].numpy()) for img in data.test_x), \
        "the input example is a real held-out image"

    # uint8 HWC, uint8 CHW and [0, 1] floats all give the campaign's error
    x = data.test_x.numpy()
    y = data.test_y.numpy()
    direct = load_served(local)  # the same classifier without MLflow's schema check: floats in [0, 1] too
    for predict, images in ((model.predict, x.transpose(0, 2, 3, 1)), (model.predict, x),
                            (direct.predict, x.astype(np.float32) / 255.0)):
        out = predict(images)
        err = 100.0 * float(np.mean(out["class"].to_numpy() != y))
        assert err == pytest.approx(promoted["err"], abs=1e-9)
    assert set(out["class_name"]) <= {str(i) for i in range(10)}
    assert np.allclose([sum(p) for p in out["probabilities"]], 1.0, atol=1e-5)


def test_mlflow_models_serve_answers_raw_images_with_the_campaigns_error(promoted):
    from netspace.workers import load_dataset

    port = _free_port()
    bin_dir = os.path.dirname(sys.executable)  # the scoring server (uvicorn) is looked up on PATH
    env = {**os.environ, "MLFLOW_TRACKING_URI": promoted["tracking"],
           "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    mlflow_bin = os.path.join(bin_dir, "mlflow")
    log = open(promoted["root"] / "serve.log", "w")
    proc = subprocess.Popen([mlflow_bin, "models", "serve", "-m", "models:/served@champion", "--env-manager", "local",
                             "-h", "127.0.0.1", "-p", str(port), "-w", "1"], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise AssertionError((promoted["root"] / "serve.log").read_text()[-3000:]) from None
                time.sleep(0.5)
        data = load_dataset("digits")
        hwc = data.test_x.numpy().transpose(0, 2, 3, 1)
        body = _post(port, {"inputs": hwc.tolist()})
        rows = body["predictions"]
        assert len(rows) == len(hwc)
        assert set(rows[0]) == {"class", "class_name", "probability", "probabilities"}
        pred = np.array([r["class"] for r in rows])
        err = 100.0 * float(np.mean(pred != data.test_y.numpy()))
        assert err == pytest.approx(promoted["err"], abs=1e-9)
        assert rows[0]["class_name"] == str(rows[0]["class"])
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()

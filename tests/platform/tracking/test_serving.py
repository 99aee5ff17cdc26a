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

from tests.support.promoted import train_and_promote

CAMPAIGN = "serve"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def promoted(tmp_path_factory):
    from netspace.search_spaces import Geometry, Regime, get_space, sample_configs

    space = get_space("regnetx")
    sample = [s for s in sample_configs(space, 8, seed=0, regime=Regime.parse(":1.5M"), geometry=Geometry(32))
              if s.config.depth <= 6][0]
    return train_and_promote(tmp_path_factory.mktemp("serve"), CAMPAIGN, sample, "served")


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

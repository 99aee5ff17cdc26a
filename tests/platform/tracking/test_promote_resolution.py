"""A trial that sampled its input resolution is promoted, evaluated and served at that resolution (issue 21): a
network trained by the real worker at 24 px on the 32 px embedded digits, recorded in a real SQLite campaign study
laid out as the engine writes one that samples ``resolution: {values: [16, 24]}``, promoted to a real MLflow store."""

from __future__ import annotations

import os

import numpy as np
import pytest

from tests.support.promoted import train_and_promote

CAMPAIGN = "res"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def promoted(tmp_path_factory):
    from netspace.search_spaces import Geometry, Regime, get_space, sample_configs
    from netspace.search_spaces.resolution import with_resolution

    space = with_resolution(get_space("regnetx"), [16, 24])
    sample = next(s for s in sample_configs(space, 40, seed=1, regime=Regime.parse(":1.5M"), geometry=Geometry(32))
                  if s.config.resolution == 24 and s.config.depth <= 6)
    assert sample.config.to_dict()["resolution"] == 24
    return train_and_promote(tmp_path_factory.mktemp("promote_res"), CAMPAIGN, sample, "res",
                             study_attrs={"resolution": [16, 24]})


def test_promoted_model_is_evaluated_and_served_at_the_trials_resolution(promoted):
    import mlflow
    from mlflow.models import Model

    from netspace.platform.tracking.serving import load_served
    from netspace.workers import load_dataset
    from netspace.workers.evaluate import evaluate_model

    os.environ["MLFLOW_TRACKING_URI"] = promoted["tracking"]
    try:
        local = mlflow.artifacts.download_artifacts("models:/res@champion", dst_path=str(promoted["root"] / "dl"))
        version = mlflow.MlflowClient().get_model_version_by_alias("res", "champion")
    finally:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    prep = Model.load(os.path.join(local, "MLmodel")).flavors["python_function"]["netspace_preprocessing"]
    assert prep["resolution"] == 24 and version.tags["netspace.resolution"] == "24"

    # the bare network, evaluated at the trial's resolution, gives the campaign's error
    network = mlflow.pytorch.load_model(local, map_location="cpu")
    assert evaluate_model(network, "digits", resolution=24) == pytest.approx(promoted["err"], abs=1e-9)

    # served: raw 32 px images in, resized to 24 px as training resized them; the campaign's error out
    data = load_dataset("digits")
    served = load_served(local)
    out = served.predict(data.test_x.numpy().transpose(0, 2, 3, 1))
    err = 100.0 * float(np.mean(out["class"].to_numpy() != data.test_y.numpy()))
    assert err == pytest.approx(promoted["err"], abs=1e-9)

"""A trial that sampled its input resolution is promoted, evaluated and served at that resolution (issue 21): a
network trained by the real worker at 24 px on the 32 px embedded digits, recorded in a real SQLite campaign study
laid out as the engine writes one that samples ``resolution: {values: [16, 24]}``, promoted to a real MLflow store."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

CAMPAIGN = "res"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def promoted(tmp_path_factory):
    import optuna

    from netspace.platform.storage.distributions import to_optuna
    from netspace.platform.tracking.promote import promote
    from netspace.search_spaces import Geometry, Regime, get_space, sample_configs
    from netspace.search_spaces.resolution import with_resolution
    from netspace.workers import DatasetSpec, TrainRecipe, run_trial

    root = tmp_path_factory.mktemp("promote_res")
    tracking = f"sqlite:///{root / 'mlflow.db'}"
    storage_url = f"sqlite:///{root / 'netspace.db'}"
    space = with_resolution(get_space("regnetx"), [16, 24])
    sample = next(s for s in sample_configs(space, 40, seed=1, regime=Regime.parse(":1.5M"), geometry=Geometry(32))
                  if s.config.resolution == 24 and s.config.depth <= 6)
    config = sample.config.to_dict()
    assert config["resolution"] == 24
    result = run_trial("regnetx", config, DatasetSpec(name="digits"),
                       TrainRecipe(epochs=2, batch_size=32, lr=0.05, warmup_epochs=0, augment=False,
                                   max_train_images=512), checkpoint_dir=str(root / "trial-0"))
    spec = {"name": CAMPAIGN, "mlflow": {"tracking_uri": tracking, "artifact_location": str(root / "artifacts")}}
    study = optuna.create_study(study_name=f"{CAMPAIGN}::regnetx", storage=storage_url, direction="minimize")
    for k, v in {"campaign": CAMPAIGN, "space": "regnetx", "target": 1, "spec": json.dumps(spec),
                 "resolution": [16, 24]}.items():
        study.set_user_attr(k, v)
    attrs = {"config": config, "flops": sample.complexity.flops, "params": sample.complexity.params,
             "acts": sample.complexity.acts, "status": "completed", "dataset": {"name": "digits", "root": None},
             "weights_path": result.weights_path}
    study.add_trial(optuna.trial.create_trial(params=sample.params, distributions=to_optuna(sample.specs),
                                              value=result.top1_err, user_attrs=attrs))
    models = promote(storage_url, CAMPAIGN, registered_name="res", tracking_uri=tracking)
    assert models and models[0].alias == "champion"
    return {"tracking": tracking, "err": result.top1_err, "root": root}


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

"""One real trained trial, stored as a one-trial campaign study and promoted to a real MLflow store (the fixture
behind the serving and promote-at-resolution tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def train_and_promote(root: Path, campaign: str, sample, registered_name: str, *,
                      study_attrs: dict[str, Any] | None = None) -> dict[str, Any]:
    """Train ``sample`` (a regnetx :class:`~netspace.search_spaces.Sample`) for 2 epochs on 512 digits images,
    store it as the only finished trial of ``campaign::regnetx`` in ``root/netspace.db`` and promote it into
    ``root/mlflow.db``; returns {"tracking", "err", "root"}."""
    import optuna

    from netspace.platform.storage.distributions import to_optuna
    from netspace.platform.tracking.promote import promote
    from netspace.workers import DatasetSpec, TrainRecipe, run_trial

    tracking = f"sqlite:///{root / 'mlflow.db'}"
    storage_url = f"sqlite:///{root / 'netspace.db'}"
    config = sample.config.to_dict()
    result = run_trial("regnetx", config, DatasetSpec(name="digits"),
                       TrainRecipe(epochs=2, batch_size=32, lr=0.05, warmup_epochs=0, augment=False,
                                   max_train_images=512), checkpoint_dir=str(root / "trial-0"))
    spec = {"name": campaign, "mlflow": {"tracking_uri": tracking, "artifact_location": str(root / "artifacts")}}
    study = optuna.create_study(study_name=f"{campaign}::regnetx", storage=storage_url, direction="minimize")
    for k, v in {"campaign": campaign, "space": "regnetx", "target": 1, "spec": json.dumps(spec),
                 **(study_attrs or {})}.items():
        study.set_user_attr(k, v)
    attrs = {"config": config, "flops": sample.complexity.flops, "params": sample.complexity.params,
             "acts": sample.complexity.acts, "status": "completed", "dataset": {"name": "digits", "root": None},
             "weights_path": result.weights_path}
    study.add_trial(optuna.trial.create_trial(params=sample.params, distributions=to_optuna(sample.specs),
                                              value=result.top1_err, user_attrs=attrs))
    models = promote(storage_url, campaign, registered_name=registered_name, tracking_uri=tracking)
    assert models and models[0].alias == "champion"
    return {"tracking": tracking, "err": result.top1_err, "root": root}

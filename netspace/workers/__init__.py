"""The training worker: datasets from local paths, a low-epoch training loop, per-epoch reports and
checkpoints, resumable trials. No Ray or MLflow here (see docs/contracts.md, "Worker")."""

from netspace.workers.datasets import DatasetInfo, DatasetSpec, ImageData, dataset_info, load_dataset
from netspace.workers.evaluate import evaluate_model
from netspace.workers.recipe import EpochReport, TrainRecipe, TrialResult
from netspace.workers.trial import run_trial

__all__ = [
    "DatasetInfo", "DatasetSpec", "EpochReport", "ImageData", "TrainRecipe", "TrialResult",
    "dataset_info", "evaluate_model", "load_dataset", "run_trial",
]

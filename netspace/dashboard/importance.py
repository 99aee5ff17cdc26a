"""Parameter importance for the dashboard: computed by the storage adapter
(:mod:`netspace.platform.storage.importance`), which owns every Optuna read."""

from netspace.platform.storage.importance import MIN_TRIALS, param_importances

__all__ = ["MIN_TRIALS", "param_importances"]

"""Parameter importance of one design space's study with Optuna's own evaluator (as optuna-dashboard shows it).

Lives with the storage adapter because it reads Optuna's trials and distributions and runs Optuna's evaluators."""

from __future__ import annotations

import pandas as pd

MIN_TRIALS = 10


def param_importances(url: str, study_name: str, evaluator: str = "ped-anova") -> pd.DataFrame | str:
    """Table (param, importance) of the study's params for the first objective (top-1 error), most important
    first; a one-line reason instead when it cannot be computed (too few trials, no shared params)."""
    import optuna
    from optuna.importance import FanovaImportanceEvaluator, PedAnovaImportanceEvaluator
    from optuna.trial import TrialState

    from netspace.platform.storage.database import shared_storage

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.load_study(study_name=study_name, storage=shared_storage(url))
        done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    except Exception as exc:  # shown in the page, never raised
        return f"cannot read {study_name}: {' '.join(str(exc).split())[:160]}"
    done = [t for t in done if t.values and t.params]
    if len(done) < MIN_TRIALS:
        return f"{len(done)} completed trials with parameters: importance needs at least {MIN_TRIALS}"
    shared = set.intersection(*(set(t.params) for t in done))
    if not shared:
        return "the completed trials share no sampled parameter (their parameter sets differ)"
    ev = FanovaImportanceEvaluator(seed=0) if evaluator == "fanova" else PedAnovaImportanceEvaluator()
    mem = optuna.create_study(direction="minimize")  # single objective view of the first value
    mem.add_trials([optuna.trial.create_trial(state=TrialState.COMPLETE, value=t.values[0],
                                              params={k: t.params[k] for k in shared},
                                              distributions={k: t.distributions[k] for k in shared}) for t in done])
    try:
        imp = optuna.importance.get_param_importances(mem, evaluator=ev)
    except Exception as exc:
        return f"importance not computable: {' '.join(str(exc).split())[:160]}"
    return pd.DataFrame({"param": list(imp), "importance": [float(v) for v in imp.values()]})

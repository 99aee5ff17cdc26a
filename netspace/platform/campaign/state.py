"""Read-only view of one campaign in a storage (``netspace status``); the listing of every campaign is
:func:`netspace.platform.storage.results.list_campaigns`."""

from __future__ import annotations

import json
import math
from typing import Any

from netspace.platform.campaign.finalize import load_final
from netspace.platform.campaign.lease import current_holder
from netspace.platform.campaign.study import count_trials
from netspace.platform.storage.database import campaign_studies, create_engine, label_of, open_storage, study_trials
from netspace.platform.storage.project import load_path, project_dir
from netspace.platform.storage.urls import mask_secrets, resolve_tracking_uri, resolve_url


def mlflow_store(spec_json: Any, project) -> str:
    """The MLflow store of a campaign as every command resolves it (``--tracking-uri`` aside): ``$MLFLOW_TRACKING_URI``,
    else the stored spec's ``mlflow.tracking_uri`` (a relative SQLite file in the project directory)."""
    try:
        spec = json.loads(spec_json) if isinstance(spec_json, str) else (spec_json or {})
        uri = spec.get("mlflow", {}).get("tracking_uri") or None
    except (ValueError, AttributeError):
        uri = None
    return resolve_tracking_uri(None, uri, project)


def campaign_mlflow_store(name: str, storage: str | None = None, *, own: bool = False) -> str:
    """The MLflow store of campaign ``name`` (read-only): as :func:`mlflow_store`, or with ``own`` the campaign's
    own store, where ``run``, ``resume`` and ``finalize`` log (its spec's, whatever the environment says)."""
    from netspace.platform.storage.results import study_attrs

    url = resolve_url(storage)
    spec = next((a["spec"] for a in study_attrs(url, name).values() if "spec" in a), None)
    if not own:
        return mlflow_store(spec, project_dir(url))
    from netspace.platform.storage.project import load_sqlite_url

    try:
        uri = json.loads(spec)["mlflow"]["tracking_uri"] if isinstance(spec, str) else None
    except (ValueError, KeyError, TypeError):
        uri = None
    return load_sqlite_url(uri, project_dir(url)) if uri else mlflow_store(spec, project_dir(url))


def campaign_status(name: str, storage: str | None = None, *, top: int = 5) -> dict[str, Any]:
    """Counts per state and space, and the best trials: the same numbers the storage holds."""
    url = resolve_url(storage)
    st = open_storage(url, must_exist=True)
    studies = campaign_studies(st, name, url)
    project = project_dir(url)
    spaces: dict[str, Any] = {}
    best: list[dict[str, Any]] = []
    for s in studies:
        space = label_of(s)
        target = int(s.user_attrs.get("target", 0))
        trials = study_trials(st, s)
        c = count_trials(trials, target)
        c.rejected += int(s.user_attrs.get("rejected_proposals", 0))  # proposals never stored as trials
        counts = c.as_dict()
        counts["best_top1_err"] = counts.pop("best", None)  # the key `netspace list --json` uses too
        spaces[space] = {**counts, "study": s.study_name}
        for t in trials:
            if t.state.name == "COMPLETE" and t.values and math.isfinite(t.values[0]):
                ua = t.user_attrs
                best.append({"trial": f"{space}#{t.number}", "space": space, "number": t.number,
                             "top1_err": t.values[0],
                             "flops": ua.get("flops"), "params": ua.get("params"), "acts": ua.get("acts"),
                             "epochs_run": ua.get("epochs_run"), "train_time_s": ua.get("train_time_s"),
                             "status": ua.get("status"), "mlflow_run_id": ua.get("mlflow_run_id"),
                             "weights_path": load_path(ua.get("weights_path"), project)})
    best.sort(key=lambda r: r["top1_err"])
    totals = {k: sum(v[k] for v in spaces.values())
              for k in ("target", "finished", "completed", "pruned", "running", "failed", "rejected")}
    engine = create_engine(url)
    try:
        holder = current_holder(engine, name)
    finally:
        engine.dispose()
    driver = None
    if holder:
        driver = {"host": holder["host"], "pid": holder["pid"], "heartbeat_age_s": round(holder["age_s"], 1),
                  "alive": holder["alive"]}
    spec = next((s.user_attrs["spec"] for s in studies if "spec" in s.user_attrs), None)
    return {"campaign": name, "storage": mask_secrets(url), "mlflow": mask_secrets(mlflow_store(spec, project)),
            "spaces": spaces, "totals": totals,
            "best": best[:top], "driver": driver, "comparisons": comparisons(url, name),
            "done": all(v["finished"] >= v["target"] for v in spaces.values()),
            "final": load_final(url, name)}  # netspace finalize: mean ± std error per network and epochs


def comparisons(url: str, name: str, *, n_boot: int = 1000, seed: int = 0) -> list[dict[str, Any]]:
    """Pairwise verdicts between the campaign's spaces (finished trials): KS with p-value, median difference
    with its bootstrap 95 % interval (:func:`netspace.platform.analysis.pairwise_comparisons`)."""
    from netspace.platform.analysis.compare import pairwise_comparisons
    from netspace.platform.storage.results import load_trials

    df = load_trials(url, name, attrs=["flops", "status"], intermediate=False)
    if df.empty:
        return []
    import warnings

    with warnings.catch_warnings():  # scipy's precision/degenerate-data warnings: the verdict says it in words
        warnings.simplefilter("ignore", RuntimeWarning)
        table = pairwise_comparisons(df, n_boot=n_boot, seed=seed)
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()} for row in table.to_dict("records")]

"""Read a campaign's trials straight from Optuna's RDB tables (one SQL query per table, no Optuna objects).

Layout (docs/contracts.md): one study per design space named ``"{campaign}::{space}"``; trial params are the
space's sampled params, values ``[top1_err]`` (or ``[top1_err, flops]``), user attrs ``config``, ``flops``,
``params``, ``acts``, ``status``, ``mlflow_run_id``, ``weights_path``, ``progress``, …

:func:`load_trials` returns one row per trial with columns ``campaign, space, study, number, trial_id,
state, error, objective_1, flops, params, acts, status, train_time_s, epochs_run, mlflow_run_id,
weights_path, dataset, config, progress, data_wait, last_step, last_value, datetime_start, datetime_complete`` and one
``param_<name>`` column per sampled parameter (values in their external form, e.g. categorical choices).
``outcome`` is finished / running / failed / rejected / waiting (rejected: a FAIL trial with the engine's
``rejected`` attr, a constraint or regime rejection that was never trained).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from netspace.errors import StorageError
from netspace.platform.storage.database import shared_engine
from netspace.platform.storage.urls import SEP, mask_secrets

USER_ATTRS = ("flops", "params", "acts", "status", "train_time_s", "epochs_run", "mlflow_run_id",
              "weights_path", "dataset", "config", "progress", "inference_ms", "images_per_s", "device_name",
              "data_wait")
BASE_COLUMNS = ["campaign", "space", "study", "reference", "number", "trial_id", "state", "outcome", "error", "objective_1",
                *USER_ATTRS, "last_step", "last_value", "datetime_start", "datetime_complete"]
_SPECIAL = {"INF_POS": math.inf, "INF_NEG": -math.inf, "NAN": math.nan}
FINAL = "final"  # `netspace finalize`'s study NAME::final (netspace.platform.campaign.finalize.FINAL)
FINAL_ATTRS = ["source", "epochs", "seed", "source_top1_err", "flops", "params", "status", "data_wait"]
FINAL_COLUMNS = ["number", "trial_id", "source", "epochs", "seed", "state", "error", "source_top1_err", "flops",
                 "params", "status", "data_wait"]


def _query(url: str, sql: str, **params) -> list[tuple]:
    import sqlalchemy

    try:
        if params:
            with shared_engine(url).connect() as conn:
                return conn.execute(sqlalchemy.text(sql), params).fetchall()
        raw = shared_engine(url).raw_connection()  # plain DBAPI cursor: no per-row Result overhead
        try:
            cur = raw.cursor()
            cur.execute(sql)
            rows = cur.fetchall()
            cur.close()
            return rows
        finally:
            raw.close()
    except StorageError:
        raise
    except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.ProgrammingError) as exc:
        msg = " ".join(str(exc.orig).split())[:200]
        if "no such table" in msg or "does not exist" in msg:
            raise StorageError(f"{mask_secrets(url)} holds no Optuna storage ({msg})") from None
        raise StorageError(f"cannot read storage {mask_secrets(url)}: {msg}") from None
    except sqlalchemy.exc.SQLAlchemyError as exc:
        raise StorageError(f"cannot read storage {mask_secrets(url)}: {' '.join(str(exc).split())[:200]}") from None
    except Exception as exc:  # DBAPI errors raised by the raw cursor
        msg = " ".join(str(exc).split())[:200]
        if "no such table" in msg or "does not exist" in msg:
            raise StorageError(f"{mask_secrets(url)} holds no Optuna storage ({msg})") from None
        raise StorageError(f"cannot read storage {mask_secrets(url)}: {msg}") from None


def _frame(url: str, sql: str, columns: list[str], decode: str | None = None) -> pd.DataFrame:
    """Query result as a DataFrame built column-wise (fast); ``decode`` names a column of JSON to parse."""
    rows = _query(url, sql)
    cols = list(zip(*rows)) if rows else [() for _ in columns]
    data = {}
    for name, values in zip(columns, cols):
        if name == decode:
            data[name] = pd.Series(json.loads("[" + ",".join(values) + "]"), dtype=object)  # one parse
        else:
            data[name] = pd.Series(list(values), dtype=object if isinstance(values[0] if values else None, str) else None)
    return pd.DataFrame(data, columns=columns)


def _studies(url: str) -> pd.DataFrame:
    df = _frame(url, "SELECT study_id, study_name FROM studies", ["study_id", "study"])
    parts = df["study"].str.split(SEP, n=1, regex=False)
    df["campaign"] = parts.str[0]
    df["space"] = parts.str[1]
    return df[df["space"].notna()].reset_index(drop=True)


def list_campaigns(url: str) -> list[dict]:
    """The campaigns in the storage (studies named ``campaign::space``), sorted by name, one row each:
    ``campaign, spaces, target, finished, running, failed, best_top1_err`` (the one campaign listing: ``netspace
    list``, the dashboard's picker). Three queries whatever the number of trials."""
    st = _studies(url)
    if st.empty:
        return []
    ids = _ids(st)
    space_of = dict(zip(st["study_id"].astype(int), st["space"]))
    camp_of = dict(zip(st["study_id"].astype(int), st["campaign"]))
    rows = {c: {"campaign": c, "spaces": [], "target": 0, "finished": 0, "running": 0, "failed": 0,
                "best_top1_err": None} for c in sorted(set(st["campaign"]))}
    for sid in sorted(space_of, key=lambda i: space_of[i]):
        rows[camp_of[sid]]["spaces"].append(space_of[sid])
    for sid, value in _query(url, "SELECT study_id, value_json FROM study_user_attributes "
                                  f"WHERE key = 'target' AND study_id IN ({ids})"):
        rows[camp_of[int(sid)]]["target"] += int(json.loads(value) or 0)
    counts = _query(url, "SELECT t.study_id, t.state, CASE WHEN a.trial_id IS NULL THEN 0 ELSE 1 END, COUNT(*), "
                         "MIN(CASE WHEN v.value_type = 'FINITE' THEN v.value END) FROM trials t "
                         "LEFT JOIN trial_user_attributes a ON a.trial_id = t.trial_id AND a.key = 'rejected' "
                         "LEFT JOIN trial_values v ON v.trial_id = t.trial_id AND v.objective = 0 "
                         f"WHERE t.study_id IN ({ids}) GROUP BY t.study_id, t.state, "
                         "CASE WHEN a.trial_id IS NULL THEN 0 ELSE 1 END")
    for sid, state, rejected, n, best in counts:
        row, state = rows[camp_of[int(sid)]], str(state).replace("TrialState.", "")
        if state in ("COMPLETE", "PRUNED"):
            row["finished"] += int(n)
        elif state == "RUNNING":
            row["running"] += int(n)
        elif state == "FAIL" and not int(rejected):
            row["failed"] += int(n)
        if state == "COMPLETE" and best is not None and (row["best_top1_err"] is None or best < row["best_top1_err"]):
            row["best_top1_err"] = float(best)
    return list(rows.values())


def _campaign_studies(url: str, campaign: str) -> pd.DataFrame:
    st = _studies(url)
    sub = st[st["campaign"] == campaign]
    if sub.empty:
        from netspace.platform.storage.database import unknown_campaign

        raise unknown_campaign(campaign, url, st["campaign"])
    return sub


def _ids(sub: pd.DataFrame) -> str:
    return ",".join(str(int(i)) for i in sub["study_id"])


def study_attrs(url: str, campaign: str) -> dict[str, dict]:
    """space -> study user attrs (JSON-decoded) of the campaign's studies."""
    sub = _campaign_studies(url, campaign)
    rows = _query(url, f"SELECT study_id, key, value_json FROM study_user_attributes WHERE study_id IN ({_ids(sub)})")
    by_id = {int(i): s for i, s in zip(sub["study_id"], sub["space"])}
    out: dict[str, dict] = {s: {} for s in sub["space"]}
    for sid, key, value in rows:
        out[by_id[int(sid)]][key] = json.loads(value)
    return out


def _decode_params(df: pd.DataFrame) -> pd.DataFrame:
    """(trial_id, name, internal value, dist JSON) -> (trial_id, name, external value)."""
    if df.empty:
        return df[["trial_id", "name", "value"]]
    out = np.empty(len(df), dtype=object)
    for dist_json, idx in df.groupby("dist", sort=False).indices.items():
        d = json.loads(dist_json)
        kind, attrs = d.get("name", ""), d.get("attributes", {})
        vals = df["value"].to_numpy()[idx]
        if kind == "CategoricalDistribution":
            choices = attrs["choices"]
            out[idx] = [choices[int(v)] for v in vals]
        elif kind.startswith("Int"):
            out[idx] = [int(round(v)) for v in vals]
        else:
            out[idx] = [float(v) for v in vals]
    df["value"] = out
    return df[["trial_id", "name", "value"]]


def load_trials(url: str, campaign: str, spaces: list[str] | None = None, *, attrs: list[str] | None = None,
                intermediate: bool = True) -> pd.DataFrame:
    """All trials of ``campaign`` (every state), one row each; see the module docstring for the columns.

    ``attrs`` limits the user attrs read (e.g. only the complexity: much less JSON to decode; absent ones
    are None columns), ``intermediate=False`` skips the per-epoch values (``last_step``/``last_value`` NaN).
    """
    import gc

    enabled = gc.isenabled()
    gc.disable()  # ~10^5 small objects (rows, decoded dicts): cyclic GC passes would dominate
    try:
        return _load_trials(url, campaign, spaces, attrs, intermediate)
    finally:
        if enabled:
            gc.enable()


def _load_trials(url: str, campaign: str, spaces: list[str] | None, keys: list[str] | None,
                 intermediate: bool) -> pd.DataFrame:
    sub = _campaign_studies(url, campaign)
    if spaces:
        sub = sub[sub["space"].isin(spaces)]
    if sub.empty:
        return pd.DataFrame(columns=BASE_COLUMNS)
    ids = _ids(sub)
    in_trials = f"trial_id IN (SELECT trial_id FROM trials WHERE study_id IN ({ids}))"
    trials = _frame(url, f"SELECT trial_id, number, study_id, state, datetime_start, datetime_complete FROM trials "
                         f"WHERE study_id IN ({ids})",
                    ["trial_id", "number", "study_id", "state", "datetime_start", "datetime_complete"])
    trials["state"] = trials["state"].astype(str).str.replace("TrialState.", "", regex=False)
    meta = sub.set_index("study_id")
    trials["campaign"] = campaign
    trials["space"] = meta.loc[trials["study_id"], "space"].to_numpy() if len(trials) else []
    trials["study"] = meta.loc[trials["study_id"], "study"].to_numpy() if len(trials) else []
    # reference presets (study attr reference = true): fixed networks drawn as points, not populations
    refs = {int(r[0]) for r in _query(url, "SELECT study_id FROM study_user_attributes WHERE key = 'reference' "
                                           f"AND value_json = 'true' AND study_id IN ({ids})")}
    trials["reference"] = trials["study_id"].astype(int).isin(refs) if len(trials) else []
    df = trials.set_index("trial_id")

    # objective values
    vals = _frame(url, f"SELECT trial_id, objective, value, value_type FROM trial_values WHERE {in_trials}",
                  ["trial_id", "objective", "value", "type"])
    vals["value"] = _special(vals)
    for obj, name in ((0, "error"), (1, "objective_1")):
        s = vals[vals["objective"] == obj].set_index("trial_id")["value"]
        df[name] = s.reindex(df.index).astype(float)

    # user attrs (JSON)
    only = "" if keys is None else " AND key IN ({})".format(",".join("'" + k.replace("'", "''") + "'" for k in keys) or "''")
    attrs = _frame(url, f"SELECT trial_id, key, value_json FROM trial_user_attributes WHERE {in_trials}{only}",
                   ["trial_id", "key", "value"], decode="value")
    if not attrs.empty:
        wide = attrs.pivot(index="trial_id", columns="key", values="value")
        for key in wide.columns:
            col = key if key not in df.columns else f"attr_{key}"
            v = wide[key].reindex(df.index).astype(object)
            df[col] = v.where(v.notna(), None)  # a missing attr is None, not NaN
    for key in USER_ATTRS:
        if key not in df.columns:
            df[key] = None
    for key in ("flops", "params", "acts", "train_time_s", "epochs_run", "inference_ms", "images_per_s", "data_wait"):
        df[key] = pd.to_numeric(df[key], errors="coerce").astype(float)

    # latest intermediate value (top-1 error of the last reported epoch)
    inter = _frame(url, f"SELECT trial_id, step, intermediate_value, intermediate_value_type "
                        f"FROM trial_intermediate_values WHERE {in_trials}" + ("" if intermediate else " AND 1 = 0"),
                   ["trial_id", "step", "value", "type"])
    if not inter.empty:
        inter["value"] = _special(inter)
        last = inter.sort_values(["trial_id", "step"]).drop_duplicates("trial_id", keep="last").set_index("trial_id")
        df["last_step"] = last["step"].reindex(df.index).astype(float)
        df["last_value"] = last["value"].reindex(df.index).astype(float)
    else:
        df["last_step"] = np.nan
        df["last_value"] = np.nan

    # sampled params, one column each
    params = _decode_params(_frame(
        url, f"SELECT trial_id, param_name, param_value, distribution_json FROM trial_params WHERE {in_trials}",
        ["trial_id", "name", "value", "dist"]))
    if not params.empty:
        wide = params.pivot(index="trial_id", columns="name", values="value")
        for name in sorted(wide.columns):
            col = wide[name].reindex(df.index)
            num = pd.to_numeric(col, errors="coerce")
            df[f"param_{name}"] = num if num.notna().sum() == col.notna().sum() else col

    df = df.reset_index()
    df["number"] = df["number"].astype(int)
    rejected = df["rejected"].notna().to_numpy() if "rejected" in df.columns else np.zeros(len(df), bool)
    df["outcome"] = np.select(
        [df["state"].isin(["COMPLETE", "PRUNED"]), df["state"] == "RUNNING", (df["state"] == "FAIL") & rejected,
         df["state"] == "FAIL"], ["finished", "running", "rejected", "failed"], "waiting")
    for c in ("datetime_start", "datetime_complete"):
        df[c] = pd.to_datetime(df[c], errors="coerce")
    order = [c for c in BASE_COLUMNS if c in df.columns]
    rest = [c for c in df.columns if c not in order and c != "study_id"]
    return df[order + rest].sort_values(["space", "number"], kind="stable").reset_index(drop=True)


def _special(frame: pd.DataFrame) -> np.ndarray:
    v = frame["value"].to_numpy(dtype=float, na_value=np.nan)
    t = frame["type"].astype(str).to_numpy()
    for name, x in _SPECIAL.items():
        v = np.where(t == name, x, v)
    return v


def state_counts(df: pd.DataFrame) -> pd.DataFrame:
    """Trials per space (rows) and state (columns; FAIL trials that were constraint/regime rejections, never
    trained, as REJECTED), with a total row and column."""
    if df.empty:
        return pd.DataFrame()
    state = df["state"].where(df["outcome"] != "rejected", "REJECTED") if "outcome" in df.columns else df["state"]
    t = pd.crosstab(df["space"], state, margins=True, margins_name="total")
    t.columns.name = None
    return t


def params_of(row) -> dict:
    """The sampled params of one trial row as plain Python values (for ``space.config_from_params``)."""
    out = {}
    for key, value in row.items():
        if not str(key).startswith("param_") or value is None:
            continue
        if isinstance(value, float) and math.isnan(value):
            continue
        out[str(key)[len("param_"):]] = value.item() if hasattr(value, "item") else value
    return out


def live_status(url: str, campaign: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cheap progress snapshot: (trials per space and state, running trials with their latest epoch report).

    Two small queries (a GROUP BY and the RUNNING trials' ``progress`` attrs), so it can poll every few seconds.
    """
    sub = _campaign_studies(url, campaign)
    ids = _ids(sub)
    space_of = dict(zip(sub["study_id"].astype(int), sub["space"]))
    counts = _frame(url, f"SELECT t.study_id, t.state, CASE WHEN a.trial_id IS NULL THEN 0 ELSE 1 END AS rej, COUNT(*) "
                         f"FROM trials t LEFT JOIN trial_user_attributes a ON a.trial_id = t.trial_id "
                         f"AND a.key = 'rejected' WHERE t.study_id IN ({ids}) "
                         f"GROUP BY t.study_id, t.state, CASE WHEN a.trial_id IS NULL THEN 0 ELSE 1 END",
                    ["study_id", "state", "rej", "n"])
    counts["space"] = [space_of[int(i)] for i in counts["study_id"]]
    counts["state"] = counts["state"].astype(str).str.replace("TrialState.", "", regex=False)
    # constraint/regime rejections are FAIL trials with a `rejected` attr: never trained, shown apart
    counts["state"] = np.where((counts["state"] == "FAIL") & (counts["rej"].astype(int) == 1), "REJECTED",
                               counts["state"])
    table = counts.pivot_table(index="space", columns="state", values="n", aggfunc="sum", fill_value=0)
    table.columns.name = None
    for state in ("COMPLETE", "RUNNING", "FAIL"):
        if state not in table.columns:
            table[state] = 0
    run = _frame(url, f"SELECT t.study_id, t.number, t.datetime_start, a.value_json FROM trials t "
                      f"LEFT JOIN trial_user_attributes a ON a.trial_id = t.trial_id AND a.key = 'progress' "
                      f"WHERE t.study_id IN ({ids}) AND t.state = 'RUNNING'",
                 ["study_id", "number", "datetime_start", "progress"])
    rows = []
    for sid, number, start, prog in zip(run["study_id"], run["number"], run["datetime_start"], run["progress"]):
        p = json.loads(prog) if prog else {}
        rows.append({"space": space_of[int(sid)], "number": int(number), "epoch": p.get("epoch"), "epochs": p.get("epochs"),
                     "top1_err": p.get("top1_err"), "train_loss": p.get("train_loss"),
                     "images_per_s": p.get("images_per_s"), "data_wait": p.get("data_wait"),
                     "elapsed_s": p.get("elapsed_s"), "started": pd.to_datetime(start, errors="coerce")})
    running = pd.DataFrame(rows, columns=["space", "number", "epoch", "epochs", "top1_err", "train_loss",
                                          "images_per_s", "data_wait", "elapsed_s", "started"])
    return table.astype(int), running.sort_values(["space", "number"]).reset_index(drop=True)


def final_runs(url: str, campaign: str) -> tuple[pd.DataFrame, list[dict]]:
    """The runs of ``netspace finalize`` for ``campaign`` (study ``NAME::final``), one row per run in
    :data:`FINAL_COLUMNS` (``source`` = ``LABEL#N``, the trained network; ``error`` = its top-1 error, NaN until it
    finished), and the planned runs (the study's ``plan`` attr: ``{source, epochs, seed}`` dicts). ``(empty, [])``
    when the campaign was never finalized; an unknown campaign is one :class:`CampaignError` line."""
    sub = _campaign_studies(url, campaign)
    final = sub[sub["space"] == FINAL]
    if final.empty:
        return pd.DataFrame(columns=FINAL_COLUMNS), []
    rows = _query(url, f"SELECT value_json FROM study_user_attributes WHERE key = 'plan' AND study_id = "
                       f"{int(final['study_id'].iloc[0])}")
    plan = json.loads(rows[0][0]) if rows else []
    df = load_trials(url, campaign, [FINAL], attrs=FINAL_ATTRS, intermediate=False)
    for key in FINAL_ATTRS:
        if key not in df.columns:
            df[key] = None
    df = df[df["source"].notna()]  # a run abandoned before it was planned carries no source
    return df[FINAL_COLUMNS].reset_index(drop=True), [p for p in (plan or []) if isinstance(p, dict)]


def trial_user_attr(url: str, trial_ids, key: str) -> dict[int, object]:
    """One user attr (JSON-decoded) of the given trials (by ``trial_id``), e.g. the configs of the top-k."""
    ids = ",".join(str(int(i)) for i in trial_ids)
    if not ids:
        return {}
    rows = _query(url, "SELECT trial_id, value_json FROM trial_user_attributes WHERE trial_id IN ({}) AND key = '{}'"
                  .format(ids, key.replace("'", "''")))
    return {int(t): json.loads(v) for t, v in rows}


def best_error(url: str, campaign: str) -> float:
    """Lowest first objective (top-1 error) among the campaign's COMPLETE trials; NaN when none (one query)."""
    ids = _ids(_campaign_studies(url, campaign))
    rows = _query(url, f"SELECT MIN(v.value) FROM trial_values v JOIN trials t ON t.trial_id = v.trial_id "
                       f"WHERE t.study_id IN ({ids}) AND t.state = 'COMPLETE' AND v.objective = 0 "
                       f"AND v.value_type = 'FINITE'")
    value = rows[0][0] if rows else None
    return float(value) if value is not None else math.nan


def trial_intermediate_values(url: str, campaign: str, space: str, number: int) -> pd.DataFrame:
    """The per-epoch reports (Optuna intermediate values: step = epoch, value = top-1 error %) of trial
    ``number`` of ``space`` in ``campaign``, ordered by step; empty when it reported none."""
    sub = _campaign_studies(url, campaign)
    sub = sub[sub["space"] == space]
    if sub.empty:
        return pd.DataFrame(columns=["step", "value"])
    df = _frame(url, f"SELECT v.step, v.intermediate_value, v.intermediate_value_type FROM trial_intermediate_values v "
                     f"JOIN trials t ON t.trial_id = v.trial_id WHERE t.study_id IN ({_ids(sub)}) "
                     f"AND t.number = {int(number)}", ["step", "value", "type"])
    df["value"] = _special(df)
    return df[["step", "value"]].astype(float).sort_values("step").reset_index(drop=True)

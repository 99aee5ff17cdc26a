"""The storage reader against a real SQLite Optuna storage populated through the Optuna API per the contract."""

import math

import numpy as np
import optuna
import pytest

from netspace.dashboard.demo import populate
from netspace.errors import CampaignError, StorageError
from netspace.platform.storage.results import (
    list_campaigns,
    load_trials,
    params_of,
    state_counts,
    study_attrs,
)
from netspace.platform.storage.urls import mask_secrets
from netspace.search_spaces import get_space


@pytest.fixture(scope="module")
def storage(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('results') / 'campaigns.db'}"
    summary = populate(url, "demo", ("regnetx", "anynetx_c"), n=12, running=2, failed=1, rejected=2, seed=3)
    # a multi-objective (error, flops) campaign and a study that is not a campaign's
    study = optuna.create_study(storage=url, study_name="pareto::regnetx", directions=["minimize", "minimize"])
    study.add_trial(optuna.trial.create_trial(values=[12.5, 2.0e8], params={"d": 10},
                                              distributions={"d": optuna.distributions.IntDistribution(1, 63)}))
    study.add_trial(optuna.trial.create_trial(values=[math.inf, 1.0e8]))
    optuna.create_study(storage=url, study_name="not a campaign")
    return url, summary


def test_list_campaigns(storage):
    url, _ = storage
    rows = list_campaigns(url)
    assert [r["campaign"] for r in rows] == ["demo", "pareto"]
    df = load_trials(url, "demo")  # the listing's counts are the trial reader's
    demo = rows[0]
    assert demo["spaces"] == sorted(df["space"].unique())
    assert demo["finished"] == int((df["outcome"] == "finished").sum())
    assert demo["running"] == int((df["outcome"] == "running").sum()) == 4
    assert demo["failed"] == int((df["outcome"] == "failed").sum())
    assert demo["best_top1_err"] == pytest.approx(df.loc[df["state"] == "COMPLETE", "error"].min())
    assert rows[1]["best_top1_err"] == 12.5 and rows[1]["finished"] == 2


def test_load_trials_matches_storage(storage):
    url, summary = storage
    df = load_trials(url, "demo")
    counts = state_counts(df)
    for space, s in summary.items():
        assert counts.loc[space, "COMPLETE"] == s["complete"] == 12
        assert counts.loc[space, "RUNNING"] == s["running"] and counts.loc[space, "FAIL"] == s["failed"]
        sub = df[df["space"] == space]
        assert counts.loc[space, "REJECTED"] == s["rejected"] == 2
        assert sub["number"].tolist() == list(range(17))
        assert sub["outcome"].value_counts().to_dict() == {"finished": 12, "running": 2, "failed": 1, "rejected": 2}
        assert sub["error"].min() == pytest.approx(s["best"])
        assert sub.loc[sub.state != "COMPLETE", "error"].isna().all()

    # compare every field with what Optuna itself reads back
    for space in summary:
        for t in optuna.load_study(study_name=f"demo::{space}", storage=url).get_trials():
            row = df[(df.space == space) & (df.number == t.number)].iloc[0]
            assert row["state"] == t.state.name
            if t.value is not None:
                assert row["error"] == t.value
            if "rejected" in t.user_attrs:
                assert row["outcome"] == "rejected" and row["rejected"] == t.user_attrs["rejected"]
                assert row["config"] is None and np.isnan(row["flops"])
                continue
            assert row["config"] == t.user_attrs["config"] and row["progress"] == t.user_attrs.get("progress")
            assert row["flops"] == t.user_attrs["flops"] and row["mlflow_run_id"] == t.user_attrs["mlflow_run_id"]
            assert row["weights_path"] == t.user_attrs.get("weights_path") or (
                row["weights_path"] is None and "weights_path" not in t.user_attrs)
            for name, value in t.params.items():
                assert row[f"param_{name}"] == value
            if t.intermediate_values:
                last = max(t.intermediate_values)
                assert row["last_step"] == last and row["last_value"] == t.intermediate_values[last]
    # params rebuild the config
    r = df[(df.space == "regnetx") & (df.state == "COMPLETE")].iloc[0]
    params = params_of(r)
    assert params == {k: v for k, v in params.items() if k in ("d", "w0", "wa", "wm", "b", "g")}
    assert all(type(v) in (int, float) for v in params.values())
    assert get_space("regnetx").config_from_params(params).to_dict() == r["config"]


def test_multi_objective_and_infinite_values(storage):
    url, _ = storage
    df = load_trials(url, "pareto")
    assert df["error"].tolist()[0] == 12.5 and math.isinf(df["error"].tolist()[1])
    assert df["objective_1"].tolist() == [2.0e8, 1.0e8]
    assert df["param_d"].tolist()[0] == 10


def test_study_attrs(storage):
    url, _ = storage
    attrs = study_attrs(url, "demo")
    assert set(attrs) == {"regnetx", "anynetx_c"} and attrs["regnetx"]["target"] == 15
    assert attrs["regnetx"]["campaign"] == "demo" and attrs["anynetx_c"]["space"] == "anynetx_c"


def test_errors_are_one_line(storage, tmp_path):
    url, _ = storage
    with pytest.raises(CampaignError, match=r"no campaign 'nope'.*campaigns there: demo, pareto"):
        load_trials(url, "nope")
    with pytest.raises(StorageError, match="does not exist"):
        list_campaigns(f"sqlite:///{tmp_path / 'missing.db'}")
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    with pytest.raises(StorageError, match="no Optuna storage"):
        list_campaigns(f"sqlite:///{empty}")


def test_mask_url():
    assert mask_secrets("postgresql://bob:s3cret@db:5432/ns") == "postgresql://bob:***@db:5432/ns"
    assert "s3cret" not in mask_secrets("postgresql+psycopg2://bob:s3cret@db/ns")
    assert mask_secrets("sqlite:///x.db") == "sqlite:///x.db"


@pytest.mark.postgres
def test_reader_on_postgresql(pg_url):
    from netspace.platform.storage.results import live_status

    summary = populate(pg_url, "pg", ("regnetx",), n=6, running=1, failed=1, rejected=1, seed=4)
    assert [r["campaign"] for r in list_campaigns(pg_url)] == ["pg"]
    df = load_trials(pg_url, "pg")
    assert state_counts(df).loc["regnetx", "COMPLETE"] == 6 and len(df) == 9
    assert df["error"].min() == pytest.approx(summary["regnetx"]["best"])
    assert isinstance(df.loc[0, "config"], dict) and df.loc[df.outcome != "rejected", "param_b"].notna().all()
    assert df["outcome"].tolist().count("rejected") == 1
    lean = load_trials(pg_url, "pg", attrs=["flops"], intermediate=False)
    assert lean["config"].isna().all() and lean["flops"].notna().sum() == 8 and lean["last_step"].isna().all()
    counts, running = live_status(pg_url, "pg")
    assert counts.loc["regnetx", "RUNNING"] == 1 and counts.loc["regnetx", "REJECTED"] == 1
    assert running["epoch"].tolist() == [1]


def test_lean_load_live_status_and_single_attr(storage):
    from netspace.platform.storage.results import best_error, live_status, trial_user_attr

    url, summary = storage
    full = load_trials(url, "demo")
    lean = load_trials(url, "demo", attrs=["flops", "params", "acts"], intermediate=False)
    assert len(lean) == len(full) and (lean["flops"].fillna(-1) == full["flops"].fillna(-1)).all()
    assert lean["config"].isna().all() and lean["last_step"].isna().all()
    ids = full["trial_id"].tolist()[:4]
    assert trial_user_attr(url, ids, "config") == dict(zip(ids, full["config"].tolist()[:4]))
    counts, running = live_status(url, "demo")
    assert best_error(url, "demo") == min(s["best"] for s in summary.values())
    assert math.isinf(load_trials(url, "pareto")["error"].max()) and best_error(url, "pareto") == 12.5
    for space, s in summary.items():
        assert counts.loc[space, "COMPLETE"] == s["complete"] and counts.loc[space, "FAIL"] == s["failed"]
        assert counts.loc[space, "REJECTED"] == s["rejected"]
    assert len(running) == 4 and running["epochs"].tolist() == [3] * 4 and running["top1_err"].notna().all()


def test_trial_intermediate_values(storage):
    from netspace.platform.storage.results import trial_intermediate_values

    url, _ = storage
    df = load_trials(url, "demo")
    row = df[(df["space"] == "regnetx") & (df["state"] == "COMPLETE")].iloc[0]
    curve = trial_intermediate_values(url, "demo", "regnetx", int(row["number"]))
    assert curve["step"].tolist() == [1.0, 2.0, 3.0] and curve["value"].iloc[-1] == pytest.approx(row["error"])
    assert trial_intermediate_values(url, "demo", "anynetx_c", 10_000).empty
    assert trial_intermediate_values(url, "demo", "no_such_space", 0).empty

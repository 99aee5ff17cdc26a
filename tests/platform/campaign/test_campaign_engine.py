"""A small campaign end to end on a real local Ray, SQLite storage and an MLflow SQLite store."""

from __future__ import annotations

import json

import pytest

from netspace.cli import main
from netspace.errors import CampaignError
from netspace.platform.campaign.lease import Lease
from netspace.platform.campaign.run import run_campaign
from netspace.platform.storage.database import create_engine
from tests.support.campaign_checks import check_campaign
from tests.support.campaigns import campaign_dict, write_campaign


@pytest.mark.slow
def test_small_campaign_sqlite(ray_cluster, workdir, capsys):
    path = write_campaign(workdir / "c.yaml", campaign_dict("small"))
    summary = run_campaign(path, show_progress=False)
    assert summary.complete, summary.counts
    storage, tracking = f"sqlite:///{workdir}/netspace.db", f"sqlite:///{workdir}/mlflow.db"
    first = check_campaign("small", storage, tracking, {"anynetx_a": 3, "regnetx": 3}, capsys)

    # running it again changes nothing: the targets are met, no trial is trained or recorded twice
    again = run_campaign(path, show_progress=False)
    assert again.complete and again.resumed_trials == 0
    second = check_campaign("small", storage, tracking, {"anynetx_a": 3, "regnetx": 3}, capsys)
    for space in first:
        assert [(t.number, t.values, t.datetime_complete) for t in first[space]] == \
               [(t.number, t.values, t.datetime_complete) for t in second[space]]

    capsys.readouterr()
    assert main(["list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["campaign"], r["finished"], r["target"]) for r in rows] == [("small", 6, 6)]

    # a larger target on the same campaign only adds the missing samples, continuing the seeded stream
    bigger = campaign_dict("small", spaces=("regnetx",), samples=4)
    summary = run_campaign(write_campaign(workdir / "c4.yaml", bigger), show_progress=False)
    assert summary.counts["regnetx"]["finished"] == 4
    third = check_campaign("small", storage, tracking, {"regnetx": 4}, capsys)
    assert [t.number for t in third["regnetx"]][:3] == [t.number for t in first["regnetx"]]


def test_changed_recipe_is_refused(workdir):
    path = write_campaign(workdir / "c.yaml", campaign_dict("fixed"))
    from netspace.platform.campaign.spec import load_campaign
    from netspace.platform.campaign.study import Geometry, SpaceStudy
    from netspace.platform.storage.database import open_storage

    spec = load_campaign(path).resolved()
    st = open_storage(f"sqlite:///{workdir}/netspace.db")
    SpaceStudy(st, spec, spec.spaces[0], Geometry()).set_attrs(spec=spec.to_json(), campaign="fixed")
    changed = campaign_dict("fixed", training={"epochs": 7})
    with pytest.raises(CampaignError, match="already exists in this storage with a different"):
        run_campaign(write_campaign(workdir / "c2.yaml", changed), show_progress=False)


def test_second_driver_is_refused(workdir):
    """A live lease (another driver's heartbeat) makes `run` fail fast with one line."""
    path = write_campaign(workdir / "c.yaml", campaign_dict("busy"))
    engine = create_engine(f"sqlite:///{workdir}/netspace.db")
    lease = Lease(engine, "busy").acquire()
    try:
        with pytest.raises(CampaignError, match="already being run by pid"):
            run_campaign(path, show_progress=False)
        other = Lease(engine, "busy")
        with pytest.raises(CampaignError):
            other.acquire()
    finally:
        lease.release()
    # released: the next driver gets it
    Lease(engine, "busy").acquire().release()
    engine.dispose()


@pytest.mark.slow
def test_references_train_once_and_stay_out_of_comparisons(ray_cluster, workdir):
    """`references:` presets train once each with the campaign's recipe and are marked, not compared."""
    from netspace.platform.analysis import pairwise_comparisons
    from netspace.platform.reporting.report import build_report
    from netspace.platform.storage.results import load_trials
    from netspace.search_spaces import get_preset

    data = campaign_dict("refs", spaces=("regnetx",), samples=2, references=["d2l_regnetx32"])
    summary = run_campaign(write_campaign(workdir / "c.yaml", data), show_progress=False)
    assert summary.complete and summary.counts["d2l_regnetx32"]["finished"] == 1, summary.counts
    url = f"sqlite:///{workdir}/netspace.db"
    df = load_trials(url, "refs")
    ref = df[df["reference"]]
    assert ref["space"].tolist() == ["d2l_regnetx32"] and ref["state"].tolist() == ["COMPLETE"]
    assert ref["config"].iloc[0] == get_preset("d2l_regnetx32").build_config().to_dict()
    assert set(df.loc[~df["reference"], "space"]) == {"regnetx"}
    assert pairwise_comparisons(df).empty  # one population: nothing to compare, the reference is no population
    report = build_report(url, "refs", workdir / "report")
    assert "d2l_regnetx32" in report.index.read_text()

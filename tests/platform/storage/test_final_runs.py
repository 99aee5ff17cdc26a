"""The storage reader of `netspace finalize`'s runs (study NAME::final) against a real SQLite Optuna storage laid out
as finalize writes it, checked against finalize's own Optuna-side table (what `status`, the report and `promote`
use)."""

import pytest

from netspace.errors import CampaignError
from netspace.platform.analysis.finalized import final_summary, promote_pick
from netspace.platform.campaign import finalize
from netspace.platform.storage import demo, results


@pytest.fixture(scope="module")
def finalized(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('final') / 'campaigns.db'}"
    demo.populate(url, "fin", ("regnetx",), n=8, running=0, failed=0, seed=4)
    demo.populate(url, "plain", ("regnetx",), n=3, running=0, failed=0, seed=5)
    made = demo.populate_final(url, "fin", "regnetx", top=2, epochs=(2, 4), seeds=3, running=1, seed=1)
    return url, made


def test_final_runs_match_finalize_table(finalized):
    url, made = finalized
    assert results.FINAL == finalize.FINAL
    runs, plan = results.final_runs(url, "fin")
    assert plan == made["plan"] and len(runs) == len(plan) == 12
    assert runs["state"].value_counts().to_dict() == {"COMPLETE": 11, "RUNNING": 1}
    assert set(runs["source"]) == {p["source"] for p in plan}
    summary = final_summary(runs, plan)
    table = finalize.load_final(url, "fin")  # finalize's Optuna-side reading of the same study
    done = summary[summary["done"] > 0]
    assert list(zip(done["source"], done["epochs"], done["done"])) == [(r["source"], r["epochs"], r["runs"])
                                                                       for r in table]
    assert done["mean_err"].tolist() == pytest.approx([r["mean_err"] for r in table])
    assert done["std_err"].tolist() == pytest.approx([r["std_err"] for r in table])
    assert summary["planned"].tolist() == [3, 3, 3, 3] and summary["running"].sum() == 1
    for (source, epochs), errs in made["runs"].items():
        row = summary[(summary["source"] == source) & (summary["epochs"] == epochs)].iloc[0]
        assert row["mean_err"] == pytest.approx(sum(errs) / len(errs))
    best = finalize.best_finalized(table)
    assert {r.source: r.epochs for r in summary[summary["promote"]].itertuples()} == {
        k: r["epochs"] for k, r in best.items()}
    pick = promote_pick(summary)
    assert pick["mean_err"] == pytest.approx(min(r["mean_err"] for r in best.values()))


def test_final_runs_of_a_campaign_never_finalized_and_an_unknown_one(finalized):
    url, _ = finalized
    runs, plan = results.final_runs(url, "plain")
    assert runs.empty and plan == [] and list(runs.columns) == results.FINAL_COLUMNS
    with pytest.raises(CampaignError, match="no campaign 'nope'"):
        results.final_runs(url, "nope")

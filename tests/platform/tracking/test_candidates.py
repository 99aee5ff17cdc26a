"""Promotion candidates read from a real SQLite storage."""

from __future__ import annotations

from netspace.platform.storage.demo import populate, populate_final
from netspace.platform.tracking.candidates import load_candidates


def test_campaign_attrs_come_from_a_population_study_not_the_final_one(tmp_path):
    # `NAME::final` sorts before the spaces and holds no campaign spec: promote must still find the spec (its
    # MLflow store) after `netspace finalize`
    url = f"sqlite:///{tmp_path}/s.db"
    populate(url, "c", ("regnetx",), n=6, running=0, failed=0)
    populate_final(url, "c", "regnetx")
    candidates, attrs = load_candidates(url, "c")
    assert "spec" in attrs and attrs["campaign"] == "c"
    assert {c.space for c in candidates} >= {"regnetx"}

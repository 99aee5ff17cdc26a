"""The same small campaign against a real PostgreSQL storage (a fresh database per run, dropped after)."""

from __future__ import annotations

import pytest

from netspace.platform.campaign.run import resume_campaign, run_campaign
from tests.support.campaign_checks import check_campaign
from tests.support.campaigns import campaign_dict, write_campaign


@pytest.mark.slow
@pytest.mark.postgres
def test_small_campaign_postgres(ray_cluster, workdir, pg_url, capsys):
    # the URL as users write it (no driver suffix); the engine picks the installed psycopg2
    url = pg_url.replace("postgresql+psycopg2://", "postgresql://")
    path = write_campaign(workdir / "c.yaml", campaign_dict("pg", samples=2, storage=url))
    summary = run_campaign(path, show_progress=False)
    assert summary.complete, summary.counts
    check_campaign("pg", url, f"sqlite:///{workdir}/mlflow.db", {"anynetx_a": 2, "regnetx": 2}, capsys)
    # resume on a complete campaign reads the spec back from the studies and trains nothing
    again = resume_campaign("pg", storage=url, show_progress=False)
    assert again.complete and again.resumed_trials == 0
    check_campaign("pg", url, f"sqlite:///{workdir}/mlflow.db", {"anynetx_a": 2, "regnetx": 2}, capsys)

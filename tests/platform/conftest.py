"""Fixtures of the campaign-engine tests: one real local Ray shared by the session, a real PostgreSQL database
per run, campaign files in a temporary working directory. Helpers live in :mod:`tests.support.campaigns`."""

from __future__ import annotations

import pytest

from tests.support.services import PG_HOST, PG_PORT


@pytest.fixture(scope="session")
def ray_cluster():
    """A real local Ray (2 CPUs) for every engine test; yields its GCS address so subprocess drivers can join."""
    import ray

    from netspace.platform.campaign.scheduler import ensure_ray

    ensure_ray(None, num_cpus=2)
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """Run in a fresh directory, so the default ./netspace.db, ./mlflow.db and ./netspace_runs land there."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NETSPACE_STORAGE", raising=False)
    return tmp_path


@pytest.fixture
def pg_url(pg_databases):
    """A uniquely named PostgreSQL database (dropped at the end of the session)."""
    return f"postgresql+psycopg2://postgres@{PG_HOST}:{PG_PORT}/{pg_databases('netspace_test')}"

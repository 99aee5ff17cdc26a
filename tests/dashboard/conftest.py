"""A real SQLite Optuna storage populated per docs/contracts.md, shared by the dashboard tests."""

import pytest

from netspace.dashboard.demo import populate


@pytest.fixture(scope="session")
def demo_storage(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('dashboard') / 'campaigns.db'}"
    summary = populate(url, "demo", ("regnetx", "anynetx_a", "anynetx_e"), n=20, running=2, failed=1, rejected=1,
                       seed=11)
    populate(url, "second", ("regnety",), n=5, running=0, failed=0, seed=12)
    return url, summary

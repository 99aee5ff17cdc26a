"""Suite-wide settings: quiet, deterministic, CPU-friendly."""

import os

os.environ.setdefault("RAY_DEDUP_LOGS", "0")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")

import pytest


@pytest.fixture(autouse=True, scope="session")
def _torch_threads():
    import torch

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    yield


@pytest.fixture(autouse=True)
def _restore_main_module():
    """Streamlit's AppTest installs the dashboard script as ``sys.modules["__main__"]`` and leaves it there; a
    later test that starts processes with the ``spawn`` method (torch.multiprocessing) would then re-run the
    dashboard script in every child. Put the real ``__main__`` back after each test."""
    import sys

    main = sys.modules.get("__main__")
    yield
    if main is not None:
        sys.modules["__main__"] = main


from tests.support.services import PG_HOST, PG_PORT


@pytest.fixture(scope="session")
def pg_databases():
    """``make(prefix) -> name``: uniquely named databases on the local PostgreSQL (127.0.0.1:5432, trust auth),
    all dropped at the end of the session. Skips when the server is unreachable, except under CI=true."""
    admin = None
    made: list[str] = []

    def make(prefix: str) -> str:
        nonlocal admin
        import uuid

        import psycopg2

        if admin is None:
            try:
                admin = psycopg2.connect(host=PG_HOST, port=PG_PORT, user="postgres", dbname="postgres", connect_timeout=3)
            except Exception as exc:  # depends on the machine
                if os.environ.get("CI") == "true":
                    raise
                pytest.skip(f"PostgreSQL not reachable at {PG_HOST}:{PG_PORT}: {exc}")
            admin.autocommit = True
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return name

    yield make
    if admin is not None:
        with admin.cursor() as cur:
            for name in made:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

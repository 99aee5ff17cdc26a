"""Case: raw tracebacks instead of one line. Each check runs the real `netspace` command in a subprocess (or real
processes racing on one new SQLite file) and asserts a single ``error:`` line, passwords masked."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time

import pytest
import yaml

SECRET = "S3cr3t-pw"


def _netspace(*args, cwd, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "netspace", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def _one_error_line(proc: subprocess.CompletedProcess) -> str:
    text = (proc.stdout + proc.stderr).strip()
    assert proc.returncode == 2, text[-3000:]
    assert "Traceback" not in text and len(text.splitlines()) == 1, text[-3000:]
    assert text.startswith("error: ") and SECRET not in text
    return text


def _campaign(tmp_path, **extra) -> str:
    data = {"name": "errs", "spaces": [{"space": "anynetx_a", "samples": 1}], "dataset": {"name": "digits"},
            "training": {"epochs": 1, "max_train_images": 64}, **extra}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(data))
    return str(tmp_path / "c.yaml")


def _running_mlflow_runs(db) -> int:
    if not db.exists():
        return 0
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT COUNT(*) FROM runs WHERE status = 'RUNNING'").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()


def test_unwritable_output_dir_is_one_line_and_leaves_no_running_mlflow_run(tmp_path):
    (tmp_path / "afile").write_text("not a directory")
    path = _campaign(tmp_path, output_dir=str(tmp_path / "afile" / "runs"))
    line = _one_error_line(_netspace("run", path, "--quiet", cwd=tmp_path))
    assert "output_dir" in line and "not writable" in line
    assert _running_mlflow_runs(tmp_path / "mlflow.db") == 0


def test_unreachable_mlflow_database_is_one_line_quickly(tmp_path):
    uri = f"postgresql://postgres:{SECRET}@127.0.0.1:1/none"
    path = _campaign(tmp_path, mlflow={"tracking_uri": uri})
    line = _one_error_line(_netspace("run", path, "--quiet", cwd=tmp_path))
    assert line.startswith("error: MLflow tracking store: cannot reach storage") and "postgres:***@" in line


@pytest.mark.postgres
def test_postgresql_scheme_works_in_report_and_list_as_in_run(tmp_path, pg_databases):
    url = f"postgresql://postgres@127.0.0.1:5432/{pg_databases('netspace_scheme')}?password={SECRET}"
    import optuna

    from netspace.platform.storage.database import open_storage

    st = open_storage(url)  # what `netspace run` does with the URL (psycopg2 when psycopg is missing)
    study = optuna.create_study(storage=st, study_name="errs::anynetx_a")
    study.set_user_attr("campaign", "errs")
    st.engine.dispose()
    line = _one_error_line(_netspace("report", "other", "--storage", url, cwd=tmp_path))
    assert "no campaign 'other'" in line and "campaigns there: errs" in line and "password=***" in line
    listed = _netspace("list", "--storage", url, cwd=tmp_path)
    assert listed.returncode == 0 and "errs" in listed.stdout and SECRET not in listed.stdout + listed.stderr


_OPEN_AND_LEASE = """
import sys, time
from netspace.platform.campaign.lease import Lease
from netspace.platform.storage.database import create_engine, open_storage

url, start = sys.argv[1], float(sys.argv[2])
time.sleep(max(0.0, start - time.time()))  # all processes create the new file at the same moment
try:
    open_storage(url)
    lease = Lease(create_engine(url), "race")
    lease.acquire()
    print("leased", flush=True)
    time.sleep(max(0.0, start + 8 - time.time()))  # hold it while the others try
    lease.release()
except Exception as exc:
    print(f"{type(exc).__name__}: {exc}", flush=True)
"""


def test_new_sqlite_file_raced_by_several_drivers(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    start = time.time() + 6  # after every interpreter has imported netspace
    procs = [subprocess.Popen([sys.executable, "-c", _OPEN_AND_LEASE, url, str(start)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(not err.strip() for _, err in outs), [err for _, err in outs]
    results = sorted(out.strip() for out, _ in outs)
    assert results.count("leased") == 1, results
    for r in results:
        if r != "leased":
            assert r.startswith("CampaignError: campaign 'race' is already being run by pid"), results

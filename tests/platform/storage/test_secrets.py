"""Case: passwords given in storage / MLflow URLs (``user:pw@``, ``?password=``, tokens) leaked into errors,
`status`, the study attrs, the MLflow tag ``netspace.spec``, the report and the dashboard. One masker
(:func:`netspace.platform.storage.urls.mask_secrets`) is used on every output path; each path is checked here on a
real campaign in a real PostgreSQL database reached with ``?password=`` (which must still connect)."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pytest

from netspace.cli import main
from netspace.platform.storage.urls import mask_secrets
from tests.support.campaigns import PG_HOST, PG_PORT, campaign_dict, write_campaign

SECRET = "S3cr3t-pw"


@pytest.mark.parametrize("text, shown", [
    ("postgresql://u:p@ss/w@h/db", "postgresql://u:***@h/db"),
    ("postgresql://u:pw@h:5432/db", "postgresql://u:***@h:5432/db"),
    ("mysql://u:@h/db", "mysql://u:***@h/db"),
    ("postgresql://u@h/db?password=S3&sslmode=require", "postgresql://u@h/db?password=***&sslmode=require"),
    ("postgresql://h/db?sslmode=require&sslpassword=S3", "postgresql://h/db?sslmode=require&sslpassword=***"),
    ("http://mlflow:5000/api?x=1&token=S3", "http://mlflow:5000/api?x=1&token=***"),
    ("https://h/api?access_token=S3;b=2", "https://h/api?access_token=***;b=2"),
    ("connection failed: host=h user=u password=S3 dbname=d", "connection failed: host=h user=u password=*** dbname=d"),
    ("invalid dsn: password='my S3' host=h", "invalid dsn: password='***' host=h"),
    ('{"password": "S3", "x": 1}', '{"password": "***", "x": 1}'),
    ("{'client_secret': 'S3'}", "{'client_secret': '***'}"),
    ("Authorization: Bearer abcdefghijklmnopS3", "Authorization: Bearer ***"),
    ("x-api-key=S3,y", "x-api-key=***,y"),
    ("PGPASSWORD=S3 psql", "PGPASSWORD=*** psql"),
    ("sqlite:////tmp/netspace.db", "sqlite:////tmp/netspace.db"),
    ("postgresql://u:***@h/db?password=***", "postgresql://u:***@h/db?password=***"),
    (None, ""),
])
def test_mask_secrets_forms(text, shown):
    assert mask_secrets(text) == shown
    assert mask_secrets(mask_secrets(text)) == shown  # idempotent


def _texts(at) -> str:
    """Every text an AppTest run shows (sidebar included)."""
    out = []
    for kind in ("title", "header", "subheader", "caption", "markdown", "text", "code", "info", "error", "warning",
                 "success", "metric", "selectbox", "multiselect", "radio", "button"):
        for el in getattr(at, kind, []):
            for attr in ("value", "label", "body", "options"):
                out.append(str(getattr(el, attr, "")))
    for df in getattr(at, "dataframe", []):
        out.append(df.value.to_string())
    return "\n".join(out)


@pytest.mark.postgres
@pytest.mark.slow
def test_password_never_shown_or_stored_on_any_output_path(ray_cluster, workdir, pg_databases, capsys,
                                                           monkeypatch):
    db = pg_databases("netspace_secrets")
    url = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{db}?password={SECRET}"
    path = write_campaign(workdir / "c.yaml", campaign_dict("sec", spaces=("anynetx_a",), samples=1, epochs=1,
                                                           images=64, storage=url))
    # run: the URL with ?password= connects; nothing it prints holds the password
    assert main(["run", str(path), "--address", ray_cluster, "--quiet"]) == 0
    out = capsys.readouterr()
    assert SECRET not in out.out + out.err

    # status / list (text and JSON)
    for args in (["status", "sec"], ["status", "sec", "--json"], ["list"]):
        assert main([*args, "--storage", url]) == 0, args
        out = capsys.readouterr()
        assert "sec" in out.out and SECRET not in out.out + out.err, args

    # CLI errors: unknown campaign, unreachable server, a bad MLflow URI with a password
    assert main(["status", "nope", "--storage", url]) == 2
    err = capsys.readouterr().err
    assert "no campaign 'nope'" in err and "password=***" in err and SECRET not in err
    assert main(["status", "x", "--storage", f"postgresql://postgres:{SECRET}@127.0.0.1:1/x"]) == 2
    err = capsys.readouterr().err
    assert "cannot reach storage" in err and SECRET not in err and err.count("\n") == 1
    bad = write_campaign(workdir / "bad.yaml", campaign_dict(
        "bad", spaces=("anynetx_a",), samples=1, storage=url,
        mlflow={"tracking_uri": f"postgresql://postgres@127.0.0.1:1/none?password={SECRET}"}))
    assert main(["run", str(bad), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "MLflow tracking store" in err and SECRET not in err and err.count("\n") == 1

    # study user attrs: the stored spec (and every other attr) is masked
    from netspace.platform.storage.database import open_storage

    st = open_storage(url)
    study = optuna.load_study(study_name="sec::anynetx_a", storage=st)
    blob = json.dumps([study.user_attrs, [t.user_attrs for t in study.get_trials()]], default=str)
    assert SECRET not in blob and "password=***" in json.loads(study.user_attrs["spec"])["storage"]
    parent_id = study.user_attrs["mlflow_parent_run_id"]
    st.engine.dispose()

    # MLflow: the parent run's tag netspace.spec, and every tag and param of every run
    from mlflow import MlflowClient

    client = MlflowClient(f"sqlite:///{workdir / 'mlflow.db'}")
    parent = client.get_run(parent_id)
    assert "password=***" in parent.data.tags["netspace.spec"]
    runs = client.search_runs([parent.info.experiment_id], max_results=100)
    assert len(runs) >= 2
    assert SECRET not in json.dumps([[r.data.tags, r.data.params] for r in runs])

    # report: index.html, trials.csv and what it prints
    assert main(["report", "sec", "--storage", url, "--out", str(workdir / "rep")]) == 0
    out = capsys.readouterr()
    assert SECRET not in out.out + out.err
    for f in Path(workdir / "rep").rglob("*"):
        if f.suffix in (".html", ".csv", ".json", ".txt"):
            assert SECRET not in f.read_text(errors="replace"), f

    # resume with the stored (masked) spec: the real URL comes from --storage / $NETSPACE_STORAGE, as before
    monkeypatch.setenv("NETSPACE_STORAGE", url)
    assert main(["resume", "sec", "--quiet"]) == 0
    out = capsys.readouterr()
    assert SECRET not in out.out + out.err

    # the dashboard (real Streamlit script under AppTest): sidebar and page
    from streamlit.testing.v1 import AppTest

    import netspace.dashboard

    app = str(Path(netspace.dashboard.__file__).with_name("app.py"))
    at = AppTest.from_file(app, default_timeout=120).run()
    assert not at.exception
    shown = _texts(at) + "\n" + "\n".join(str(c.value) for c in at.sidebar.caption)
    assert "password=***" in shown and SECRET not in shown

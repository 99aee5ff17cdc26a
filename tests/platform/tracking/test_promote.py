"""Promotion to the MLflow model registry, against a campaign storage laid out per docs/contracts.md in a fresh
PostgreSQL database, a real MLflow (SQLite) store, and a network trained by the real worker."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from netspace.platform.storage.distributions import to_optuna

PG_HOST, PG_PORT = "127.0.0.1", 5432
CAMPAIGN = "promo"
SECRET = "s3cr3t-pw"  # trust auth accepts any password: used to prove it is never shown


@pytest.fixture(scope="module")
def pg_url(pg_databases):
    """A uniquely named PostgreSQL database (URL with a password that must never be shown)."""
    yield f"postgresql+psycopg2://postgres:{SECRET}@{PG_HOST}:{PG_PORT}/{pg_databases('netspace_promote')}"
    from netspace.platform.storage.database import dispose_shared

    dispose_shared()  # close pooled connections before the database is dropped


@pytest.fixture(scope="module")
def campaign(pg_url, tmp_path_factory):
    """Campaign 'promo' with spaces regnetx and vgg:
    regnetx:0 trained by run_trial (best), regnetx:1 finished without weights, vgg:0 untrained weights whose
    error is measured by evaluate_model, vgg:1 failed."""
    import optuna
    import torch

    from netspace.search_spaces import Geometry, Regime, get_space, sample_configs
    from netspace.workers import (
        DatasetSpec,
        TrainRecipe,
        dataset_info,
        evaluate_model,
        run_trial,
    )

    root = tmp_path_factory.mktemp("campaign")
    tracking = f"sqlite:///{root / 'mlflow.db'}"
    dataset = DatasetSpec(name="digits")
    info = dataset_info(dataset)
    storage = optuna.storages.RDBStorage(pg_url)
    spec = {"name": CAMPAIGN, "mlflow": {"tracking_uri": tracking, "artifact_location": str(root / "artifacts")},
            "storage": pg_url.replace(SECRET, "***")}

    def study_for(space):
        study = optuna.create_study(study_name=f"{CAMPAIGN}::{space}", storage=storage, direction="minimize")
        for k, v in {"campaign": CAMPAIGN, "space": space, "target": 2, "spec": json.dumps(spec)}.items():
            study.set_user_attr(k, v)
        return study

    def add(study, sample, value, attrs, state=optuna.trial.TrialState.COMPLETE):
        base = {"config": sample.config.to_dict(), "flops": sample.complexity.flops, "params": sample.complexity.params,
                "acts": sample.complexity.acts, "status": "completed", "dataset": {"name": "digits", "root": None}}
        base.update(attrs)
        study.add_trial(optuna.trial.create_trial(
            params=sample.params, distributions=to_optuna(sample.specs), value=value, user_attrs=base, state=state))

    regnet = get_space("regnetx")
    tiny = [s for s in sample_configs(regnet, 8, seed=0, regime=Regime.parse(":1.5M"), geometry=Geometry(32))
            if s.config.depth <= 6][0]
    result = run_trial("regnetx", tiny.config.to_dict(), dataset,
                       TrainRecipe(epochs=2, batch_size=32, lr=0.05, warmup_epochs=0, augment=False,
                                   max_train_images=512), checkpoint_dir=str(root / "regnetx-0"))
    rx = study_for("regnetx")
    add(rx, tiny, result.top1_err, {"weights_path": result.weights_path})
    add(rx, tiny, 99.0, {})  # finished, but no weights recorded

    vgg = get_space("vgg")
    vs = sample_configs(vgg, 1, seed=1, geometry=Geometry(32))[0]
    torch.manual_seed(0)
    net = vgg.build(vs.config, Geometry.of(info)).eval()
    vgg_err = evaluate_model(net, dataset)
    torch.save(net.state_dict(), root / "vgg-0.pt")
    vv = study_for("vgg")
    add(vv, vs, vgg_err, {"weights_path": str(root / "vgg-0.pt")})
    add(vv, vs, None, {"status": "failed"}, state=optuna.trial.TrialState.FAIL)
    storage.engine.dispose()
    assert result.top1_err < vgg_err < 99.0, (result.top1_err, vgg_err)
    return {"url": pg_url, "tracking": tracking, "err": result.top1_err, "vgg_err": vgg_err,
            "weights": result.weights_path, "root": root}


def _versions(tracking, name):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=tracking).search_model_versions(f"name = '{name}'")


@pytest.mark.postgres
@pytest.mark.slow
def test_promote_best_registers_loadable_model_and_is_idempotent(campaign, capsys):
    from netspace.cli import main
    from netspace.platform.tracking.promote import promote

    # tracking URI comes from the campaign spec; storage URL from the CLI
    assert main(["promote", CAMPAIGN, "--storage", campaign["url"]]) == 0
    out = capsys.readouterr()
    assert "regnetx#0" in out.out and "registered new version 1 of netspace-promo; @champion set on v1" in out.out, out
    assert SECRET not in out.out + out.err

    # the same trial again: no second version, alias still on v1
    again = promote(campaign["url"], CAMPAIGN)
    assert [(m.version, m.created, m.alias) for m in again] == [("1", False, "champion")]
    assert again[0].describe().endswith("already registered as version 1 of netspace-promo; @champion unchanged (v1)")
    versions = _versions(campaign["tracking"], "netspace-promo")
    assert len(versions) == 1
    tags = versions[0].tags
    assert tags["netspace.trial_key"] == "promo::regnetx:0"
    assert tags["netspace.campaign"] == CAMPAIGN and tags["netspace.space"] == "regnetx"
    assert json.loads(tags["netspace.config"])["depth"] <= 6
    assert abs(float(tags["netspace.top1_err"]) - campaign["err"]) < 1e-3
    assert list((campaign["root"] / "artifacts").rglob("MLmodel")), "artifacts go to the spec's artifact_location"

    # a fresh process loads the champion and reproduces the trial's recorded error
    code = (
        "import json, mlflow.pytorch, torch\n"
        "from netspace.workers import DatasetSpec, evaluate_model\n"
        "m = mlflow.pytorch.load_model('models:/netspace-promo@champion')\n"
        "print(json.dumps({'cls': type(m).__module__ + '.' + type(m).__name__,"
        " 'err': evaluate_model(m.eval(), DatasetSpec(name='digits'))}))\n"
    )
    env = {**os.environ, "MLFLOW_TRACKING_URI": campaign["tracking"]}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    assert loaded["cls"].startswith("netspace.search_spaces."), loaded
    assert loaded["err"] == pytest.approx(campaign["err"], abs=1e-9)

    # nothing logged to MLflow carries the storage password
    from mlflow import MlflowClient

    run = MlflowClient(tracking_uri=campaign["tracking"]).get_run(versions[0].run_id)
    blob = json.dumps([run.data.params, run.data.tags, dict(versions[0].tags)])
    assert SECRET not in blob
    assert run.data.params["space"] == "regnetx" and run.data.metrics["top1_err"] == pytest.approx(campaign["err"])


@pytest.mark.postgres
@pytest.mark.slow
def test_promote_top_k_explicit_trial_and_models_table(campaign, capsys):
    from netspace.cli import main
    from netspace.platform.tracking.promote import promote

    tracking = campaign["tracking"]
    top = promote(campaign["url"], CAMPAIGN, top_k=2, registered_name="promo-top", tracking_uri=tracking)
    assert [(m.space, m.trial_number, m.alias) for m in top] == [("regnetx", 0, "champion"), ("vgg", 0, None)]
    assert [m.version for m in top] == ["1", "2"] and all(m.created for m in top)

    picked = promote(campaign["url"], CAMPAIGN, trial_number="vgg:0", alias="candidate",
                     registered_name="promo-top", tracking_uri=tracking)
    assert [(m.version, m.created, m.alias) for m in picked] == [("2", False, "candidate")]
    picked = promote(campaign["url"], CAMPAIGN, trial_number=0, space="vgg", alias="challenger",
                     registered_name="promo-top", tracking_uri=tracking)
    assert picked[0].version == "2"
    assert len(_versions(tracking, "promo-top")) == 2

    capsys.readouterr()
    assert main(["models", "--tracking-uri", tracking, "--name", "promo-top"]) == 0
    table = capsys.readouterr().out
    rows = [line.split() for line in table.splitlines() if line.strip().startswith("promo-top")]
    assert len(rows) == 2, table
    assert rows[0][:3] == ["promo-top", "1", "champion"] and "regnetx#0" in rows[0], table
    assert rows[1][:2] == ["promo-top", "2"] and "candidate,challenger" in rows[1] and "vgg#0" in rows[1], table
    assert f"{campaign['err']:.2f}" in rows[0]


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.parametrize("args, message", [
    (["--trial", "0"], "trial 0 is ambiguous in campaign 'promo': use one of regnetx#0, vgg#0"),
    (["--trial", "regnetx:1"], "trial regnetx#1 of campaign 'promo' has no weights"),
    (["--trial", "regnetx:7"], "campaign 'promo' has no finished trial regnetx#7"),
    (["--trial", "vgg:1"], "campaign 'promo' has no finished trial vgg#1"),  # failed trial
    (["--space", "resnet"], "campaign 'promo' has no space 'resnet'"),
    (["--trial", "x:y"], "trial must be a number or 'space#number'"),
    (["--trial", "1", "--top", "2"], "give either a trial or --top, not both"),
])
def test_promote_errors_are_one_line(campaign, capsys, args, message):
    from netspace.cli import main

    capsys.readouterr()
    assert main(["promote", CAMPAIGN, "--storage", campaign["url"], *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err, err
    assert err.count("\n") == 1 and SECRET not in err


@pytest.mark.postgres
def test_unknown_campaign_and_storage_are_one_line_without_password(pg_url, tmp_path, capsys):
    from netspace.cli import main

    assert main(["promote", "nope", "--storage", pg_url]) == 2
    err = capsys.readouterr().err
    assert "no campaign 'nope'" in err and "postgres:***@" in err and SECRET not in err, err
    assert err.count("\n") == 1

    missing = f"sqlite:///{tmp_path / 'absent.db'}"
    assert main(["promote", "nope", "--storage", missing]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: storage ") and "does not exist" in err and err.count("\n") == 1, err
    assert not (tmp_path / "absent.db").exists()

    unreachable = f"postgresql+psycopg2://postgres:{SECRET}@127.0.0.1:1/none"
    assert main(["promote", "nope", "--storage", unreachable]) == 2
    err = capsys.readouterr().err
    assert "cannot reach storage" in err and SECRET not in err and err.count("\n") == 1, err


def test_models_defaults_to_the_embedded_tracking_store(monkeypatch, tmp_path, capsys):
    from netspace.cli import main

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)  # campaigns default to sqlite:///mlflow.db in the working directory
    assert main(["models"]) != 0  # a read-only command: no store yet, none created
    err = capsys.readouterr().err
    store = f"sqlite:///{os.path.realpath(tmp_path)}/mlflow.db"  # the default, made absolute as it is printed
    assert f"no MLflow store at {store}" in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "mlflow.db").exists()
    from mlflow import MlflowClient

    MlflowClient(tracking_uri="sqlite:///mlflow.db").search_experiments()  # what a campaign's first run creates
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert f"MLflow store: {store}" in out and "no registered models" in out


def test_mask_credentials_in_messages():
    from netspace.platform.storage.urls import mask_secrets

    text = "API request to http://alice:pw1@mlflow:5000/api failed; db postgresql://bob:pw2@pg/x"
    masked = mask_secrets(text)
    assert "pw1" not in masked and "pw2" not in masked
    assert "http://alice:***@mlflow:5000" in masked and "postgresql://bob:***@pg/x" in masked
    assert mask_secrets("postgresql://u:p@h/db") == "postgresql://u:***@h/db"


@pytest.mark.postgres
@pytest.mark.slow
def test_top_k_checks_every_trial_before_registering_any(campaign, capsys):
    from netspace.cli import main

    tracking = campaign["tracking"]
    capsys.readouterr()
    code = main(["promote", CAMPAIGN, "--storage", campaign["url"], "--top", "3", "--registered-name", "all-or-none",
                 "--tracking-uri", tracking])
    assert code == 2 and "trial regnetx#1 of campaign 'promo' has no weights" in capsys.readouterr().err
    assert main(["models", "--tracking-uri", tracking, "--name", "all-or-none"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "no registered models"


@pytest.mark.postgres
@pytest.mark.slow
def test_moving_the_alias_to_a_worse_model_needs_force(campaign, capsys):
    """Case: promote moved @champion to a worse network and said "registered version 1" when nothing was new."""
    from netspace.cli import main
    from netspace.platform.tracking.promote import PromotionError, promote

    tracking, name = campaign["tracking"], "promo-force"
    first = promote(campaign["url"], CAMPAIGN, registered_name=name, tracking_uri=tracking)
    assert first[0].describe().endswith("registered new version 1 of promo-force; @champion set on v1")
    with pytest.raises(PromotionError) as e:
        promote(campaign["url"], CAMPAIGN, trial_number="vgg:0", registered_name=name, tracking_uri=tracking)
    assert str(e.value) == (f"@champion is regnetx#0 v1 (top-1 error {campaign['err']:.2f}%); vgg#0 is worse "
                            f"({campaign['vgg_err']:.2f}%): pass --force to move it")
    assert len(_versions(tracking, name)) == 1, "nothing registered when refused"

    capsys.readouterr()
    base = ["promote", CAMPAIGN, "--storage", campaign["url"], "--registered-name", name, "--tracking-uri", tracking]
    assert main([*base, "--trial", "vgg:0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: @champion is regnetx#0") and err.count("\n") == 1 and SECRET not in err
    assert main([*base, "--trial", "vgg:0", "--force"]) == 0
    assert "vgg#0 (top-1 error" in (out := capsys.readouterr().out)
    assert "registered new version 2 of promo-force; @champion moved from v1 to v2" in out, out
    # back to the better one: no force needed, nothing new registered
    assert main(base) == 0
    assert "already registered as version 1 of promo-force; @champion moved from v2 to v1" in capsys.readouterr().out
    from mlflow import MlflowClient

    assert MlflowClient(tracking_uri=tracking).get_registered_model(name).aliases == {"champion": 1}


@pytest.mark.postgres
@pytest.mark.slow
def test_tracking_uri_precedence_flag_then_env_then_campaign(campaign, tmp_path, monkeypatch, capsys):
    """Case: promote wrote to the campaign's MLflow even when --tracking-uri / $MLFLOW_TRACKING_URI were given."""
    from netspace.cli import main

    env_store = f"sqlite:///{tmp_path / 'env.db'}"
    flag_store = f"sqlite:///{tmp_path / 'flag.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", env_store)
    assert main(["promote", CAMPAIGN, "--storage", campaign["url"], "--registered-name", "promo-env"]) == 0
    assert len(_versions(env_store, "promo-env")) == 1
    assert _versions(campaign["tracking"], "promo-env") == []
    assert main(["promote", CAMPAIGN, "--storage", campaign["url"], "--registered-name", "promo-flag",
                 "--tracking-uri", flag_store]) == 0
    assert len(_versions(flag_store, "promo-flag")) == 1 and _versions(env_store, "promo-flag") == []

"""Paths stored relative to the project directory (issue 19): what is stored, and how it reads back."""

from __future__ import annotations

import os
from pathlib import Path

from netspace.platform.campaign.spec import parse_campaign
from netspace.platform.storage.project import (
    load_dataset,
    load_path,
    load_sqlite_url,
    project_dir,
    store_path,
    store_sqlite_url,
)
from netspace.platform.storage.urls import resolve_tracking_uri


def test_project_dir_is_the_folder_of_the_sqlite_storage(tmp_path):
    assert project_dir(f"sqlite:///{tmp_path}/netspace.db") == tmp_path
    assert project_dir("postgresql://u:p@h/db") is None and project_dir("sqlite:///:memory:") is None


def test_paths_inside_and_outside_the_project(tmp_path):
    assert store_path(str(tmp_path / "runs" / "w.pt"), tmp_path) == "runs/w.pt"
    assert store_path(str(tmp_path / "runs"), tmp_path, absolute=True) == str(tmp_path / "runs")
    assert store_path(str(tmp_path / "runs"), None) == str(tmp_path / "runs")  # a server storage: absolute
    assert store_path("s3://bucket/x", tmp_path) == "s3://bucket/x"
    assert load_path("runs/w.pt", tmp_path / "copy") == str(tmp_path / "copy" / "runs" / "w.pt")
    assert load_path("/abs/w.pt", tmp_path) == "/abs/w.pt" and load_path(None, tmp_path) is None
    assert store_sqlite_url(f"sqlite:///{tmp_path}/mlflow.db", tmp_path) == "sqlite:///mlflow.db"
    assert load_sqlite_url("sqlite:///mlflow.db", Path("/p")) == "sqlite:////p/mlflow.db"
    assert load_sqlite_url("sqlite:////abs/mlflow.db", Path("/p")) == "sqlite:////abs/mlflow.db"
    assert load_dataset({"name": "cifar10", "root": "data"}, Path("/p")) == {"name": "cifar10", "root": "/p/data"}


def test_the_stored_spec_keeps_absolute_only_what_the_user_gave_absolute(tmp_path):
    given = parse_campaign({"name": "c", "spaces": [{"space": "regnetx", "samples": 1}],
                            "dataset": {"name": "cifar10", "root": "/datasets/cifar"},
                            "mlflow": {"tracking_uri": "sqlite:///mlflow.db", "artifact_location": "./mlartifacts"}})
    resolved = given.resolved(tmp_path)
    stored = resolved.stored(given, tmp_path)
    assert stored.output_dir == "netspace_runs/c"
    assert stored.mlflow.tracking_uri == "sqlite:///mlflow.db" and stored.mlflow.artifact_location == "mlartifacts"
    assert stored.dataset.root == "/datasets/cifar"
    moved = tmp_path / "moved"
    again = stored.resolved(moved)  # as `resume` reads it in a copied project
    assert again.output_dir == str(moved / "netspace_runs" / "c")
    assert again.mlflow.tracking_uri == f"sqlite:///{moved}/mlflow.db"
    assert resolved.stored(given, None).output_dir == str(tmp_path / "netspace_runs" / "c")


def test_one_mlflow_store_resolution(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert resolve_tracking_uri() == f"sqlite:///{tmp_path}/mlflow.db"
    assert resolve_tracking_uri(None, "sqlite:///mlflow.db", Path("/p")) == "sqlite:////p/mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow:5000")
    assert resolve_tracking_uri(None, "sqlite:///mlflow.db", Path("/p")) == "http://mlflow:5000"
    assert resolve_tracking_uri("sqlite:///x.db") == f"sqlite:///{os.path.realpath(tmp_path)}/x.db"

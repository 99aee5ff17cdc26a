"""Failing well, everything printed is safe: names from storage never reach Rich as markup nor the file system as
paths (issue 18, case 5 and the minor ones). A real SQLite Optuna storage holds a small campaign whose label
contains ``/`` and a foreign study named ``[/bold]::x``; the real `netspace` commands run against it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import optuna
import pytest

from netspace.platform.safetext import safe, safe_filename

ROOT = Path(__file__).resolve().parents[3]


def _netspace(*args, cwd):
    return subprocess.run([sys.executable, "-W", "default", "-m", "netspace", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})


def _populate(url: str) -> None:
    """Campaign ``lab`` with spaces ``a/b`` and ``plain`` (12 finished trials each, errors and FLOPs drawn with
    a fixed seed) and a foreign study ``[/bold]::x`` with one trial, in one real SQLite storage."""
    import numpy as np

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rng = np.random.default_rng(0)
    for label in ("a/b", "plain"):
        study = optuna.create_study(storage=url, study_name=f"lab::{label}")
        for k, v in {"campaign": "lab", "label": label, "space": "regnetx", "target": 12}.items():
            study.set_user_attr(k, v)
        for _ in range(12):
            d = int(rng.integers(6, 20))
            w0 = int(rng.integers(2, 10)) * 8
            t = optuna.trial.create_trial(
                params={"d": d, "w0": w0},
                distributions={"d": optuna.distributions.IntDistribution(1, 64),
                               "w0": optuna.distributions.IntDistribution(8, 256, step=8)},
                value=float(30 + rng.normal(0, 3) + d * 0.1),
                user_attrs={"flops": int(rng.integers(1e6, 4e6)), "params": 1000, "acts": 1000,
                            "status": "completed", "epochs_run": 1})
            study.add_trial(t)
    foreign = optuna.create_study(storage=url, study_name="[/bold]::x")
    foreign.enqueue_trial({"q": 1})
    foreign.add_trial(optuna.trial.create_trial(params={"q": 1.0}, value=1.0,
                                                distributions={"q": optuna.distributions.FloatDistribution(0, 2)}))


@pytest.fixture(scope="module")
def storage(tmp_path_factory):
    d = tmp_path_factory.mktemp("safe")
    url = f"sqlite:///{d / 'netspace.db'}"
    _populate(url)
    return d, url


def _clean(proc) -> str:
    text = proc.stdout + proc.stderr
    assert "Traceback" not in text and "MarkupError" not in text and "Warning" not in text, text[-3000:]
    return text


def test_list_shows_the_foreign_study_literally(storage):
    d, url = storage
    proc = _netspace("list", "--storage", url, cwd=d)
    text = _clean(proc)
    assert proc.returncode == 0 and "[/bold]" in text and "lab" in text and "a/b" in text


def test_status_of_markup_named_campaign_and_of_slash_label(storage):
    d, url = storage
    proc = _netspace("status", "[/bold]", "--storage", url, cwd=d)
    text = _clean(proc)
    assert proc.returncode == 0 and "campaign [/bold]" in text
    proc = _netspace("status", "lab", "--storage", url, cwd=d)
    text = _clean(proc)  # the pairwise comparisons run here: no scipy RuntimeWarning either
    assert proc.returncode == 0 and "a/b" in text


def test_refine_of_markup_named_campaign_is_one_line_or_a_table(storage):
    d, url = storage
    proc = _netspace("refine", "[/bold]", "--space", "x", "--storage", url, cwd=d)
    text = _clean(proc).strip()
    assert proc.returncode == 0 or (proc.returncode == 2 and len(text.splitlines()) == 1), text


def test_report_with_slash_label_and_unknown_space(storage, tmp_path):
    d, url = storage
    proc = _netspace("report", "lab", "--storage", url, "--out", str(tmp_path / "rep"), cwd=d)
    _clean(proc)
    assert proc.returncode == 0
    assert (tmp_path / "rep" / "trends_a_b.pdf").is_file()
    assert not (tmp_path / "rep" / "trends_a").exists()
    proc = _netspace("report", "lab", "--space", "bogus", "--storage", url, "--out", str(tmp_path / "r2"), cwd=d)
    text = _clean(proc).strip()
    assert proc.returncode == 2 and len(text.splitlines()) == 1
    assert "'bogus'" in text and "a/b" in text and "plain" in text


def test_safe_text_unit():
    assert safe("[/bold]::x") == "\\[/bold]::x"
    assert safe("[link=http://evil]x[/link]") == "\\[link=http://evil]x\\[/link]"
    assert safe("a\x1b[31mred\nb") == "a?[31mred b"
    assert safe_filename("../../etc/passwd") == "etc_passwd"
    assert safe_filename("a/b") == "a_b" and safe_filename("///") == "space"

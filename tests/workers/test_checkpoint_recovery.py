"""Case: a truncated ``checkpoint.pt`` made the trial fail twice (and the campaign draw a replacement). Now the
worker moves it aside, restarts the same trial from epoch 0 and says so; a finished trial keeps only
``weights.pt`` and ``result.json`` (no ``checkpoint.pt``: disk use no longer doubles)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

#: a trial killed (SIGKILL, a real process) after its first epoch; argv: checkpoint dir, "kill" or "run"
TRIAL = """
import json, os, signal, sys
from netspace.workers import DatasetSpec, TrainRecipe, run_trial
TINY = {"depths": [1, 1, 1, 1], "widths": [8, 8, 16, 16], "bottleneck_ratios": [1, 1, 1, 1],
        "group_widths": [8, 8, 16, 16]}
recipe = TrainRecipe(epochs=2, batch_size=64, lr=0.1, warmup_epochs=0, augment=False, max_train_images=128)
def kill(rep):
    if rep.epoch == 1:
        os.kill(os.getpid(), signal.SIGKILL)
res = run_trial("anynetx_a", TINY, DatasetSpec("digits"), recipe, seed=3, device="cpu", checkpoint_dir=sys.argv[1],
                report=kill if sys.argv[2] == "kill" else None)
print(json.dumps(res.to_dict()))
"""


def _trial(ckdir: Path, mode: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", TRIAL, str(ckdir), mode], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "OMP_NUM_THREADS": "1"})


def test_truncated_checkpoint_restarts_the_same_trial_from_epoch_0(tmp_path):
    ck = tmp_path / "trial-0"
    killed = _trial(ck, "kill")
    assert killed.returncode == -9 and (ck / "checkpoint.pt").is_file()
    raw = (ck / "checkpoint.pt").read_bytes()
    (ck / "checkpoint.pt").write_bytes(raw[: len(raw) // 3])  # a torn write of a crashing disk

    resumed = _trial(ck, "run")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    warning = [line for line in resumed.stderr.splitlines() if "unreadable" in line]
    assert len(warning) == 1 and "restarting this trial from epoch 0" in warning[0], resumed.stderr[-2000:]
    aside = list(ck.glob("checkpoint.pt.unreadable-*"))
    assert len(aside) == 1 and aside[0].stat().st_size == len(raw) // 3
    result = json.loads(resumed.stdout.strip().splitlines()[-1])
    assert result["status"] == "completed" and result["epochs_run"] == 2
    assert [h["epoch"] for h in result["history"]] == [1, 2]

    # finished: weights.pt and result.json stay, checkpoint.pt is gone (disk use no longer doubles)
    assert sorted(p.name for p in ck.iterdir() if p not in aside) == ["result.json", "weights.pt"]

    # the same trial from scratch gives the same error: a restart of that trial, not a different sample
    exec_globals: dict = {}
    exec(TRIAL.split("res = run_trial")[0], exec_globals)  # the same recipe and config, in this process
    from netspace.workers import DatasetSpec, run_trial

    fresh = run_trial("anynetx_a", exec_globals["TINY"], DatasetSpec("digits"), exec_globals["recipe"], seed=3,
                      device="cpu", checkpoint_dir=tmp_path / "fresh")
    assert fresh.top1_err == result["top1_err"]
    # a checkpoint left by a crash between writing result.json and deleting it goes at the next call
    (tmp_path / "fresh" / "checkpoint.pt").write_bytes(b"stale")
    again = run_trial("anynetx_a", exec_globals["TINY"], DatasetSpec("digits"), exec_globals["recipe"], seed=3,
                      device="cpu", checkpoint_dir=tmp_path / "fresh")
    assert again == fresh and not (tmp_path / "fresh" / "checkpoint.pt").exists()

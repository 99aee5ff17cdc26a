"""Case: a crafted CIFAR batch must not run code. The loader's restricted unpickler admits only arrays and lists."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

from netspace.errors import DatasetError
from netspace.workers.datasets import DatasetSpec, load_dataset
from tests.support.worker_fixtures import write_cifar


class _Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_genuine_batches_load_with_any_protocol(tmp_path, protocol):
    folder = write_cifar(tmp_path)
    for f in folder.iterdir():
        obj = pickle.loads(f.read_bytes())
        f.write_bytes(pickle.dumps(obj, protocol=protocol))
    data = load_dataset(DatasetSpec("cifar10", str(tmp_path)))
    assert data.info.train_size == 30 and data.train_x.dtype.is_floating_point is False


def test_crafted_batch_is_refused_and_runs_nothing(tmp_path):
    folder = write_cifar(tmp_path)
    marker = tmp_path / "pwned"
    payload = {b"data": np.zeros((6, 3072), np.uint8), b"labels": [0] * 6, b"x": _Exploit(marker)}
    (folder / "data_batch_1").write_bytes(pickle.dumps(payload, protocol=2))
    # a real, separate process loads the dataset as a worker would
    code = ("from netspace.workers.datasets import DatasetSpec, load_dataset\n"
            f"load_dataset(DatasetSpec('cifar10', {str(tmp_path)!r}))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "global posix.system is not allowed" in proc.stderr or "global os.system" in proc.stderr
    assert not marker.exists()
    with pytest.raises(DatasetError) as e:
        load_dataset(DatasetSpec("cifar10", str(tmp_path)))
    assert "refused: global" in str(e.value) and "\n" not in str(e.value)
    assert not marker.exists()


def test_builtins_eval_is_refused(tmp_path):
    folder = write_cifar(tmp_path)
    marker = tmp_path / "pwned2"
    # hand-written protocol-0 pickle calling builtins.eval
    evil = f"cbuiltins\neval\n(V__import__('pathlib').Path({str(marker)!r}).touch()\ntR.".encode()
    (folder / "test_batch").write_bytes(evil)
    with pytest.raises(DatasetError, match="builtins.eval is not allowed"):
        load_dataset(DatasetSpec("cifar10", str(tmp_path)))
    assert not marker.exists()

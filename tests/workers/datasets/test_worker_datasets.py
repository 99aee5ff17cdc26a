"""The real loaders read on-disk fixtures in each standard format; bad paths fail with one-line errors."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from netspace.errors import DatasetError
from netspace.workers import DatasetSpec, dataset_info, load_dataset
from tests.support.worker_fixtures import write_cifar, write_fashion_mnist, write_folder


def one_line(exc_info) -> str:
    msg = str(exc_info.value)
    assert "\n" not in msg
    return msg


def test_digits_is_embedded_32px_one_channel_stratified():
    data = load_dataset(DatasetSpec("digits"))
    info = data.info
    assert (info.in_channels, info.num_classes, info.resolution) == (1, 10, 32)
    assert (info.train_size, info.test_size) == (1347, 450) == (len(data.train_y), len(data.test_y))
    assert data.train_x.dtype == torch.uint8 and data.train_x.shape == (1347, 1, 32, 32)
    assert info.hflip is False
    counts = torch.bincount(data.test_y, minlength=10)
    assert counts.min() >= 43 and counts.max() <= 47  # stratified: ~45 per class
    assert dataset_info("digits") == info
    assert 0.2 < data.mean[0] < 0.4 and 0.2 < data.std[0] < 0.5
    again = load_dataset(DatasetSpec("digits"))
    assert again is data  # cached per process


def test_cifar10_reads_python_pickles(tmp_path):
    folder = write_cifar(tmp_path)
    data = load_dataset(DatasetSpec("cifar10", str(tmp_path)))
    assert data.train_x.shape == (30, 3, 32, 32) and data.test_x.shape == (5, 3, 32, 32)
    raw = pickle.loads((folder / "data_batch_1").read_bytes(), encoding="bytes")
    assert np.array_equal(data.train_x[0].numpy().reshape(-1), raw[b"data"][0])  # channel-major rows
    assert data.train_y[:6].tolist() == raw[b"labels"]
    assert data.info.num_classes == 10 and data.info.in_channels == 3
    # the folder itself is accepted as root too
    assert load_dataset(DatasetSpec("cifar10", str(folder))).info.train_size == 30


def test_cifar100_fine_labels(tmp_path):
    folder = write_cifar(tmp_path, hundred=True)
    data = load_dataset(DatasetSpec("cifar100", str(tmp_path)))
    raw = pickle.loads((folder / "test").read_bytes(), encoding="bytes")
    assert data.test_y.tolist() == raw[b"fine_labels"]
    assert data.info.num_classes == 100 and data.info.train_size == 30


def test_data_root_from_environment(tmp_path, monkeypatch):
    write_cifar(tmp_path)
    monkeypatch.setenv("NETSPACE_DATA", str(tmp_path))
    assert dataset_info(DatasetSpec("cifar10")).train_size == 30


@pytest.mark.parametrize("compress", [True, False])
def test_fashion_mnist_idx_files(tmp_path, compress):
    arrays = write_fashion_mnist(tmp_path / "fashion_mnist", compress=compress)
    data = load_dataset(DatasetSpec("fashion_mnist", str(tmp_path)))
    assert data.train_x.shape == (12, 1, 28, 28) and data.test_x.shape == (4, 1, 28, 28)
    assert np.array_equal(data.train_x[:, 0].numpy(), arrays["train-images-idx3-ubyte"])
    assert data.test_y.tolist() == arrays["t10k-labels-idx1-ubyte"].tolist()
    assert data.info.resolution == 28 and data.info.num_classes == 10


def test_folder_of_class_folders(tmp_path):
    write_folder(tmp_path)
    info = dataset_info(DatasetSpec("folder", str(tmp_path)))
    assert (info.in_channels, info.num_classes, info.resolution, info.train_size, info.test_size) == (3, 3, 10, 9, 6)
    assert info.classes == ("cat", "dog", "fish")
    data = load_dataset(DatasetSpec("folder", str(tmp_path)))
    assert data.train_x.shape == (9, 3, 10, 10) and data.train_y.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert int(data.train_x[3, 0, 5, 5]) == 40  # red channel encodes the class
    resized = load_dataset(DatasetSpec("folder", str(tmp_path), resolution=8))
    assert resized.train_x.shape == (9, 3, 8, 8)


@pytest.mark.parametrize("name", ["cifar10", "cifar100", "fashion_mnist", "folder"])
def test_missing_path_is_one_line(tmp_path, name):
    missing = tmp_path / "nowhere"
    with pytest.raises(DatasetError) as e:
        dataset_info(DatasetSpec(name, str(missing)))
    assert str(missing) in one_line(e) and "expected" in str(e.value)


def test_no_path_names_the_environment_variable(monkeypatch):
    monkeypatch.delenv("NETSPACE_DATA", raising=False)
    with pytest.raises(DatasetError) as e:
        load_dataset(DatasetSpec("cifar10"))
    assert "NETSPACE_DATA" in one_line(e)


def test_cifar_missing_batch_names_file_and_layout(tmp_path):
    folder = write_cifar(tmp_path)
    (folder / "data_batch_3").unlink()
    with pytest.raises(DatasetError) as e:
        load_dataset(DatasetSpec("cifar10", str(tmp_path)))
    assert one_line(e) == (f"cifar10: {folder / 'data_batch_3'} not found; expected the CIFAR-10 python version "
                           f"(cifar-10-batches-py/) under {tmp_path}")


def test_cifar_malformed_batch(tmp_path):
    folder = write_cifar(tmp_path)
    (folder / "test_batch").write_bytes(b"this is not a pickle")
    with pytest.raises(DatasetError) as e:
        load_dataset(DatasetSpec("cifar10", str(tmp_path)))
    assert str(folder / "test_batch") in one_line(e) and "not a CIFAR-10 python batch" in str(e.value)


def test_fashion_mnist_bad_magic_and_missing_file(tmp_path):
    write_fashion_mnist(tmp_path, compress=False)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x03" + b"\x00" * 8)
    with pytest.raises(DatasetError) as e:
        load_dataset(DatasetSpec("fashion_mnist", str(tmp_path)))
    assert "t10k-labels-idx1-ubyte" in one_line(e) and "magic" in str(e.value)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DatasetError) as e:
        load_dataset(DatasetSpec("fashion_mnist", str(tmp_path)))
    assert "t10k-labels-idx1-ubyte" in one_line(e) and "not found" in str(e.value)


def test_folder_without_val_or_with_unknown_class(tmp_path):
    write_folder(tmp_path)
    (tmp_path / "val" / "bird").mkdir()
    with pytest.raises(DatasetError) as e:
        dataset_info(DatasetSpec("folder", str(tmp_path)))
    assert "bird" in one_line(e)
    (tmp_path / "val").rename(tmp_path / "elsewhere")
    with pytest.raises(DatasetError) as e:
        dataset_info(DatasetSpec("folder", str(tmp_path)))
    assert str(tmp_path / "val") in one_line(e)


def test_unknown_dataset():
    with pytest.raises(DatasetError) as e:
        dataset_info(DatasetSpec("mnist"))
    assert "unknown dataset 'mnist'" in one_line(e) and "digits" in str(e.value)


def test_digits_split_and_data_equal_scikit_learns():
    """The stored test mask is scikit-learn's stratified split (random_state=0), and the CSV read without
    scikit-learn holds exactly the images and labels of ``load_digits()``."""
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    from netspace.workers.datasets import digits

    bunch = load_digits()
    pixels, target = digits.raw_digits()
    assert np.array_equal(pixels, bunch.images) and np.array_equal(target, bunch.target)
    idx = np.arange(len(bunch.target))
    _, test_idx = train_test_split(idx, test_size=digits.TEST_FRACTION, stratify=bunch.target,
                                   random_state=digits.SPLIT_SEED)
    mask = digits.test_mask()
    assert sorted(np.flatnonzero(mask)) == sorted(test_idx)
    assert mask.sum() == digits.TEST_SIZE and (~mask).sum() == digits.TRAIN_SIZE


def test_loading_digits_does_not_import_scikit_learn():
    import subprocess
    import sys

    code = ("import sys; from netspace.workers.datasets import DatasetSpec, load_dataset; "
            "d = load_dataset(DatasetSpec('digits')); print(len(d.train_y), len(d.test_y), 'sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["1347", "450", "False"]

"""Builders of tiny on-disk datasets in their standard formats, written with pickle / struct / PIL."""

from __future__ import annotations

import gzip
import pickle
import struct
from pathlib import Path

import numpy as np


def write_cifar(root: Path, n_train_per_batch: int = 6, n_test: int = 5, hundred: bool = False, seed: int = 0) -> Path:
    """CIFAR-10 (5 data batches + test batch) or CIFAR-100 (train, test) pickles with bytes keys, like the originals."""
    rng = np.random.default_rng(seed)
    key = b"fine_labels" if hundred else b"labels"
    classes = 100 if hundred else 10

    def batch(n):
        return {b"batch_label": b"fixture", key: rng.integers(0, classes, n).tolist(),
                b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8), b"filenames": [b"x.png"] * n}

    folder = root / ("cifar-100-python" if hundred else "cifar-10-batches-py")
    folder.mkdir(parents=True)
    names = ["train"] if hundred else [f"data_batch_{i}" for i in range(1, 6)]
    for name in names:
        (folder / name).write_bytes(pickle.dumps(batch(n_train_per_batch * (5 if hundred else 1)), protocol=2))
    (folder / ("test" if hundred else "test_batch")).write_bytes(pickle.dumps(batch(n_test), protocol=2))
    return folder


def write_idx(path: Path, array: np.ndarray, compress: bool) -> None:
    magic = 0x0800 | array.ndim
    raw = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.astype(np.uint8).tobytes()
    if compress:
        with gzip.open(str(path) + ".gz", "wb") as f:
            f.write(raw)
    else:
        path.write_bytes(raw)


def write_fashion_mnist(folder: Path, n_train: int = 12, n_test: int = 4, compress: bool = True, seed: int = 0):
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    data = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28)),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28)),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test),
    }
    for name, arr in data.items():
        write_idx(folder / name, arr, compress)
    return data


def write_folder(root: Path, classes=("cat", "dog", "fish"), per_class=(3, 2), size=(12, 10)) -> None:
    """root/train/<class>/i.png and root/val/<class>/i.jpg, each image a flat colour that encodes its class."""
    from PIL import Image

    for split, n, ext in (("train", per_class[0], "png"), ("val", per_class[1], "jpg")):
        for ci, c in enumerate(classes):
            d = root / split / c
            d.mkdir(parents=True)
            for i in range(n):
                Image.new("RGB", size, (40 * ci, 100, 10 * i)).save(d / f"{i}.{ext}")

"""Downsampled ImageNet (Chrabaszcz, Loshchilov & Hutter 2017), the npz version, held in memory like CIFAR:

    ROOT/Imagenet32_train_npz/train_data_batch_1.npz … train_data_batch_10.npz
    ROOT/Imagenet32_val_npz/val_data.npz            (likewise Imagenet16_*, Imagenet64_*)

Each npz holds ``data`` (N × 3·R·R uint8, channel-major) and ``labels`` (1…1000). ROOT may also hold the npz files
directly (both folders' contents side by side). Read with ``allow_pickle=False``: a crafted file cannot run code.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from netspace.errors import DatasetError
from netspace.workers.datasets.base import DatasetInfo, DatasetSpec, ImageData, data_root, make_image_data

NUM_CLASSES = 1000
TRAIN_BATCHES = 10


def _expected(res: int) -> str:
    return (f"the downsampled ImageNet npz files (Imagenet{res}_train_npz/train_data_batch_1..{TRAIN_BATCHES}.npz, "
            f"Imagenet{res}_val_npz/val_data.npz)")


def _files(spec: DatasetSpec, res: int) -> tuple[list[Path], Path]:
    root = data_root(spec, _expected(res))
    train_dir = next((d for d in (root / f"Imagenet{res}_train_npz", root / f"Imagenet{res}_train", root)
                      if (d / "train_data_batch_1.npz").is_file()), None)
    val_dir = next((d for d in (root / f"Imagenet{res}_val_npz", root / f"Imagenet{res}_val", root)
                    if (d / "val_data.npz").is_file()), None)
    if train_dir is None or val_dir is None:
        missing = "train_data_batch_1.npz" if train_dir is None else "val_data.npz"
        raise DatasetError(f"{spec.name}: {missing} not found under {root}; expected {_expected(res)}")
    train = sorted(train_dir.glob("train_data_batch_*.npz"), key=lambda p: int(p.stem.rsplit("_", 1)[1]))
    return train, val_dir / "val_data.npz"


def _read(spec: DatasetSpec, path: Path, res: int) -> tuple[np.ndarray, np.ndarray]:
    bad = f"{spec.name}: {path} is not a {res}×{res} downsampled-ImageNet npz batch"
    try:
        with np.load(path, allow_pickle=False) as z:
            data, labels = z["data"], np.asarray(z["labels"], dtype=np.int64)
    except (OSError, ValueError, KeyError) as exc:
        raise DatasetError(f"{bad} ({type(exc).__name__})") from None
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * res * res or len(labels) != len(data):
        raise DatasetError(f"{bad} (data {data.dtype} {data.shape}, {len(labels)} labels)")
    if len(labels) and (labels.min() < 1 or labels.max() > NUM_CLASSES):
        raise DatasetError(f"{bad} (labels outside 1..{NUM_CLASSES})")
    return data.reshape(-1, 3, res, res), labels - 1


def _load(spec: DatasetSpec, res: int) -> ImageData:
    train, val = _files(spec, res)
    parts = [_read(spec, p, res) for p in train]  # one batch at a time into a preallocated array: no 2× peak
    tx = np.empty((sum(len(y) for _, y in parts), 3, res, res), dtype=np.uint8)
    i = 0
    for x, _ in parts:
        tx[i:i + len(x)] = x
        i += len(x)
    ty = np.concatenate([y for _, y in parts])
    del parts
    vx, vy = _read(spec, val, res)
    return make_image_data(tx, ty, vx, vy, NUM_CLASSES, hflip=True)


def _info(spec: DatasetSpec, res: int) -> DatasetInfo:
    train, val = _files(spec, res)

    def count(p: Path) -> int:
        try:
            with np.load(p, allow_pickle=False) as z:
                return len(z["labels"])
        except (OSError, ValueError, KeyError) as exc:
            raise DatasetError(f"{spec.name}: {p} is not a downsampled-ImageNet npz batch ({type(exc).__name__})") from None

    return DatasetInfo(3, NUM_CLASSES, res, sum(count(p) for p in train), count(val), hflip=True)


def loaders(res: int):
    return (lambda spec: _load(spec, res)), (lambda spec: _info(spec, res))

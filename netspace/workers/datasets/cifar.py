"""CIFAR-10 and CIFAR-100 from their standard "python version" on disk:

    ROOT/cifar-10-batches-py/data_batch_1 … data_batch_5, test_batch
    ROOT/cifar-100-python/train, test          (fine labels, 100 classes)

Each file is a pickle of a dict with ``data`` (N × 3072 uint8, channel-major 32×32) and ``labels`` /
``fine_labels``. ROOT may also be the ``cifar-10-batches-py`` / ``cifar-100-python`` directory itself.
The pickles are read with :class:`RestrictedUnpickler`: only plain containers, bytes, numbers and numpy arrays
are admitted, so a crafted batch file cannot run code (any other global is refused with a one-line error).
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from netspace.errors import DatasetError
from netspace.workers.datasets.base import DatasetSpec, ImageData, data_root, make_image_data


@dataclass(frozen=True)
class CifarLayout:
    title: str
    folder: str
    train_files: tuple[str, ...]
    test_files: tuple[str, ...]
    label_key: str
    num_classes: int

    @property
    def expected(self) -> str:
        return f"the {self.title} python version ({self.folder}/)"


CIFAR10 = CifarLayout("CIFAR-10", "cifar-10-batches-py", tuple(f"data_batch_{i}" for i in range(1, 6)), ("test_batch",),
                      "labels", 10)
CIFAR100 = CifarLayout("CIFAR-100", "cifar-100-python", ("train",), ("test",), "fine_labels", 100)


def _folder(spec: DatasetSpec, layout: CifarLayout) -> tuple[Path, Path]:
    root = data_root(spec, layout.expected)
    folder = root if root.name == layout.folder or (root / layout.train_files[0]).exists() else root / layout.folder
    for name in layout.train_files + layout.test_files:
        if not (folder / name).is_file():
            raise DatasetError(f"{spec.name}: {folder / name} not found; expected {layout.expected} under {root}")
    return root, folder


#: the only globals a CIFAR batch needs: numpy array reconstruction (numpy 1.x and 2.x module names) and the
#: ``_codecs.encode`` protocol-2 pickles use for bytes
ALLOWED_GLOBALS = frozenset({
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"),
})


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that admits only :data:`ALLOWED_GLOBALS` (arrays, dtypes) besides dicts, lists, bytes, str
    and numbers; anything else (``os.system``, ``builtins.eval``, ...) raises :class:`pickle.UnpicklingError`."""

    def find_class(self, module: str, name: str):
        if (module, name) in ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in a CIFAR batch")


def restricted_load(f) -> object:
    return RestrictedUnpickler(f, encoding="bytes").load()


def _read_batch(spec: DatasetSpec, layout: CifarLayout, path: Path, root: Path) -> tuple[np.ndarray, np.ndarray]:
    bad = f"{spec.name}: {path} is not a {layout.title} python batch"
    try:
        with open(path, "rb") as f:
            raw = restricted_load(f)
    except pickle.UnpicklingError as exc:
        raise DatasetError(f"{bad} (refused: {exc}); expected {layout.expected} under {root}") from None
    except Exception as exc:  # unpickling garbage raises many kinds of errors
        raise DatasetError(f"{bad} ({type(exc).__name__}); expected {layout.expected} under {root}") from None
    if not isinstance(raw, dict):
        raise DatasetError(f"{bad} (holds a {type(raw).__name__}, not a dict); expected {layout.expected} under {root}")
    d = {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in raw.items()}
    if "data" not in d or layout.label_key not in d:
        raise DatasetError(f"{bad} (no 'data' / '{layout.label_key}' entries); expected {layout.expected} under {root}")
    data = np.asarray(d["data"])
    labels = np.asarray(d[layout.label_key], dtype=np.int64)
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
        raise DatasetError(f"{bad} (data {data.dtype} {data.shape}, {len(labels)} labels; expected uint8 N×3072 "
                           f"and N labels)")
    if len(labels) and (labels.min() < 0 or labels.max() >= layout.num_classes):
        raise DatasetError(f"{bad} (labels outside 0..{layout.num_classes - 1})")
    return data.reshape(-1, 3, 32, 32), labels


def _load(spec: DatasetSpec, layout: CifarLayout) -> ImageData:
    root, folder = _folder(spec, layout)

    def read(names):
        parts = [_read_batch(spec, layout, folder / n, root) for n in names]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    (tx, ty), (vx, vy) = read(layout.train_files), read(layout.test_files)
    return make_image_data(tx, ty, vx, vy, layout.num_classes, hflip=True)


def load_cifar10(spec: DatasetSpec) -> ImageData:
    return _load(spec, CIFAR10)


def load_cifar100(spec: DatasetSpec) -> ImageData:
    return _load(spec, CIFAR100)

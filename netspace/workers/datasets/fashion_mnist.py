"""Fashion-MNIST from its standard idx-ubyte files (gzipped or not):

    ROOT/train-images-idx3-ubyte[.gz]  ROOT/train-labels-idx1-ubyte[.gz]
    ROOT/t10k-images-idx3-ubyte[.gz]   ROOT/t10k-labels-idx1-ubyte[.gz]

looked for in ROOT, ROOT/fashion_mnist, ROOT/fashion-mnist and ROOT/FashionMNIST/raw (torchvision's layout).
28×28, one channel, 10 classes; horizontal flips are used (clothing is roughly mirror-symmetric).
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

from netspace.errors import DatasetError
from netspace.workers.datasets.base import DatasetSpec, ImageData, data_root, make_image_data

EXPECTED = "the Fashion-MNIST idx-ubyte files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-…)"
FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
SUBDIRS = ("", "fashion_mnist", "fashion-mnist", "FashionMNIST/raw")
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
IMAGES_MAGIC, LABELS_MAGIC = 0x0803, 0x0801


def _find(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def locate(spec: DatasetSpec) -> tuple[Path, list[Path]]:
    """The folder holding the four files and their paths; a one-line error naming the first missing file."""
    root = data_root(spec, EXPECTED)
    for sub in SUBDIRS:
        folder = root / sub if sub else root
        if _find(folder, FILES[0]) is not None:
            paths = []
            for name in FILES:
                p = _find(folder, name)
                if p is None:
                    raise DatasetError(f"{spec.name}: {folder / name}[.gz] not found; expected {EXPECTED} in {folder}")
                paths.append(p)
            return folder, paths
    raise DatasetError(f"{spec.name}: {root / FILES[0]}[.gz] not found; expected {EXPECTED} in {root} "
                       f"(or its fashion_mnist/, FashionMNIST/raw/ subfolder)")


def read_idx(spec: DatasetSpec, path: Path, magic: int) -> np.ndarray:
    """An idx-ubyte array (images N×H×W or labels N), checking magic number and size."""
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as exc:
        raise DatasetError(f"{spec.name}: cannot read {path} ({exc}); expected an idx-ubyte file") from None
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(raw) < header or struct.unpack(">I", raw[:4])[0] != magic:
        raise DatasetError(f"{spec.name}: {path} is not an idx{ndim}-ubyte file (bad magic number); expected {EXPECTED}")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    count = int(np.prod(dims))
    if len(raw) - header != count:
        raise DatasetError(f"{spec.name}: {path} holds {len(raw) - header} bytes of data, its header says {count}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def load(spec: DatasetSpec) -> ImageData:
    _, (tx_p, ty_p, vx_p, vy_p) = locate(spec)
    tx, ty = read_idx(spec, tx_p, IMAGES_MAGIC), read_idx(spec, ty_p, LABELS_MAGIC)
    vx, vy = read_idx(spec, vx_p, IMAGES_MAGIC), read_idx(spec, vy_p, LABELS_MAGIC)
    for x, y, px in ((tx, ty, tx_p), (vx, vy, vx_p)):
        if len(x) != len(y):
            raise DatasetError(f"{spec.name}: {px} holds {len(x)} images but its labels file {len(y)} labels")
        if len(y) and y.max() >= len(CLASSES):
            raise DatasetError(f"{spec.name}: labels beside {px} go up to {y.max()}; expected 0..9")
    if tx.shape[1:] != vx.shape[1:]:
        raise DatasetError(f"{spec.name}: train images are {tx.shape[1:]} but test images {vx.shape[1:]}")
    return make_image_data(tx[:, None].copy(), ty.astype(np.int64), vx[:, None].copy(), vy.astype(np.int64),
                           len(CLASSES), hflip=True, classes=CLASSES)

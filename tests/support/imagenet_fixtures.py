"""Small ImageNet-style JPEG datasets generated with Pillow for the streaming tests."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

SIZES = ((40, 30), (64, 48), (33, 57), (80, 80), (120, 90))


def jpeg_bytes(w: int, h: int, rng: np.random.Generator, noise: int = 40, quality: int = 85) -> bytes:
    """A JPEG of a colour gradient plus noise (``noise`` 255: incompressible, for byte-heavy tests)."""
    x = np.linspace(0, 200, w)[None, :, None] + np.linspace(0, 55, h)[:, None, None] + rng.integers(0, 3, (1, 1, 3)) * 20
    a = (x + rng.integers(0, noise + 1, (h, w, 3))).clip(0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def make_imagenet(root: Path, classes: int = 3, train_per_class: int = 20, val_per_class: int = 4, seed: int = 0,
                  flat_val: bool = False, sizes=SIZES, noise: int = 40) -> Path:
    """``root/train/nXXXXXXXX/*.JPEG`` and ``root/val/...`` (class folders, or flat + a devkit ground truth)."""
    rng = np.random.default_rng(seed)
    wnids = [f"n{1000000 + 17 * i:08d}" for i in range(classes)]
    k = 0
    for c in wnids:
        d = root / "train" / c
        d.mkdir(parents=True)
        for j in range(train_per_class):
            w, h = sizes[k % len(sizes)]
            k += 1
            (d / f"{c}_{j}.JPEG").write_bytes(jpeg_bytes(w, h, rng, noise))
    val = root / "val"
    val.mkdir()
    ids = []
    n = 0
    for ci, c in enumerate(wnids):
        for _ in range(val_per_class):
            w, h = sizes[k % len(sizes)]
            k += 1
            n += 1
            if flat_val:
                (val / f"ILSVRC2012_val_{n:08d}.JPEG").write_bytes(jpeg_bytes(w, h, rng, noise))
                ids.append(ci + 1)
            else:
                (val / c).mkdir(exist_ok=True)
                (val / c / f"v{n}.JPEG").write_bytes(jpeg_bytes(w, h, rng, noise))
    if flat_val:  # the devkit: ILSVRC2012 IDs in file-name order, meta.mat mapping IDs to wnids (here reversed)
        devkit = root / "ILSVRC2012_devkit_t12" / "data"
        devkit.mkdir(parents=True)
        (devkit / "ILSVRC2012_validation_ground_truth.txt").write_text("".join(f"{classes + 1 - i}\n" for i in ids))
        from scipy.io import savemat

        synsets = np.zeros(classes, dtype=[("ILSVRC2012_ID", "O"), ("WNID", "O")])
        for i, c in enumerate(wnids):
            synsets[i] = (classes - i, c)
        savemat(str(devkit / "meta.mat"), {"synsets": synsets})
    return root

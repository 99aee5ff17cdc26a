"""The embedded default dataset ``digits``: scikit-learn's bundled 8×8 handwritten digits (1,797 real images,
shipped inside scikit-learn, nothing downloaded), upscaled bilinearly to 32×32, one channel.

The split is fixed and stratified: 75 % train (1,347 images), 25 % test (450): scikit-learn's
``train_test_split(test_size=0.25, stratify=labels, random_state=0)``, stored here as a bit mask so that a worker
reads the bundled CSV without importing scikit-learn (about a second of every trial worker's start-up);
``tests/workers/datasets`` checks that the mask still equals that split and the data ``load_digits()``.
Pixel values 0..16 are scaled to 0..255 and stored as uint8 like every other dataset. No horizontal flips
(digits are not mirror-symmetric), and random crops pad by 2 px
(half an original pixel: the digits fill their frame, so 4 px would cut strokes off).
"""

from __future__ import annotations

import os
from importlib.util import find_spec

import numpy as np
import torch
import torch.nn.functional as F

from netspace.errors import DatasetError
from netspace.workers.datasets.base import DatasetInfo, DatasetSpec, ImageData, make_image_data

RESOLUTION = 32
TEST_FRACTION = 0.25
SPLIT_SEED = 0
TRAIN_SIZE, TEST_SIZE = 1347, 450
CROP_PAD = 2
#: bit i (most significant first) set: image i of the 1,797 is a test image
TEST_MASK = (
    "000004883526104000164101934205001a00080102240028062c1e081108960a009019120420f8a0028110e040080a9a3044"
    "15244942c0a00a2030804004d821408b8020004885c400104008a0900005486800301000020ec409001224840083b8013c21"
    "a69c0a0204000f48400804a4184902124061e5008024604e94376a819216015480004842a0a4180a5000a40b8561e6881080"
    "49124c80c02205068e000109f202c141398813c009190000148e01008410a0e10033282900c144c8c0680a01029302920309"
    "22a6402c26042108a8608198c8a01412861202128138a41500"
)


def info(spec: DatasetSpec) -> DatasetInfo:
    return DatasetInfo(1, 10, RESOLUTION, TRAIN_SIZE, TEST_SIZE, hflip=False, crop_pad=CROP_PAD,
                       classes=tuple(str(i) for i in range(10)))


def raw_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 8×8 images (values 0..16, float) and their labels, read from the CSV that scikit-learn ships
    (the file ``sklearn.datasets.load_digits`` reads), without importing scikit-learn."""
    spec = find_spec("sklearn")
    roots = list(spec.submodule_search_locations or []) if spec is not None else []
    path = os.path.join(roots[0], "datasets", "data", "digits.csv.gz") if roots else ""
    if not os.path.isfile(path):
        raise DatasetError("digits: scikit-learn's bundled digits.csv.gz not found; install scikit-learn")
    table = np.loadtxt(path, delimiter=",")
    return table[:, :-1].reshape(-1, 8, 8), table[:, -1].astype(np.int64)


def test_mask() -> np.ndarray:
    """Which images are test images (boolean, one per image), from :data:`TEST_MASK`."""
    bits = np.unpackbits(np.frombuffer(bytes.fromhex("".join(TEST_MASK)), dtype=np.uint8))
    return bits[: TRAIN_SIZE + TEST_SIZE].astype(bool)


def load(spec: DatasetSpec) -> ImageData:
    pixels, target = raw_digits()
    images = torch.as_tensor(pixels, dtype=torch.float32).unsqueeze(1) * (255.0 / 16.0)  # N,1,8,8
    images = F.interpolate(images, size=(RESOLUTION, RESOLUTION), mode="bilinear", align_corners=False)
    images = images.round().clamp(0, 255).to(torch.uint8)
    labels = torch.as_tensor(target)
    test = torch.as_tensor(test_mask())
    return make_image_data(images[~test], labels[~test], images[test], labels[test], 10, hflip=False,
                           crop_pad=CROP_PAD, classes=[str(i) for i in range(10)])

"""The embedded default dataset ``digits``: scikit-learn's bundled 8×8 handwritten digits (1,797 real images,
shipped inside scikit-learn, nothing downloaded), upscaled bilinearly to 32×32, one channel.

The split is fixed and stratified: 75 % train (1,347 images), 25 % test (450), ``random_state=0``.
Pixel values 0..16 are scaled to 0..255 and stored as uint8 like every other dataset. No horizontal flips
(digits are not mirror-symmetric), and random crops pad by 2 px
(half an original pixel: the digits fill their frame, so 4 px would cut strokes off).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from netspace.workers.datasets.base import DatasetInfo, DatasetSpec, ImageData, make_image_data

RESOLUTION = 32
TEST_FRACTION = 0.25
SPLIT_SEED = 0
TRAIN_SIZE, TEST_SIZE = 1347, 450
CROP_PAD = 2


def info(spec: DatasetSpec) -> DatasetInfo:
    return DatasetInfo(1, 10, RESOLUTION, TRAIN_SIZE, TEST_SIZE, hflip=False, crop_pad=CROP_PAD,
                       classes=tuple(str(i) for i in range(10)))


def load(spec: DatasetSpec) -> ImageData:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    images = torch.as_tensor(bunch.images, dtype=torch.float32).unsqueeze(1) * (255.0 / 16.0)  # N,1,8,8
    images = F.interpolate(images, size=(RESOLUTION, RESOLUTION), mode="bilinear", align_corners=False)
    images = images.round().clamp(0, 255).to(torch.uint8)
    labels = torch.as_tensor(bunch.target, dtype=torch.int64)
    idx = torch.arange(len(labels)).numpy()
    train_idx, test_idx = train_test_split(idx, test_size=TEST_FRACTION, stratify=bunch.target, random_state=SPLIT_SEED)
    train_idx, test_idx = torch.as_tensor(sorted(train_idx)), torch.as_tensor(sorted(test_idx))
    return make_image_data(images[train_idx], labels[train_idx], images[test_idx], labels[test_idx], 10, hflip=False,
                           crop_pad=CROP_PAD, classes=[str(i) for i in range(10)])

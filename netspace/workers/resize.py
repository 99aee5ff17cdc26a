"""A trial's input resolution (trials that sample it): a dataset already on the training device is resized there; a
streamed dataset decodes and crops every image at it."""

from __future__ import annotations

import dataclasses

import torch
import torch.nn.functional as F

#: images resized per call (bounds the float32 scratch memory)
CHUNK = 4096


def resize_images(x: torch.Tensor, resolution: int) -> torch.Tensor:
    """uint8 images (N, C, H, W) resized to ``resolution`` × ``resolution`` on their device: bilinear with
    anti-aliasing when shrinking, rounded back to uint8."""
    if x.shape[-1] == resolution and x.shape[-2] == resolution:
        return x
    out = torch.empty((*x.shape[:2], resolution, resolution), dtype=x.dtype, device=x.device)
    for i in range(0, len(x), CHUNK):
        part = x[i:i + CHUNK].float()
        part = F.interpolate(part, size=(resolution, resolution), mode="bilinear", align_corners=False,
                             antialias=resolution < x.shape[-1])
        out[i:i + CHUNK] = part.round_().clamp_(0, 255).to(x.dtype)
    return out


def resize_device_data(data, resolution: int):
    """``DeviceData`` with train and test images at ``resolution`` (the same object when already there); the
    random-crop padding scales with the image (at least 1 px when the original had any)."""
    h = int(data.train_x.shape[-1])
    if h == resolution:
        return data
    pad = max(1, round(data.crop_pad * resolution / h)) if data.crop_pad else 0
    return dataclasses.replace(data, train_x=resize_images(data.train_x, resolution),
                               test_x=resize_images(data.test_x, resolution), crop_pad=pad)


def data_at_resolution(data, resolution: int):
    """The training data of a trial at ``resolution``: in-memory ``DeviceData`` resized on the device
    (:func:`resize_device_data`); a streamed dataset (``StreamData``) crops and decodes at ``resolution`` instead
    of its default (random-resized crops for training, resize and centre crop for evaluation), as pycls does."""
    from netspace.workers.input import StreamData

    if isinstance(data, StreamData):
        data.resolution = int(resolution)
        return data
    return resize_device_data(data, resolution)

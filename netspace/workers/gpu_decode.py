"""The GPU input path: a batch of encoded JPEGs decoded on the GPU in one call (torchvision's
``decode_jpeg(device="cuda")``, nvjpeg), then cropped, resized and flipped there. Data-loader workers then only read
bytes. Only used when ``torch.cuda.is_available()``; the same code runs on CPU tensors (``device="cpu"``), which is
how it is tested on machines without a GPU.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

from netspace.workers.decode import center_box, random_resized_box


def _decode_all(data: list[torch.Tensor], device: torch.device) -> list[torch.Tensor | None]:
    """Every image decoded to RGB uint8 (3, H, W) on ``device``; None for one that does not decode."""
    from torchvision.io import ImageReadMode, decode_image, decode_jpeg

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torchvision 0.29 points at torchcodec
        try:
            return list(decode_jpeg(data, mode=ImageReadMode.RGB, device=device))
        except (RuntimeError, ValueError):
            pass  # one bad or non-JPEG image fails the whole batch: decode one by one
        out: list[torch.Tensor | None] = []
        for d in data:
            try:
                out.append(decode_jpeg(d, mode=ImageReadMode.RGB, device=device))
            except (RuntimeError, ValueError):
                try:  # PNG and other formats: on the CPU
                    out.append(decode_image(d, mode=ImageReadMode.RGB).to(device))
                except (RuntimeError, ValueError):
                    out.append(None)
        return out


def decode_batch(data: list[torch.Tensor], labels: torch.Tensor, res: int, device: torch.device | str,
                 rng: np.random.Generator | None) -> tuple[torch.Tensor, torch.Tensor, int]:
    """(images uint8 (B, 3, res, res) on ``device``, their labels there, images that did not decode).

    ``rng`` given: random-resized crop + horizontal flip (training); None: resize to res·256/224 + centre crop.
    """
    from torchvision.transforms.v2.functional import resized_crop

    device = torch.device(device)
    out, keep = [], []
    for i, img in enumerate(_decode_all(data, device)):
        if img is None:
            continue
        h, w = img.shape[-2:]
        box = random_resized_box(w, h, rng) if rng is not None else center_box(w, h, res)
        left, top, cw, ch = (int(round(v)) for v in box)
        crop = resized_crop(img, top, left, max(ch, 1), max(cw, 1), [res, res], antialias=True)
        if rng is not None and rng.random() < 0.5:
            crop = crop.flip(-1)
        out.append(crop)
        keep.append(i)
    skipped = len(data) - len(keep)
    if not out:
        return torch.empty((0, 3, res, res), dtype=torch.uint8, device=device), labels[:0].to(device), skipped
    return torch.stack(out), labels[keep].to(device, non_blocking=True), skipped

"""Batch augmentation and normalisation on tensors, on the training device, with an explicit generator.

Random crop with zero padding plus optional horizontal flip is one gather over a (B, H, W, C) view of the
padded uint8 batch; the result comes out with channels-last strides, which the GPU path wants anyway.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

PAD = 4


def crop_flip(x: torch.Tensor, generator: torch.Generator, pad: int = PAD, flip: bool = True) -> torch.Tensor:
    """Random ``pad``-pixel-padded crops (and horizontal flips with probability 1/2) of images (B, C, H, W)."""
    b, _, h, w = x.shape
    dev = x.device
    padded = F.pad(x, (pad, pad, pad, pad)) if pad else x
    offsets = torch.randint(0, 2 * pad + 1, (2, b), generator=generator, device=dev)
    rows = offsets[0, :, None] + torch.arange(h, device=dev)  # B, H
    cols = offsets[1, :, None] + torch.arange(w, device=dev)  # B, W
    if flip:
        mirrored = torch.randint(0, 2, (b, 1), generator=generator, device=dev).bool()
        cols = torch.where(mirrored, cols.flip(1), cols)
    batch = torch.arange(b, device=dev)[:, None, None]
    out = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]]  # B, H, W, C
    return out.permute(0, 3, 1, 2)


class Normalizer:
    """uint8 images -> float ``(x / 255 - mean) / std`` per channel, as one multiply-add."""

    def __init__(self, mean, std, device: torch.device):
        std_t = torch.tensor(std, dtype=torch.float32, device=device).view(1, -1, 1, 1)
        mean_t = torch.tensor(mean, dtype=torch.float32, device=device).view(1, -1, 1, 1)
        self.scale = 1.0 / (255.0 * std_t)
        self.shift = -mean_t / std_t

    def __call__(self, x: torch.Tensor, memory_format: torch.memory_format = torch.contiguous_format) -> torch.Tensor:
        # Write into a tensor allocated in the wanted layout: with one channel, NCHW and channels-last strides
        # both count as "contiguous", so .contiguous() would keep the crop's channels-last strides, the convs
        # would run channels-last on CPU, and depthwise-conv backward there corrupts the heap (torch 2.14).
        out = torch.empty(x.shape, dtype=torch.float32, device=x.device, memory_format=memory_format)
        out.copy_(x)
        return out.mul_(self.scale).add_(self.shift)

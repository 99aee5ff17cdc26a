"""Torch building blocks shared by the design spaces, each paired with its analytic complexity.

Every module here has a ``complexity_*`` function next to it that counts the same layers, so ``build`` and
``complexity`` cannot drift apart unnoticed (tests compare both against a forward pass).
"""

from __future__ import annotations

import torch
import torch.nn as nn

from netspace.search_spaces import complexity as cx
from netspace.search_spaces.complexity import Complexity, iround

CIFAR_MAX_RESOLUTION = 64


def stem_stride(resolution: int) -> int:
    """ImageNet-size inputs get a stride-2 stem; CIFAR-size inputs (≤ 64 px) keep full resolution."""
    return 1 if resolution <= CIFAR_MAX_RESOLUTION else 2


def conv_bn(c_in: int, c_out: int, k: int, stride: int = 1, groups: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, k, stride=stride, padding=k // 2, groups=groups, bias=False), nn.BatchNorm2d(c_out)]


def complexity_conv_bn(h: int, c_in: int, c_out: int, k: int, stride: int = 1, groups: int = 1):
    c, ho, _ = cx.conv(h, h, c_in, c_out, k, stride, groups)
    return c + cx.batchnorm(c_out), ho


class Stem(nn.Sequential):
    """3×3 conv (stride 2 at ImageNet size, 1 at CIFAR size), BN, ReLU."""

    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__(*conv_bn(c_in, c_out, 3, stride), nn.ReLU(inplace=True))


def complexity_stem(h: int, c_in: int, c_out: int, stride: int):
    return complexity_conv_bn(h, c_in, c_out, 3, stride)


class Head(nn.Module):
    """Global average pool and a fully connected classifier."""

    def __init__(self, c_in: int, num_classes: int):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c_in, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(x), 1))


def complexity_head(c_in: int, num_classes: int) -> Complexity:
    return cx.linear(c_in, num_classes)


class SE(nn.Module):
    """Squeeze-excitation: global pool, 1×1 conv to ``w_se`` (ReLU), 1×1 conv back (sigmoid), rescale."""

    def __init__(self, w: int, w_se: int):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.f = nn.Sequential(nn.Conv2d(w, w_se, 1, bias=True), nn.ReLU(inplace=True), nn.Conv2d(w_se, w, 1, bias=True), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.f(self.pool(x))


def complexity_se(w: int, w_se: int) -> Complexity:
    a, _, _ = cx.conv(1, 1, w, w_se, 1, bias=True)
    b, _, _ = cx.conv(1, 1, w_se, w, 1, bias=True)
    return a + b


def bottleneck_width(w, b):
    """w_b = round(w / b); works elementwise on numpy arrays too."""
    return iround(w / b)


class XBlock(nn.Module):
    """Residual bottleneck with group conv (the X block); ``se_ratio`` > 0 adds SE (the Y block).

    1×1 conv (w_b = w/b) → 3×3 group conv (w_b/g groups, stride s) → [SE] → 1×1 conv (w_out); BN after each conv,
    ReLU after the first two and after the residual sum; projection shortcut when stride or width changes.
    """

    def __init__(self, w_in: int, w_out: int, stride: int, b: float, g: int, se_ratio: float = 0.0):
        super().__init__()
        w_b = bottleneck_width(w_out, b)
        groups = w_b // g
        layers: list[nn.Module] = [*conv_bn(w_in, w_b, 1), nn.ReLU(inplace=True), *conv_bn(w_b, w_b, 3, stride, groups), nn.ReLU(inplace=True)]
        if se_ratio:
            layers.append(SE(w_b, iround(se_ratio * w_in)))
        layers += conv_bn(w_b, w_out, 1)
        self.f = nn.Sequential(*layers)
        nn.init.zeros_(self.f[-1].weight)  # zero-init the last BN gamma: each block starts as identity
        self.proj = nn.Sequential(*conv_bn(w_in, w_out, 1, stride)) if (w_in != w_out or stride != 1) else None
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = self.proj(x) if self.proj is not None else x
        return self.relu(self.f(x) + shortcut)


def complexity_xblock(h, w_in, w_out, stride: int, b, g, se_ratio: float = 0.0):
    """Complexity of :class:`XBlock`; every size argument may be a numpy array (vectorised screening)."""
    w_b = bottleneck_width(w_out, b)
    a, _ = complexity_conv_bn(h, w_in, w_b, 1)
    bb, ho = complexity_conv_bn(h, w_b, w_b, 3, stride, w_b // g)
    c, _ = complexity_conv_bn(ho, w_b, w_out, 1)
    total = a + bb + c
    if se_ratio:
        total = total + complexity_se(w_b, iround(se_ratio * w_in))
    needs_proj = (w_in != w_out) | (stride != 1)
    if needs_proj is not False:
        p, _ = complexity_conv_bn(h, w_in, w_out, 1, stride)
        total = total + (p if needs_proj is True else p * needs_proj)
    return total, ho


def init_weights(model: nn.Module) -> nn.Module:
    """pycls-style init: He (fan-out) for convs, unit BN (unless already zeroed), small normal for the classifier."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.01)
            nn.init.zeros_(m.bias)
    return model

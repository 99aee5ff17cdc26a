"""Count a network's complexity by running it: the ground truth the analytic counts are tested against."""

from __future__ import annotations

import torch
import torch.nn as nn
from torch.utils.flop_counter import FlopCounterMode

from netspace.search_spaces import Geometry


def forward_complexity(model: nn.Module, in_channels: int, resolution: int) -> tuple[int, int, int]:
    """(flops as multiply-adds incl. bias adds, parameters, activations = conv + linear output elements)."""
    model.eval()
    bias_adds, acts = 0, 0

    def hook(module, _inp, out):
        nonlocal bias_adds, acts
        acts += out.numel()
        if module.bias is not None:
            bias_adds += out.numel()

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    x = torch.randn(1, in_channels, resolution, resolution)
    with torch.no_grad(), FlopCounterMode(display=False) as fcm:
        model(x)
    for h in handles:
        h.remove()
    params = sum(p.numel() for p in model.parameters())
    return fcm.get_total_flops() // 2 + bias_adds, params, acts


def measure(space, config, resolution: int, in_channels: int, num_classes: int) -> tuple[tuple[int, ...], int, int, int]:
    """Build ``config`` on the meta device (no memory, no compute) and push one image through it:
    (output shape, flops, params, acts), counted as in :func:`forward_complexity`."""
    with torch.device("meta"):
        model = space.build(config, geometry=Geometry(in_channels=in_channels, num_classes=num_classes, resolution=resolution))
    outs: list[tuple[int, bool]] = []
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            m.register_forward_hook(lambda mod, i, o: outs.append((o.numel(), mod.bias is not None)))
    with FlopCounterMode(display=False) as fcm:
        y = model.eval()(torch.empty(1, in_channels, resolution, resolution, device="meta"))
    total = fcm.get_total_flops()
    assert total % 2 == 0
    flops = total // 2 + sum(n for n, biased in outs if biased)
    return tuple(y.shape), flops, sum(p.numel() for p in model.parameters()), sum(n for n, _ in outs)

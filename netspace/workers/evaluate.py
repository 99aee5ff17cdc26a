"""Top-1 error (%) of a model on a held-out split, batched on the model's device."""

from __future__ import annotations

import torch
import torch.nn as nn

from netspace.workers.augment import Normalizer
from netspace.workers.datasets import DatasetSpec, load_dataset
from netspace.workers.device import DevicePlan, plan_device

EVAL_BATCH = 512


@torch.inference_mode()
def top1_error(model: nn.Module, x: torch.Tensor, y: torch.Tensor, normalize: Normalizer, plan: DevicePlan,
               batch_size: int = EVAL_BATCH) -> float:
    """Percentage of ``x`` (uint8 images on ``plan.device``) whose arg-max prediction differs from ``y``."""
    was_training = model.training
    model.eval()
    wrong = torch.zeros((), dtype=torch.int64, device=plan.device)
    try:
        for i in range(0, len(y), batch_size):
            xb = normalize(x[i:i + batch_size], plan.memory_format)
            with plan.autocast():
                logits = model(xb)
            wrong += (logits.argmax(1) != y[i:i + batch_size]).sum()
    finally:
        model.train(was_training)
    return 100.0 * float(wrong.item()) / max(len(y), 1)


def evaluate_model(model: nn.Module, dataset: DatasetSpec | str, device: str | torch.device | None = None,
                   resolution: int | None = None) -> float:
    """Top-1 error (%) of ``model`` on the held-out split of ``dataset``. ``device`` defaults to where the model's
    parameters are; the model is moved there if needed. ``resolution``: the trial's own input resolution when it
    sampled one (the images are resized on the device exactly as its training did; in-memory datasets)."""
    if device is None:
        p = next(model.parameters(), None)
        device = p.device if p is not None else "cpu"
    plan = plan_device(device)
    model.to(plan.device)
    from netspace.workers.input import StreamData, is_streamed

    spec = DatasetSpec(dataset) if isinstance(dataset, str) else dataset
    if is_streamed(spec):  # imagenet: stream the val split
        return StreamData(spec, plan).evaluate(model, plan)
    data = load_dataset(dataset)
    x, y = data.test_x.to(plan.device), data.test_y.to(plan.device)
    if resolution is not None:
        from netspace.workers.resize import resize_images

        x = resize_images(x, int(resolution))
    return top1_error(model, x, y, Normalizer(data.mean, data.std, plan.device), plan)

"""Measured runtime of a trained network: inference time of a fixed batch on the training device, in the dtype
training used (bf16 autocast on CUDA, fp32 on CPU), warm-up excluded, median of several timed runs; and the name of
the device, so trials measured on different hardware are grouped apart.

The paper (Sec. 5, "complexity analysis") measures each model's inference time and finds it depends on FLOPs and
activations; these figures are what its runtime fits use.
"""

from __future__ import annotations

import platform
import statistics
import time
from dataclasses import dataclass

import torch
import torch.nn as nn

from netspace.workers.device import DevicePlan

#: images per timed forward pass (the same for every trial, so times compare)
INFERENCE_BATCH = 64
#: untimed forward passes first (cuDNN autotuning, allocator, caches)
WARMUP_RUNS = 1
#: timed forward passes at most; the median is kept
TIMED_RUNS = 7
#: ... and at least, once the timed passes took ``TIME_BUDGET_S`` (a slow model is timed 3 times, not 7)
MIN_TIMED_RUNS = 3
TIME_BUDGET_S = 0.15


@dataclass(frozen=True)
class Runtime:
    """Median seconds of one forward pass of ``batch`` images, on ``device_name``, in ``dtype``."""

    inference_s: float
    batch: int
    device_name: str
    dtype: str

    @property
    def inference_ms(self) -> float:
        return 1000.0 * self.inference_s


def device_name(device: torch.device) -> str:
    """A human name of the device: the GPU's model (``NVIDIA H200``), else the CPU's (``cpu: <model>``)."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    return f"cpu: {model or platform.processor() or platform.machine()}"


def measure_inference(model: nn.Module, plan: DevicePlan, in_channels: int, resolution: int, *,
                      batch: int = INFERENCE_BATCH, warmup: int = WARMUP_RUNS, runs: int = TIMED_RUNS,
                      min_runs: int = MIN_TIMED_RUNS, budget_s: float = TIME_BUDGET_S) -> Runtime:
    """Time ``model``'s forward pass on a fixed random batch (eval mode, no autograd): ``warmup`` untimed passes,
    then up to ``runs`` timed ones, stopping after ``min_runs`` once the timed passes add up to ``budget_s`` (the
    measurement is part of every trial, so it is kept short). The model's train/eval mode is restored afterwards."""
    if runs < 1 or warmup < 0 or batch < 1:
        raise ValueError(f"runs {runs} must be >= 1, warmup {warmup} >= 0, batch {batch} >= 1")
    min_runs = max(1, min(min_runs, runs))
    was_training = model.training
    model.eval()
    g = torch.Generator(device="cpu").manual_seed(0)
    x = torch.randn(batch, in_channels, resolution, resolution, generator=g).to(plan.device)
    x = x.contiguous(memory_format=plan.memory_format)
    times = []
    try:
        with torch.inference_mode(), plan.autocast():
            for i in range(warmup + runs):
                plan.synchronize()
                start = time.perf_counter()
                model(x)
                plan.synchronize()
                if i >= warmup:
                    times.append(time.perf_counter() - start)
                    if len(times) >= min_runs and sum(times) >= budget_s:
                        break
    finally:
        model.train(was_training)
    dtype = "bfloat16" if plan.amp else str(next(model.parameters()).dtype).replace("torch.", "")
    return Runtime(statistics.median(times), batch, device_name(plan.device), dtype)

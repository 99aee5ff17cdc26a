"""Where training runs and what that implies: CUDA gets bf16 autocast and channels-last, CPU stays fp32."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch

from netspace.errors import NetspaceError


@dataclass(frozen=True)
class DevicePlan:
    device: torch.device
    amp: bool
    memory_format: torch.memory_format

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def autocast(self):
        if self.amp:
            return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def synchronize(self) -> None:
        if self.is_cuda:
            torch.cuda.synchronize(self.device)


def plan_device(name: str | torch.device | None = "auto") -> DevicePlan:
    """``auto`` picks CUDA when available. bf16 autocast + channels_last on CUDA; fp32 contiguous on CPU."""
    if name is None or str(name) == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(name)
    except RuntimeError:
        raise NetspaceError(f"unknown device {str(name)!r}; expected auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise NetspaceError(f"device {str(name)!r} requested but CUDA is not available on this machine")
        if device.index is None:
            device = torch.device("cuda", torch.cuda.current_device())
        torch.backends.cudnn.benchmark = True
        return DevicePlan(device, amp=True, memory_format=torch.channels_last)
    if device.type != "cpu":
        raise NetspaceError(f"unsupported device {str(name)!r}; expected auto, cpu, cuda or cuda:N")
    return DevicePlan(device, amp=False, memory_format=torch.contiguous_format)

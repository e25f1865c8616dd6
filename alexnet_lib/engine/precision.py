"""Numeric precision: fp32, or bf16/fp16 autocast (with channels_last, and loss scaling for fp16) where it pays."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Optional

import torch

from .._checks import check_choice


@dataclass(frozen=True)
class Precision:
    """The numeric settings a run uses on its device."""

    autocast_dtype: Optional[torch.dtype]
    channels_last: bool
    grad_scaler: bool

    @property
    def label(self) -> str:
        """Short human label, e.g. 'bf16 autocast + channels_last'."""
        if self.autocast_dtype is None:
            return "fp32" + (" + channels_last" if self.channels_last else "")
        name = {torch.bfloat16: "bf16", torch.float16: "fp16"}[self.autocast_dtype]
        return f"{name} autocast" + (" + channels_last" if self.channels_last else "")



def cpu_has_bf16() -> bool:
    """Whether this CPU computes bf16 natively (AVX-512 BF16 or AMX), where bf16 autocast pays off."""
    check = getattr(torch.cpu, "_is_avx512_bf16_supported", None)
    amx = getattr(torch.cpu, "_is_amx_tile_supported", None)
    return bool((check and check()) or (amx and amx()))



#: What `precision=` may force; "auto" (or None) lets the device decide.
PRECISIONS = ("auto", "fp32", "bf16", "fp16")



def choose_precision(device: torch.device, force: Optional[str] = None) -> Precision:
    """bf16 autocast + channels_last where they help (CUDA, bf16 CPUs); fp16 + loss scaling on older GPUs.

    `force` ("fp32", "bf16" or "fp16"; None or "auto" lets the device decide) overrides the choice, e.g. to
    try the fp16 path of a T4 on any GPU, or to keep fp32 where bf16 would round a quantity away.
    """
    if force is not None and check_choice("precision", force, PRECISIONS) != "auto":
        return {"fp32": Precision(None, False, False),
                "bf16": Precision(torch.bfloat16, True, False),
                "fp16": Precision(torch.float16, True, True)}[force]
    if device.type == "cuda":
        if torch.cuda.is_bf16_supported(including_emulation=False):
            return Precision(torch.bfloat16, True, False)
        return Precision(torch.float16, True, True)
    if device.type == "cpu" and cpu_has_bf16():
        return Precision(torch.bfloat16, True, False)
    return Precision(None, False, False)


def autocast(device: torch.device, precision: Precision) -> Any:
    """The autocast context of `precision` on `device` (a no-op for fp32)."""
    if precision.autocast_dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=precision.autocast_dtype)


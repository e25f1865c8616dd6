"""Where and how fast a run trains: the device, its numeric precision, and the profile (how much data) it gets."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import Any, Optional, Union

import torch

from ._checks import check_choice


@dataclass(frozen=True)
class Profile:
    """How much a run trains: a fixed number of epochs, or as many steps as fit a time budget (`minutes`)."""

    name: str
    epochs: Optional[int]  # None: `minutes` decides
    batch_size: int
    train_subset: Optional[int]
    test_subset: Optional[int]
    size: int
    description: str
    validation: int = 0  # training images held out to decide what the recipe tunes
    minutes: Optional[float] = None
    lr_scale: float = 1.0  # times the recipe's rate (the recipes' rates are for batches of 128)


PROFILES: dict[str, Profile] = {
    "smoke": Profile("smoke", epochs=1, batch_size=32, train_subset=640, test_subset=320, size=224,
                     validation=160, description="seconds: proves the whole path works (CI, nbval)"),
    # About half an epoch fits 30 CPU minutes; there, twice the steps of half the batch learn more per image
    # (on validation: data/runs/cpu_batch_choice.json), at 0.7 times the rate, about 1/sqrt(2).
    "cpu": Profile("cpu", epochs=None, minutes=30, batch_size=64, lr_scale=0.7, train_subset=None,
                   test_subset=None, size=224, validation=2_000,
                   description="30 minutes on this machine, whatever it is: measures its speed, then trains as "
                               "many of the 58,000 training images (2,000 held out for validation) as fit, with "
                               "the schedule planned for exactly that many steps and re-planned at each tenth of the "
                               "run from the speed its steps had, in batches of 64; full test set"),
    "full": Profile("full", epochs=10, batch_size=128, train_subset=None, test_subset=None, size=224,
                    validation=5_000,
                    description="a GPU: 10 epochs over 55,000 training images (5,000 held out for validation), "
                                "data resident on the GPU"),
}


def default_device() -> torch.device:
    """The fastest device present: CUDA, then Apple's MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def parse_device(device: Union[str, torch.device, None]) -> torch.device:
    """`device` as a torch.device that exists here (None: the fastest present), else a ValueError."""
    if device is None:
        return default_device()
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as e:
        raise ValueError(f"device={device!r} is not a device name; use 'cpu', 'cuda' or 'mps' ({e})") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} asks for a GPU but this machine has none that PyTorch can use; "
                         f"use device='cpu'")
    if dev.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ValueError(f"device={device!r} asks for Apple's MPS, which is not available here; use device='cpu'")
    if dev.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"device={device!r} is not supported; use 'cpu', 'cuda' or 'mps'")
    return dev


def choose_profile(name: Optional[str] = None, device: Union[str, torch.device, None] = None) -> Profile:
    """Pick a profile: the argument, else `$ALEXNET_PROFILE`, else by device (`full` on CUDA, else `cpu`)."""
    source = "profile"
    if name is None and os.environ.get("ALEXNET_PROFILE"):
        name, source = os.environ["ALEXNET_PROFILE"], "$ALEXNET_PROFILE"
    if name is None:
        name = "full" if parse_device(device).type == "cuda" else "cpu"
    return PROFILES[check_choice(source, name, PROFILES)]


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


def choose_precision(device: torch.device, fast: bool = True, force: Optional[str] = None) -> Precision:
    """bf16 autocast + channels_last where they help (CUDA, bf16 CPUs); fp16 + loss scaling on older GPUs.

    `force` ("fp32", "bf16" or "fp16") overrides the choice, e.g. to try the fp16 path of a T4 on any GPU.
    """
    if force is not None and check_choice("precision", force, PRECISIONS) != "auto":
        return {"fp32": Precision(None, False, False),
                "bf16": Precision(torch.bfloat16, True, False),
                "fp16": Precision(torch.float16, True, True)}[force]
    if not fast:
        return Precision(None, False, False)
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

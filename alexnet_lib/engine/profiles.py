"""Profiles: how much a run trains (images, epochs or a time budget, batch, validation split) on which device."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional, Union

import torch

from .._checks import check_choice
from ..device import parse_device


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
    hidden: Optional[int] = None  # the width of alexnet_d2l's two hidden FC layers; None: its own 4096



PROFILES: dict[str, Profile] = {
    # A proof needs every layer, not the 4096-wide FC layers' 43 million weights: at 256 wide, the checkpoint
    # (weights and momentum, so --resume continues exactly) takes 44 MB instead of 374 MB.
    "smoke": Profile("smoke", epochs=1, batch_size=32, train_subset=640, test_subset=320, size=224,
                     validation=160, hidden=256,
                     description="seconds: proves the whole path works (CI, nbval), with alexnet_d2l's hidden FC "
                                 "layers 256 wide"),
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



def choose_profile(name: Optional[str] = None, device: Union[str, torch.device, None] = None) -> Profile:
    """Pick a profile: the argument, else `$ALEXNET_PROFILE`, else by device (`full` on CUDA, else `cpu`)."""
    source = "profile"
    if name is None and os.environ.get("ALEXNET_PROFILE"):
        name, source = os.environ["ALEXNET_PROFILE"], "$ALEXNET_PROFILE"
    if name is None:
        name = "full" if parse_device(device).type == "cuda" else "cpu"
    return PROFILES[check_choice(source, name, PROFILES)]


"""Training recipes: optimiser, learning-rate schedule, initialisation and loss, everything but the data."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Optional, Union

import torch
from torch import nn

from .._checks import check_choice, check_number


@dataclass(frozen=True)
class Recipe:
    """Optimiser, schedule, initialisation and loss: everything about training except the data."""

    name: str
    lr: float
    momentum: float = 0.0
    weight_decay: float = 0.0
    nesterov: bool = False
    schedule: str = "constant"  # constant | plateau | onecycle
    warmup: float = 0.0  # fraction of all steps spent warming up (onecycle)
    init: str = "xavier"  # see alexnet_lib.net.model.init_weights
    label_smoothing: float = 0.0
    description: str = ""


RECIPES: dict[str, Recipe] = {
    "paper": Recipe("paper", lr=0.01, momentum=0.9, weight_decay=5e-4, schedule="plateau", init="paper",
                    description="Krizhevsky et al. 2012: SGD, momentum 0.9, weight decay 5e-4, lr 0.01 "
                                "divided by 10 when validation accuracy stops improving (as the paper did; the "
                                "validation split is carved from the training set), N(0, 0.01) init"),
    "d2l": Recipe("d2l", lr=0.01, schedule="constant", init="xavier",
                  description="Dive into Deep Learning: plain SGD, lr 0.01, Xavier init"),
    "fast": Recipe("fast", lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=True, schedule="onecycle",
                   warmup=0.15, init="kaiming", label_smoothing=0.1,
                   description="this course's default: Nesterov SGD (momentum 0.9, weight decay 5e-4), "
                               "lr warmed up to 0.05 over the first 15% of steps then cosine-annealed to 0, "
                               "Kaiming init, label smoothing 0.1"),
}


def get_recipe(recipe: Union[str, Recipe], **overrides: Any) -> Recipe:
    """Look a recipe up by name (or take one as is) and apply field overrides."""
    if isinstance(recipe, str):
        recipe = RECIPES[check_choice("recipe", recipe, RECIPES)]
    if not isinstance(recipe, Recipe):
        raise ValueError(f"recipe={recipe!r} must be a recipe name ({', '.join(RECIPES)}) or a Recipe")
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if "lr" in overrides:
        # Above 10 every recipe here diverges at once; refusing it saves a wasted epoch.
        check_number("lr", overrides["lr"], 0.0, 10.0, low_open=True, hint=" (the recipes use 0.01 to 0.05)")
    return replace(recipe, **overrides) if overrides else recipe


def make_optimizer(model: nn.Module, recipe: Recipe) -> torch.optim.Optimizer:
    """SGD as the recipe says; weight decay only on weights, never on biases.

    On a CPU or CUDA device the update is PyTorch's fused kernel: one pass over the 47 M parameters
    instead of several (measured on a 2-core AVX2 CPU: 24 ms a step instead of 245 ms).
    """
    decay = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim <= 1]
    if not decay + no_decay:
        raise ValueError(f"{type(model).__name__} has no trainable parameters, so there is nothing to train: "
                         f"give it at least one layer with weights (nn.Conv2d, nn.Linear), not only "
                         f"activations, pooling or reshaping")
    groups = [{"params": decay, "weight_decay": recipe.weight_decay},
              {"params": no_decay, "weight_decay": 0.0}]
    settings = dict(lr=recipe.lr, momentum=recipe.momentum, nesterov=recipe.nesterov and recipe.momentum > 0)
    if (decay + no_decay)[0].device.type in ("cpu", "cuda"):
        try:
            return torch.optim.SGD(groups, fused=True, **settings)
        except (TypeError, RuntimeError):  # an older torch (pyproject admits 2.0) has no fused SGD for this device
            pass
    return torch.optim.SGD(groups, **settings)


def step_optimizer(loss: torch.Tensor, optimizer: torch.optim.Optimizer,
                   scaler: Optional["torch.amp.GradScaler"] = None) -> None:
    """Clear the gradients, back-propagate `loss` and take one step (through the loss scaler, for fp16)."""
    optimizer.zero_grad(set_to_none=True)
    if scaler is not None:
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    else:
        loss.backward()
        optimizer.step()


def lr_at(recipe: Recipe, step: int, total_steps: int) -> float:
    """Learning rate of the `onecycle` schedule at a step (linear warmup, then cosine to zero)."""
    warm = max(1, int(recipe.warmup * total_steps))
    if step < warm:
        return recipe.lr * (step + 1) / warm
    progress = (step - warm) / max(1, total_steps - warm)
    return recipe.lr * 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


class Schedule:
    """The learning rate through a run, the one thing the loop asks about it: per step, and at each epoch's end.

    `onecycle` sets the rate before every step (`lr_at`, planned for `total_steps`, which a budget's re-plan
    may change); `plateau` divides it by 10 when the watched accuracy stops improving; `constant` keeps it.
    """

    def __init__(self, recipe: Recipe, optimizer: torch.optim.Optimizer, total_steps: int) -> None:
        self.recipe, self.optimizer, self.total_steps = recipe, optimizer, total_steps
        self.plateau = (torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", factor=0.1, patience=0)
                        if recipe.schedule == "plateau" else None)

    def before_step(self, step: int) -> None:
        """Set the rate of step `step` (counting from 0)."""
        if self.recipe.schedule == "onecycle":
            for group in self.optimizer.param_groups:
                group["lr"] = lr_at(self.recipe, step, self.total_steps)

    def after_epoch(self, watched: Optional[float]) -> None:
        """Let a plateau schedule see the epoch's accuracy (validation when there is one, else test)."""
        if self.plateau is not None and watched is not None:
            self.plateau.step(watched)

    def state_dict(self) -> Optional[dict[str, Any]]:
        """What a checkpoint keeps of it: the plateau's counters (the other schedules follow from the step)."""
        return self.plateau.state_dict() if self.plateau is not None else None

    def load_state_dict(self, state: Optional[dict[str, Any]]) -> None:
        """Continue from a checkpoint's `state_dict()`."""
        if self.plateau is not None and state is not None:
            self.plateau.load_state_dict(state)

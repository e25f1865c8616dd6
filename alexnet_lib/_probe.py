"""Run a model once in eval mode while hooks read the inputs of some of its layers, leaving it as it was."""

from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import nn


@torch.no_grad()
def watch_inputs(model: nn.Module, x: torch.Tensor,
                 watchers: Sequence[tuple[nn.Module, Callable[[torch.Tensor], None]]]) -> None:
    """Run `model(x)` in eval mode; each (layer, see) pair calls `see(input)` with what that layer receives."""
    handles = [layer.register_forward_pre_hook(lambda m, inputs, see=see: see(inputs[0])) for layer, see in watchers]
    was_training = model.training
    try:
        model.eval()
        model(x)
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()

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
    except (RuntimeError, TypeError, IndexError) as e:  # the batch does not fit the model: say so plainly
        got = f"{x.dtype} {tuple(x.shape)}" if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"{type(model).__name__} cannot take x ({got}): {str(e).splitlines()[0]}; give a float "
                         f"batch shaped like its training images") from None
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()

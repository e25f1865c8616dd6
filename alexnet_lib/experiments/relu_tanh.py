"""The paper's Figure 1 on Fashion-MNIST: how much faster a ReLU convnet reaches a training error than a tanh one.

Four arms: ReLU and tanh, each from PyTorch's default initialisation (small weights: tanh stays in its
near-linear middle) and from a saturating one (weights three times the fan-in scale: tanh starts on its
flat tails). Each arm's learning rate is the one of the grid that reaches the training-error level in the
fewest steps, as the paper chose each network's "to make training as fast as possible". Training error
is measured in eval mode on a fixed subset of the training images, with the share of saturated and dead
units beside it.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..engine.recipes import Recipe
from ..net.activations import unit_fractions
from .runner import Arm, Claim, Experiment, Scale, Target

NAME = "relu_tanh"
#: The paper's Figure 1: ReLU reached 25% training error on CIFAR-10 "six times faster" than tanh.
PAPER_SPEEDUP = 6.0
#: The training-error level the speed is measured at (the paper's was 25% on CIFAR-10; see the chapter).
LEVEL = Target("train_error", 0.15)


def probe(model: nn.Module, x: torch.Tensor) -> dict[str, Any]:
    """The share of saturated (unit, image) pairs and of dead units on a fixed batch."""
    return unit_fractions(model, x)


_SOURCE = "section 3.1 and Figure 1 (CIFAR-10, a four-layer convnet, 25% training error)"

EXPERIMENT = Experiment(
    name=NAME,
    question="How much faster does a ReLU convnet reach a training-error level than a tanh one, and does it "
             "depend on whether tanh starts saturated?",
    model="four_layer_net",
    base_model={"width": 16},
    arms={"ReLU, default init": Arm({"activation": "relu"}),
          "tanh, default init": Arm({"activation": "tanh"}),
          "ReLU, saturating init": Arm({"activation": "relu"}, {"init": "saturating"}),
          "tanh, saturating init": Arm({"activation": "tanh"}, {"init": "saturating"})},
    # Plain SGD with momentum and no regularisation: the paper's Figure 1 used "no regularization".
    recipe=Recipe("figure1", lr=0.01, momentum=0.9, init="torch"),
    claims=(Claim("ReLU's speed-up over tanh (default init), steps to 15% training error",
                  "tanh, default init", "ReLU, default init", LEVEL, "ratio", PAPER_SPEEDUP, _SOURCE),
            Claim("ReLU's speed-up over tanh (saturating init), steps to 15% training error",
                  "tanh, saturating init", "ReLU, saturating init", LEVEL, "ratio", PAPER_SPEEDUP, _SOURCE)),
    select=LEVEL,
    precision="fp32",
    probe=probe,
    scales={
        "live": Scale("live", 28, 4000, 500, 1000, 2, 64, (0,), (0.03,), curve_images=256, log_every=10),
        "cpu": Scale("cpu", 28, None, 5000, None, 3, 128, (0, 1, 2), (0.003, 0.01, 0.03, 0.1), curve_images=1000,
                     log_every=10),
        "gpu": Scale("gpu", 28, None, 5000, None, 10, 128, (0, 1, 2, 3, 4), (0.003, 0.01, 0.03, 0.1, 0.3),
                     curve_images=5000, log_every=10, device="cuda"),
    },
)

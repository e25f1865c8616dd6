"""This course's `fast` recipe taken apart: each arm removes one of its parts, everything else equal.

The training chapter credits the warm-up + cosine schedule and the Kaiming initialisation for reaching
high accuracy in a short budget. The paper makes no such claim, so these are the course's own claims,
tested for a direction only: does the part help? At the CPU scale the `fast` arm starts from the scale's
Xavier init, and the third arm puts the recipe's own Kaiming init back.
"""

from ..engine.recipes import RECIPES
from .runner import Arm, Claim, Experiment
from .sizes import alexnet_scales

NAME = "recipes"

EXPERIMENT = Experiment(
    name=NAME,
    question="Which parts of the fast recipe matter on a short budget: the warm-up + cosine schedule, the "
             "Kaiming initialisation?",
    model="alexnet_fashion",
    base_model={"lrn": False},
    arms={"fast": Arm(),
          "fast, constant lr": Arm(recipe={"schedule": "constant", "warmup": 0.0}),
          "fast, Kaiming init": Arm(recipe={"init": "kaiming"})},
    recipe=RECIPES["fast"],
    claims=(Claim("the warm-up + cosine schedule's gain in test accuracy", "fast", "fast, constant lr", "test_acc",
                  source="this course's claim (training chapter)"),
            Claim("Kaiming init's gain in test accuracy over Xavier", "fast, Kaiming init", "fast", "test_acc",
                  source="this course's claim (training chapter)")),
    precision="fp32",
    scales=alexnet_scales(5, seeds=(0, 1, 2, 3, 4, 5), epochs=4),
)

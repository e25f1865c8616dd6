"""This course's `fast` recipe taken apart: each arm removes one of its parts, everything else equal.

The training chapter credits the warm-up + cosine schedule and the Kaiming initialisation for reaching
high accuracy in a short budget. The paper makes no such claim, so these are the course's own claims,
tested for a direction only: does the part help?
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
          "fast, Xavier init": Arm(recipe={"init": "xavier"})},
    recipe=RECIPES["fast"],
    claims=(Claim("the warm-up + cosine schedule's gain in test accuracy", "fast", "fast, constant lr", "test_acc",
                  source="this course's claim (training chapter)"),
            Claim("Kaiming init's gain in test accuracy over Xavier", "fast", "fast, Xavier init", "test_acc",
                  source="this course's claim (training chapter)")),
    precision="fp32",
    scales=alexnet_scales(2, 5),
)

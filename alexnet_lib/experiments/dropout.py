"""Dropout where AlexNet uses it: a small-input AlexNet with p = 0.5 in its classifier against p = 0.

Section 4.2: dropout "roughly doubles the number of iterations required to converge" and without it "our
network exhibits substantial overfitting". Iterations to converge are counted on the eval-mode training
loss (dropout off: the loss of the network that is kept), measured on every training image of the run;
each arm's learning rate is chosen on the validation split. The recipe is constant-rate SGD with momentum
and weight decay, as the paper's, so the schedule does not decide when a run converges.
"""

from ..engine.recipes import Recipe
from .runner import Arm, Claim, Experiment, Scale, Target
from .sizes import CPU_SIZE, GPU_SIZE

NAME = "dropout"
#: Section 4.2: dropout "roughly doubles the number of iterations required to converge".
PAPER_SLOWDOWN = 2.0
#: Converged: the eval-mode training loss is at or below this many nats.
LEVEL = Target("train_loss", 0.1)
#: A level a ten-minute CPU budget reaches: the end of the steep part of the curve, not convergence.
EARLY_LEVEL = Target("train_loss", 0.7)

EXPERIMENT = Experiment(
    name=NAME,
    question="How much does dropout in AlexNet's classifier slow convergence, and what does it buy on the test set?",
    model="alexnet_fashion",
    base_model={"lrn": False},
    arms={"dropout p=0.5": Arm({"dropout": 0.5}), "no dropout": Arm({"dropout": 0.0})},
    recipe=Recipe("dropout", lr=0.01, momentum=0.9, weight_decay=5e-4, init="kaiming"),
    claims=(Claim("dropout's slowdown, iterations until the eval-mode training loss <= 0.1 nats", "dropout p=0.5",
                  "no dropout", LEVEL, "ratio", PAPER_SLOWDOWN, "section 4.2"),
            Claim("dropout's slowdown, iterations until the eval-mode training loss <= 0.7 nats", "dropout p=0.5",
                  "no dropout", EARLY_LEVEL, "ratio", PAPER_SLOWDOWN, "section 4.2 (at a level short of convergence)"),
            Claim("dropout's gain in test accuracy", "dropout p=0.5", "no dropout", "test_acc", "difference", None,
                  "section 4.2: no figure, 'substantial overfitting' without it")),
    precision="fp32",
    scales={
        "live": Scale("live", CPU_SIZE, 256, 256, 256, 3, 32, (0,), (0.01,), curve_images=256, log_every=4),
        "cpu": Scale("cpu", CPU_SIZE, 500, 1000, 2000, 20, 50, (0, 1, 2), (0.02, 0.05), curve_images=500,
                     log_every=10),
        "gpu": Scale("gpu", GPU_SIZE, 10000, 5000, None, 30, 128, (0, 1, 2, 3, 4), (0.003, 0.01, 0.03),
                     curve_images=10000, log_every=40, device="cuda"),
    },
)

"""Section 4.1's augmentation on a small training set: random patches and mirror images against none, and
section 4.1's ten test patches against the centre patch alone.

"Without this scheme, our network suffers from substantial overfitting": the paper gives a direction, no
figure, so the claims are judged on their direction. Overfitting is measured as the training accuracy
(eval mode, centre patches, every training image of the run) minus the test accuracy. Each arm's learning
rate is chosen on the validation split; the augmented arm is validated and tested on centre patches.
"""

from __future__ import annotations

from torch import nn

from ..data.loader import DeviceLoader
from ..engine.loop import evaluate_ten_patches
from ..engine.recipes import RECIPES
from .runner import Arm, Claim, Experiment, Scale
from .sizes import CPU_SIZE, GPU_SIZE

NAME = "augmentation"
PATCHES, NONE = "patches + flips", "no augmentation"


def ten_patch_accuracy(model: nn.Module, test: DeviceLoader) -> dict[str, float]:
    """The test accuracy of the softmax averaged over the ten patches of section 4.1 (fp32, as the runs)."""
    return {"ten_patch_acc": evaluate_ten_patches(model, test, precision="fp32").accuracy}


EXPERIMENT = Experiment(
    name=NAME,
    question="On a small training set, how much overfitting do random patches and mirror images prevent, and what "
             "do ten test patches add to the centre one?",
    model="alexnet_fashion",
    base_model={"lrn": False},
    arms={PATCHES: Arm(augment=True), NONE: Arm()},
    recipe=RECIPES["fast"],
    claims=(Claim("augmentation's gain in test accuracy", PATCHES, NONE, "test_acc",
                  source="section 4.1: 'without this scheme, our network suffers from substantial overfitting' "
                         "(no figure)"),
            Claim("augmentation's cut in overfitting (training minus test accuracy, without minus with)", NONE, PATCHES,
                  "gap", source="section 4.1 (no figure)"),
            Claim("ten test patches against the centre patch (the augmented network)", PATCHES, PATCHES,
                  "ten_patch_acc", metric_b="test_acc",
                  source="section 4.1: predictions averaged over ten patches at test time (no figure for one patch)")),
    precision="fp32",
    extra=ten_patch_accuracy,
    extra_metrics=("ten_patch_acc",),
    scales={
        "live": Scale("live", CPU_SIZE, 256, 256, 256, 2, 32, (0,), (0.05,), curve_images=256, log_every=4),
        "cpu": Scale("cpu", CPU_SIZE, 500, 1000, 1000, 16, 50, (0, 1, 2), (0.02, 0.05), curve_images=500,
                     log_every=20),
        "gpu": Scale("gpu", GPU_SIZE, 10000, 5000, None, 30, 128, (0, 1, 2, 3, 4), (0.01, 0.02, 0.05),
                     curve_images=10000, log_every=100, device="cuda"),
    },
)

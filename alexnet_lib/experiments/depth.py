"""Section 7's depth claim: AlexNet with all five convolutions against AlexNet without its fourth.

"Removing any of the middle convolutional layers results in a loss of about 2% for the top-1 performance
of the network." The arm without conv4 is `toolkits.depth.without_conv("conv4")` at the CPU scale: conv5
reads conv3's maps, every map keeps its size, and the two towers still meet at conv3. conv4 is the middle
layer taken out because conv3 is the one where the towers cross, so removing it would also cut the towers
apart; the paper does not say which layers it removed.
"""

from ..engine.recipes import RECIPES
from ..toolkits.paper_results import DEPTH_LOSS
from .runner import Arm, Claim, Experiment
from .sizes import alexnet_scales

NAME = "depth"
WHOLE, WITHOUT = "all five convolutions", "without conv4"

EXPERIMENT = Experiment(
    name=NAME,
    question="How much test accuracy does AlexNet lose when one of its middle convolutions is taken out?",
    model="alexnet_fashion",
    base_model={"lrn": False},
    arms={WHOLE: Arm(), WITHOUT: Arm({"remove": "conv4"})},
    recipe=RECIPES["fast"],
    claims=(Claim("the loss in test accuracy without conv4", WHOLE, WITHOUT, "test_acc", "difference", DEPTH_LOSS,
                  "section 7: removing any middle convolutional layer costs about 2% top-1 on ImageNet"),),
    precision="fp32",
    scales=alexnet_scales(10),
)

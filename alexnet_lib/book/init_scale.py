"""The ReLU-versus-tanh chapter's init-scale explorer: the experiment's `four_layer_net` at a chosen weight scale.

The chapter races ReLU and tanh `four_layer_net(width=16)`s from several initialisations, among them the paper's
N(0, 0.01) with a bias of 1 in the second convolution and N(0, 0.01) with every bias 0. `InitScaleExplorer`
lets the reader pick the activation, the weights' standard deviation and that bias, and shows, on ten real
Fashion-MNIST test images, what `alexnet_lib.net.activations.unit_fractions` measures layer by layer (the share of
saturated (unit, image) pairs and of dead units) and how much the activations and the logits still differ from
one image to the next. It computes in the reader's browser (`live/init_scale.js`); `init_scale_profile` is the
reference, on the same pixels and the same weights, in float64.

The weights come from the shared random stream `seed` (`live.prng.normals`), one stream for the whole network, in
this order: conv1's weight, conv2's, conv3's, then the linear layer's, each in PyTorch's own layout (out, in, kh,
kw) and (out, in); every weight is that normal times the chosen std. Every bias is 0 except conv2's, which is 1
when `conv2_bias` is on (the paper's rule, `init_weights(..., "paper")`).
"""

from __future__ import annotations

import base64
from typing import Any, Optional

import torch
from torch import nn

from ..data.fashion_mnist import CLASSES, MEAN, STD, load_fashion_mnist
from ..experiments import relu_tanh
from ..net.activations import SATURATED_SLOPE, derivative, four_layer_net
from .live import Control, LiveExplorer
from .live.prng import normals

#: The experiment's network width, read from the experiment so that the explorer shows the network it races.
WIDTH = relu_tanh.EXPERIMENT.base_model["width"]
#: `unit_fractions`' threshold: a unit whose slope is below this has stopped learning.
THRESHOLD = SATURATED_SLOPE
#: Where the spread across images is measured: the input, each activation's output, the logits.
STAGES = ("input", "conv1", "conv2", "conv3", "logits")


def first_of_each_class(labels: Optional[torch.Tensor] = None) -> list[int]:
    """The index of the first Fashion-MNIST test image of each class, class 0 first (of `labels`, or the test set's)."""
    labels = (load_fashion_mnist().test_labels if labels is None else labels).tolist()
    return [labels.index(c) for c in range(len(CLASSES))]


def batch_pixels() -> torch.Tensor:
    """The explorer's batch as uint8 pixels, (10, 28, 28): the first test image of each class."""
    data = load_fashion_mnist()
    return data.test_images[first_of_each_class(data.test_labels)].to(torch.uint8).contiguous()


def normalized(pixels: torch.Tensor) -> torch.Tensor:
    """`fashion_mnist.normalize`'s (pixel / 255 - MEAN) / STD in float64, as the browser computes it: (B, 1, 28, 28)."""
    return ((pixels.to(torch.float64) / 255 - MEAN) / STD)[:, None]


def weighted_net(activation: str, std: float, conv2_bias: bool, seed: int) -> nn.Sequential:
    """`four_layer_net(activation, WIDTH)` in float64, weights std × normals(seed) in the module's documented order."""
    net = four_layer_net(activation, WIDTH).to(torch.float64)
    layers = [m for m in net if isinstance(m, (nn.Conv2d, nn.Linear))]
    stream = torch.from_numpy(normals(seed, sum(m.weight.numel() for m in layers)))
    start = 0
    with torch.no_grad():
        for i, m in enumerate(layers):
            n = m.weight.numel()
            m.weight.copy_((stream[start:start + n] * std).view_as(m.weight))
            m.bias.fill_(1.0 if conv2_bias and i == 1 else 0.0)
            start += n
    return net


def spread(z: torch.Tensor) -> tuple[float, float]:
    """(spread, share) of a batch z (images first): the RMS over units of each unit's std across images, and that
    spread over the RMS of z itself (0 when z is all zeros): the part of z that depends on the image."""
    flat = z.reshape(z.shape[0], -1)
    across = float(flat.var(dim=0, unbiased=False).mean().sqrt())
    size = float(flat.pow(2).mean().sqrt())
    return across, (across / size if size > 0 else 0.0)


@torch.no_grad()
def init_scale_profile(activation: str, std: float, conv2_bias: bool, seed: int, x: torch.Tensor) -> dict[str, Any]:
    """Per activation layer, the saturated and dead shares on the batch x (as `unit_fractions` counts them), and
    the spread across images (`spread`) of the input, of each activation's output and of the logits."""
    net = weighted_net(activation, std, conv2_bias, seed)
    slope = derivative(activation)
    saturated, dead, spreads, shares = [], [], [], []
    h = x
    for layer in [None, *net]:
        if layer is not None:
            if isinstance(layer, (nn.ReLU, nn.Tanh)):
                stuck = slope(h) < THRESHOLD  # h is the activation's input, as unit_fractions' hook sees it
                saturated.append(float(stuck.double().mean()))
                dead.append(float(stuck.all(dim=0).double().mean()))
            h = layer(h)
        if layer is None or isinstance(layer, (nn.ReLU, nn.Tanh, nn.Linear)):
            across, share = spread(h)
            spreads.append(across)
            shares.append(share)
    return {"saturated": saturated, "dead": dead, "spread": spreads, "share": shares}


class InitScaleExplorer(LiveExplorer):
    """Activation, weight std, conv2's bias of 1 and the weights' seed of the ReLU/tanh chapter's `four_layer_net`:
    the saturated and dead shares of each layer and how much of the image still reaches the logits."""

    kind = "init_scale"
    controls = (Control("activation", "activation", "choice", options=("relu", "tanh")),
                Control("std", "weight std", "log", -3, 0, 0.25, digits=1),
                Control("conv2_bias", "bias of 1 in conv2 (the paper's)", "bool"),
                Control("seed", "weights' seed", "int", 0, 20))

    def __init__(self, activation: str = "relu", std: float = 0.01, conv2_bias: bool = True, seed: int = 0) -> None:
        self.pixels = batch_pixels()
        self.images = normalized(self.pixels)
        super().__init__(activation=activation, std=std, conv2_bias=conv2_bias, seed=seed)

    def data(self) -> dict[str, Any]:
        net = four_layer_net("relu", WIDTH)
        convs = [{"in": m.in_channels, "out": m.out_channels, "kernel": m.kernel_size[0], "padding": m.padding[0]}
                 for m in net if isinstance(m, nn.Conv2d)]
        linear = next(m for m in net if isinstance(m, nn.Linear))
        pool = next(m for m in net if isinstance(m, nn.MaxPool2d)).kernel_size  # test_live compares the JS with the net
        count, side = self.pixels.shape[0], self.pixels.shape[-1]
        return {"pixels": base64.b64encode(self.pixels.numpy().tobytes()).decode("ascii"), "count": count,
                "side": side, "mean": MEAN, "std": STD, "convs": convs,
                "linear": {"in": linear.in_features, "out": linear.out_features}, "pool": pool,
                "threshold": THRESHOLD, "stages": list(STAGES), "classes": list(CLASSES)}

    def reference(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Per layer (conv1-3) the saturated and dead shares; per stage (input, conv1-3, logits) spread and share."""
        return init_scale_profile(settings["activation"], settings["std"], settings["conv2_bias"], settings["seed"],
                                  self.images)


__all__ = ["InitScaleExplorer", "init_scale_profile", "weighted_net", "spread", "normalized", "batch_pixels",
           "first_of_each_class", "STAGES", "THRESHOLD", "WIDTH"]

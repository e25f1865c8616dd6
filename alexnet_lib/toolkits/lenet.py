"""LeNet-5 (LeCun et al. 1998), the network AlexNet grew from, and what changed between the two.

`lenet5()` builds LeNet-5 the way torchvision writes AlexNet: a `features` nn.Sequential, a flatten, then a
`classifier`. Three simplifications of the 1998 network, each stated where it is made:

- C3 reads all six S2 maps (61,706 parameters in all) where the paper's C3 reads a fixed subset of them
  through its connection table (`C3_TABLE`); `paper_parameters` counts the paper's own 60,000.
- S2 and S4 are plain 2x2 average pooling. The paper's subsampling units add up their four inputs,
  multiply the sum by a trainable coefficient, add a trainable bias and squash the result: two parameters per
  map, which average pooling does not have. Without them a second squashing after the pool would only
  repeat the one after the convolution, so it is left out.
- The output layer is an nn.Linear with ten units. The paper's output units were Euclidean radial basis
  functions, each comparing F6's 84 values with a fixed target pattern chosen by hand.

The rest is the paper's: 1x32x32 input, 5x5 kernels without padding, 6-16-120 feature maps, 84 units in F6,
and the scaled tanh 1.7159 tanh(2a/3) after every convolution and after F6.
"""

from __future__ import annotations

from typing import Optional, Sequence

import torch
from torch import nn

from .._checks import check_int
from ..net.layers import LocalResponseNorm
from ..net.model import AlexNet, AlexNetConfig, alexnet_paper, count_parameters, shape_only
from ..net.shapes import LayerTable, conv_output_size, layer_table, pool_output_size
from ..tables import Table

#: LeCun's squashing function f(a) = A tanh(S a): with these constants f(1) = 1 and f(-1) = -1.
TANH_AMPLITUDE, TANH_SLOPE = 1.7159, 2.0 / 3.0

#: The feature extractor of LeNet-5 as (name, kind, kernel, stride): three 5x5 convolutions, two 2x2 poolings.
LENET_LAYERS = (("C1", "conv", 5, 1), ("S2", "pool", 2, 2), ("C3", "conv", 5, 1), ("S4", "pool", 2, 2),
                ("C5", "conv", 5, 1))

#: Feature maps made by C1, C3 and C5, and the width of F6.
LENET_CHANNELS, LENET_F6 = (6, 16, 120), 84

#: The paper's Table I: which of S2's six maps each of C3's sixteen maps reads (six read three neighbouring
#: maps, six read four neighbouring ones, three read four maps that are not all neighbours, one reads all six).
C3_TABLE = ((0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (0, 4, 5), (0, 1, 5),
            (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (0, 3, 4, 5), (0, 1, 4, 5), (0, 1, 2, 5),
            (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
            (0, 1, 2, 3, 4, 5))


class ScaledTanh(nn.Module):
    """LeCun's sigmoid: 1.7159 tanh(2x/3), a tanh stretched so that inputs of ±1 map to ±1."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The function, element-wise."""
        return TANH_AMPLITUDE * torch.tanh(TANH_SLOPE * x)

    def extra_repr(self) -> str:
        return f"{TANH_AMPLITUDE} * tanh({TANH_SLOPE:.4g} * x)"


# ----------------------------------------------------------------------------- sizes


def lenet5_sizes(input_size: int = 32, c1_padding: int = 0) -> list[tuple[str, int]]:
    """The side of each feature map (C1, S2, C3, S4, C5) for a square input; a ValueError names a layer that
    does not fit."""
    size = check_int("input_size", input_size, 1, 4096)
    padding = check_int("c1_padding", c1_padding, 0, 64)
    sizes = []
    for name, kind, kernel, stride in LENET_LAYERS:
        try:
            if kind == "conv":
                size = conv_output_size(size, kernel, stride, padding if name == "C1" else 0)
            else:
                size = pool_output_size(size, kernel, stride)
        except ValueError as err:
            raise ValueError(f"{name} gets a {size}x{size} map: {err}") from None
        sizes.append((name, size))
    return sizes


def c1_padding_for(input_size: int, most: int = 64) -> int:
    """The smallest C1 padding with which LeNet-5's C5 output is 1x1 for a square input of `input_size`."""
    size = check_int("input_size", input_size, 1, 4096)
    for padding in range(check_int("most", most, 0, 64) + 1):
        try:
            if lenet5_sizes(size, padding)[-1][1] == 1:
                return padding
        except ValueError:  # some layer does not fit yet: more padding may fix it
            continue
    # Padding only makes the maps larger, so once C5 is wider than 1 no padding brings it back.
    try:
        unpadded = lenet5_sizes(size)[-1][1]
    except ValueError:  # too small without padding: more padding than `most` would be needed
        unpadded = 0
    why = (f"C5 is already {unpadded}x{unpadded} without padding" if unpadded > 1 else
           f"it needs more than {most}")
    raise ValueError(f"no C1 padding up to {most} gives a 1x1 C5 output for a {size}x{size} input: {why}")


# ----------------------------------------------------------------------------- the network


class LeNet5(nn.Module):
    """LeNet-5 laid out like torchvision's AlexNet; `input_size` and `c1_padding` adapt it to other inputs."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1, input_size: int = 32,
                 c1_padding: int = 0) -> None:
        super().__init__()
        self.num_classes = check_int("num_classes", num_classes, 1, 100_000)
        self.in_channels = check_int("in_channels", in_channels, 1, 64)
        self.sizes = lenet5_sizes(input_size, c1_padding)  # a ValueError here names the layer that does not fit
        self.input_size, self.c1_padding = int(input_size), int(c1_padding)
        c1, c3, c5 = LENET_CHANNELS
        self.features = nn.Sequential(
            nn.Conv2d(self.in_channels, c1, kernel_size=5, padding=self.c1_padding), ScaledTanh(),  # C1
            nn.AvgPool2d(kernel_size=2, stride=2),                                                  # S2
            nn.Conv2d(c1, c3, kernel_size=5), ScaledTanh(),                                         # C3 (full)
            nn.AvgPool2d(kernel_size=2, stride=2),                                                  # S4
            nn.Conv2d(c3, c5, kernel_size=5), ScaledTanh(),                                         # C5
        )
        side = self.sizes[-1][1]  # 1 for the paper's 32x32 input: C5's kernel then covers all of S4
        self.classifier = nn.Sequential(
            nn.Linear(c5 * side * side, LENET_F6), ScaledTanh(),  # F6
            nn.Linear(LENET_F6, self.num_classes),                # output (the paper's: RBF units)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class scores (N, num_classes) for images (N, in_channels, input_size, input_size)."""
        shape = (self.in_channels, self.input_size, self.input_size)
        if not isinstance(x, torch.Tensor) or x.dim() != 4 or tuple(x.shape[1:]) != shape or not x.is_floating_point():
            got = f"{x.dtype} of shape {tuple(x.shape)}" if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x must be a float tensor of shape (N, {', '.join(map(str, shape))}); got {got}. "
                             f"Build the network for your images with lenet5(input_size=..., c1_padding=...)")
        x = self.features(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


def lenet5(num_classes: int = 10, in_channels: int = 1, input_size: int = 32, c1_padding: int = 0) -> LeNet5:
    """LeNet-5 for 1x32x32 images and 10 classes (61,706 parameters), or adapted to another input."""
    return LeNet5(num_classes, in_channels, input_size, c1_padding)


# ----------------------------------------------------------------------------- counting


def multiply_adds(model: nn.Module, input_shape: tuple) -> int:
    """Multiply-adds for one image in one forward pass: each Conv2d/Linear output value costs one per weight it reads.

    Measured with forward hooks by `shapes.layer_table`, so the count follows the shapes the network really runs.
    """
    return layer_table(model, input_shape).total_macs


def uses_per_parameter(model: nn.Module, input_shape: tuple, layer_type: Optional[str] = None) -> float:
    """Multiply-adds per parameter for one image: over every layer, or over the layers of one type ("Conv2d")."""
    rows = [r for r in layer_table(model, input_shape).rows if layer_type is None or r.type == layer_type]
    params = sum(r.params for r in rows)
    if not params:
        raise ValueError(f"{type(model).__name__} has no parameters in layers of type {layer_type!r}")
    return sum(r.macs for r in rows) / params


def fc_parameters(n_in: int, widths: Sequence[int]) -> int:
    """Weights and biases of fully connected layers of the given widths stacked on `n_in` inputs."""
    fan_in = check_int("n_in", n_in, 1)
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence):
        raise ValueError(f"widths={widths!r} must be a list of layer widths, e.g. [84, 10]")
    total = 0
    for width in widths:
        width = check_int("widths", width, 1)
        total += width * (fan_in + 1)  # a weight per input and one bias, for every unit
        fan_in = width
    return total


def paper_parameters() -> dict[str, int]:
    """Trainable parameters per layer of the 1998 LeNet-5, counted the paper's way (60,000 in all)."""
    c1, c3, c5 = LENET_CHANNELS
    k2 = 5 * 5
    return {
        "C1": c1 * (k2 + 1),
        "S2": 2 * c1,  # one coefficient and one bias per map
        "C3": sum(len(inputs) * k2 for inputs in C3_TABLE) + c3,
        "S4": 2 * c3,
        "C5": c5 * (c3 * k2 + 1),
        "F6": LENET_F6 * (c5 + 1),
        "output": 0,  # RBF centres set by hand, not trained
    }


def parameter_comparison(model: Optional[LeNet5] = None) -> Table:
    """Per layer, the parameters of this library's LeNet-5 beside the 1998 paper's count."""
    model = lenet5() if model is None else model
    if not isinstance(model, LeNet5) or model.input_size != 32 or model.c1_padding != 0:
        raise ValueError("model must be lenet5() for 1x32x32 inputs (or None): the paper's counts are for that network")
    ours = {name: count_parameters(layer) for name, layer in zip(("C1", "C3", "C5"), _weighted(model.features))}
    ours.update({"S2": 0, "S4": 0})
    ours.update({name: count_parameters(layer) for name, layer in zip(("F6", "output"), _weighted(model.classifier))})
    paper = paper_parameters()
    why = {"S2": "trainable coefficient and bias per map", "S4": "trainable coefficient and bias per map",
           "C3": "connection table: 60 of the 96 map pairs", "output": "RBF units with hand-set targets"}
    rows = tuple((name, f"{ours[name]:,}", f"{paper[name]:,}", why.get(name, "")) for name in paper)
    footer = ("total", f"{count_parameters(model):,}", f"{sum(paper.values()):,}", "")
    return Table(("layer", "lenet5()", "paper", "why they differ"), rows, numeric=(1, 2), footer=footer)


def _weighted(sequence: nn.Sequential) -> list[nn.Module]:
    """The layers of a sequence that hold weights, in order."""
    return [m for m in sequence if isinstance(m, (nn.Conv2d, nn.Linear))]


# ----------------------------------------------------------------------------- LeNet-5 beside AlexNet


def image_shape(model: nn.Module) -> tuple[int, int, int]:
    """(channels, height, width) of one image a LeNet5 or an AlexNet was built for."""
    if isinstance(model, LeNet5):
        return model.in_channels, model.input_size, model.input_size
    if isinstance(model, AlexNet):
        c = model.config
        return c.in_channels, c.input_size, c.input_size
    raise ValueError(f"model must be a LeNet5 (lenet5()) or an AlexNet (alexnet_paper()), got {type(model).__name__}")


def network_facts(model: nn.Module) -> dict[str, str]:
    """The architectural rows of `compare_lenet_alexnet`, read from a built LeNet5 or AlexNet."""
    shape = image_shape(model)
    modules = list(model.modules())
    convs = [m for m in modules if isinstance(m, nn.Conv2d)]
    linears = [m for m in modules if isinstance(m, nn.Linear)]
    pools = [m for m in modules if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d))]
    acts = {"1.7159·tanh(2x/3)" if isinstance(m, ScaledTanh) else "ReLU" for m in modules
            if isinstance(m, (ScaledTanh, nn.ReLU))}
    pooling = sorted({f"{'max' if isinstance(m, nn.MaxPool2d) else 'average'} {m.kernel_size}×{m.kernel_size}, "
                      f"stride {m.stride}" + (" (overlapping)" if m.kernel_size > m.stride else "") for m in pools})
    norms = sum(isinstance(m, (LocalResponseNorm, nn.LocalResponseNorm)) for m in modules)
    return {
        "input": "×".join(str(v) for v in shape),
        "convolutional layers": str(len(convs)),
        "fully connected layers": str(len(linears)),
        "parameters": f"{count_parameters(model):,}",
        "multiply-adds per image": f"{multiply_adds(model, shape):,}",
        "activation": ", ".join(sorted(acts)),
        "pooling": "; ".join(pooling),
        "normalisation": f"LRN ({norms} layers)" if norms else "none",
        "dropout": "p = " + ", ".join(sorted({f"{m.p:g}" for m in modules if isinstance(m, nn.Dropout)}))
                   if any(isinstance(m, nn.Dropout) for m in modules) else "none",
    }


#: How each network was trained, as its paper reports it (LeNet-5's paper predates GPU computing altogether).
PAPER_FACTS = {
    "other regularisation": ("distorted copies of the images", "crops, flips, colour noise, weight decay"),
    "training data": ("MNIST: 60,000 images, 10 classes", "ILSVRC: 1.2 M images, 1,000 classes"),
    "hardware": ("CPUs (before GPU computing)", "2 GTX 580 GPUs (3 GB), 5-6 days"),
}


def compare_lenet_alexnet(lenet: Optional[LeNet5] = None, alexnet: Optional[AlexNet] = None) -> Table:
    """LeNet-5 (1998) beside the paper's AlexNet (2012): architecture read from the built networks, then training."""
    lenet = lenet5() if lenet is None else lenet
    alexnet = alexnet_paper() if alexnet is None else alexnet
    if not isinstance(lenet, LeNet5) or not isinstance(alexnet, AlexNet):
        raise ValueError("pass a LeNet5 first and an AlexNet second (or None for lenet5() and alexnet_paper())")
    a, b = network_facts(lenet), network_facts(alexnet)
    rows = [(key, a[key], b[key]) for key in a]
    rows += [(key, *PAPER_FACTS[key]) for key in PAPER_FACTS]
    return Table(("", "LeNet-5 (1998)", "AlexNet (2012)"), tuple(rows))


def growth_ratios(lenet: Optional[LeNet5] = None, alexnet: Optional[AlexNet] = None) -> dict[str, float]:
    """How many times LeNet-5's parameters and multiply-adds AlexNet has."""
    lenet = lenet5() if lenet is None else lenet
    alexnet = alexnet_paper() if alexnet is None else alexnet
    for name, model, kind in (("lenet", lenet, LeNet5), ("alexnet", alexnet, AlexNet)):
        if not isinstance(model, kind):
            raise ValueError(f"{name} must be a {kind.__name__} (or None), got {type(model).__name__}")
    return {"parameters": count_parameters(alexnet) / count_parameters(lenet),
            "multiply-adds": multiply_adds(alexnet, image_shape(alexnet)) / multiply_adds(lenet, image_shape(lenet))}


# ----------------------------------------------------------------------------- what conv1's stride buys


def alexnet_shapes(config: AlexNetConfig) -> LayerTable:
    """`shapes.layer_table` of the AlexNet a configuration builds, run on shapes alone (no weights allocated)."""
    if not isinstance(config, AlexNetConfig):
        raise ValueError(f"config must be an AlexNetConfig, e.g. AlexNetConfig(groups=2), got {type(config).__name__}")
    return layer_table(shape_only(config), (config.in_channels, config.input_size, config.input_size))


def alexnet_costs(config: AlexNetConfig) -> tuple[int, int]:
    """(parameters, multiply-adds per image) of the AlexNet a configuration builds, without allocating it."""
    table = alexnet_shapes(config)
    return table.total_params, table.total_macs


def conv1_stride_growth(stride: int = 1) -> dict[str, float]:
    """How many times the paper's AlexNet's parameters and multiply-adds grow with conv1's stride set to `stride`."""
    base = AlexNetConfig(groups=2)
    changed = AlexNetConfig(groups=2, conv1_stride=check_int("stride", stride, 1, 64))
    (p0, m0), (p1, m1) = alexnet_costs(base), alexnet_costs(changed)
    return {"parameters": p1 / p0, "multiply-adds": m1 / m0}


__all__ = ["TANH_AMPLITUDE", "TANH_SLOPE", "LENET_LAYERS", "LENET_CHANNELS", "LENET_F6", "C3_TABLE", "ScaledTanh",
           "lenet5_sizes", "c1_padding_for", "LeNet5", "lenet5", "multiply_adds", "fc_parameters",
           "paper_parameters", "parameter_comparison", "image_shape", "network_facts", "PAPER_FACTS",
           "compare_lenet_alexnet", "growth_ratios", "alexnet_shapes", "alexnet_costs", "conv1_stride_growth"]

"""ReLU, tanh and sigmoid, their derivatives, and how gradients fade through deep stacks of them.

AlexNet's first "unusual feature" (Krizhevsky et al. 2012, section 3.1) is the rectified linear unit
f(x) = max(0, x) in place of the saturating tanh or sigmoid. A saturating unit has a derivative close to
zero for large |x|, and backpropagation multiplies those derivatives layer after layer; `gradient_norms`
measures what that does to the gradient of each layer of a deep stack.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
from torch import nn

from .._checks import check_bool, check_choice, check_int, check_number
from ._probe import watch_inputs

#: The activations this module knows, in the order the chapters plot them.
NAMES = ("relu", "tanh", "sigmoid")
#: A unit whose slope is below this has practically stopped learning: it counts as saturated.
SATURATED_SLOPE = 0.01


def _check_tensor(x: object) -> torch.Tensor:
    """`x` if it is a non-empty floating-point tensor, else a ValueError saying how to make one."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        got = f"a {x.dtype} tensor" if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"x must be a floating-point tensor, got {got}; make one with torch.tensor(values, "
                         f"dtype=torch.float32)")
    if x.numel() == 0:
        raise ValueError("x is empty: give at least one value")
    return x


def relu(x: torch.Tensor) -> torch.Tensor:
    """max(0, x), element-wise."""
    _check_tensor(x)
    return torch.clamp(x, min=0)


def relu_grad(x: torch.Tensor) -> torch.Tensor:
    """Derivative of ReLU: 1 where x > 0, else 0 (PyTorch's convention at x = 0, too)."""
    _check_tensor(x)
    return (x > 0).to(x.dtype)


def tanh_grad(x: torch.Tensor) -> torch.Tensor:
    """Derivative of tanh: 1 - tanh(x)^2, at most 1 (at x = 0)."""
    _check_tensor(x)
    return 1 - torch.tanh(x) ** 2


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """The logistic function 1 / (1 + exp(-x))."""
    _check_tensor(x)
    return torch.sigmoid(x)


def sigmoid_grad(x: torch.Tensor) -> torch.Tensor:
    """Derivative of the sigmoid: s(x) (1 - s(x)), at most 1/4 (at x = 0)."""
    _check_tensor(x)
    s = torch.sigmoid(x)
    return s * (1 - s)


FUNCTIONS: dict[str, tuple[Callable[[torch.Tensor], torch.Tensor], Callable[[torch.Tensor], torch.Tensor]]] = {
    "relu": (relu, relu_grad),
    "tanh": (lambda x: torch.tanh(_check_tensor(x)), tanh_grad),
    "sigmoid": (sigmoid, sigmoid_grad),
}


def _check_name(name: object) -> str:
    return str(check_choice("activation", name, NAMES))


def activation(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """The function called `name` ('relu', 'tanh' or 'sigmoid')."""
    return FUNCTIONS[_check_name(name)][0]


def derivative(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """The derivative of the activation called `name`."""
    return FUNCTIONS[_check_name(name)][1]


def module(name: str, inplace: bool = False) -> nn.Module:
    """A fresh nn.Module for the activation called `name` (`inplace` saves memory for ReLU, as torchvision does)."""
    name = _check_name(name)
    check_bool("inplace", inplace)
    return nn.ReLU(inplace=inplace) if name == "relu" else {"tanh": nn.Tanh, "sigmoid": nn.Sigmoid}[name]()


def saturated_fraction(name: str, x: torch.Tensor, threshold: float = SATURATED_SLOPE) -> float:
    """Fraction of the inputs `x` at which the slope of `name` is below `threshold` (the unit has stopped learning)."""
    check_number("threshold", threshold, 0.0, 1.0)
    return float((derivative(name)(x) < threshold).to(torch.float32).mean())


def deep_stack(name: str, depth: int = 20, width: int = 256, weight_scale: float = 1.0,
               seed: int = 0) -> nn.Sequential:
    """`depth` blocks of Linear(width, width) then the activation, weights N(0, weight_scale^2 / width), biases 0.

    With weight_scale = 1 a linear layer keeps the variance of its input (LeCun's scaling); ReLU zeroes half
    of its inputs, so it needs weight_scale = sqrt(2) (He's scaling) to do the same.
    """
    _check_name(name)
    # Bounded so that a widget or a typo cannot ask for gigabytes of weights.
    check_int("depth", depth, 1, 1000)
    check_int("seed", seed, 0)
    check_int("width", width, 1, 8192)
    check_number("weight_scale", weight_scale, 0.0, 100.0, low_open=True,
                 hint=" (1 keeps a linear layer's variance; try values between 0.5 and 3)")
    g = torch.Generator().manual_seed(seed)
    layers: list[nn.Module] = []
    for _ in range(depth):
        linear = nn.Linear(width, width)
        with torch.no_grad():
            linear.weight.normal_(0.0, weight_scale / math.sqrt(width), generator=g)
            linear.bias.zero_()
        layers += [linear, module(name)]
    return nn.Sequential(*layers)


def gradient_norms(name: str, depth: int = 20, width: int = 256, weight_scale: float = 1.0, batch: int = 64,
                   seed: int = 0) -> list[float]:
    """Norm of the loss gradient reaching each layer (w.r.t. its pre-activation), first (input) layer first.

    A seeded batch x ~ N(0, 1) goes through `deep_stack(...)`; the loss is half the squared distance of the
    output to seeded random targets, summed over the units and averaged over the batch, so the top layer
    receives an ordinary, non-zero gradient and everything below it shows how much of it survives the trip
    down. The gradient with respect to a layer's pre-activation is also the gradient of its bias, and the
    weight gradient is it times the layer's input.
    """
    check_int("batch", batch, 1, 100_000)
    check_int("seed", seed, 0)
    net = deep_stack(name, depth, width, weight_scale, seed)
    g = torch.Generator().manual_seed(seed + 1)
    x = torch.randn(batch, width, generator=g)
    target = torch.randn(batch, width, generator=g)
    return stack_gradient_norms(net, x, target)


def stack_gradient_norms(net: nn.Sequential, x: torch.Tensor, target: torch.Tensor) -> list[float]:
    """Norm of the gradient at each Linear layer's pre-activation of `net` for inputs `x` (batch first), under
    the loss of `gradient_norms`: half the squared distance of the output to `target`, averaged over the batch."""
    batch = x.shape[0]
    pre: list[torch.Tensor] = []
    h = x
    for layer in net:
        h = layer(h)
        if isinstance(layer, nn.Linear):
            h.retain_grad()
            pre.append(h)
    loss = 0.5 * ((h - target) ** 2).sum() / batch
    loss.backward()
    return [float(z.grad.norm()) for z in pre]


def gradient_ratio(norms: list[float]) -> float:
    """How many times smaller the first layer's gradient is than the last layer's (inf if it is exactly 0)."""
    if len(norms) < 1:
        raise ValueError("norms is empty: pass the list that gradient_norms returns")
    return math.inf if norms[0] == 0 else norms[-1] / norms[0]


#: The weight scales the chapter's widget offers around LeCun's 1 and He's sqrt(2).
PROBE_SCALES = (0.5, 1.0, 1.41, 2.0)


def keeps_gradient(name: str, weight_scale: float, depth: int = 20, factor: float = 10.0) -> bool:
    """Whether a `depth`-layer stack keeps its first layer's gradient within `factor` of its last layer's."""
    check_number("factor", factor, 1.0, 1e12)
    norms = gradient_norms(name, depth=depth, weight_scale=weight_scale)
    return norms[-1] / factor <= norms[0] <= norms[-1] * factor


def unit_fractions(model: nn.Module, x: torch.Tensor, threshold: float = SATURATED_SLOPE) -> dict[str, float]:
    """How many units of `model`'s ReLU/tanh layers have stopped passing gradient, on the batch `x` (eval mode).

    "saturated": the share of (unit, image) pairs whose slope is below `threshold` (for ReLU, an inactive
    unit; for tanh, one on its flat tails); "dead": the share of units (channel x position) whose slope is
    below `threshold` on every image of the batch, so no image of it teaches them anything.
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model={model!r} must be a torch.nn.Module")
    check_number("threshold", threshold, 0.0, 1.0)
    kinds = {nn.ReLU: "relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid"}
    slopes: list[torch.Tensor] = []

    def keep(name: str) -> Callable[[torch.Tensor], None]:
        return lambda z: slopes.append(derivative(name)(z.float()) < threshold)

    watchers = [(m, keep(kinds[type(m)])) for m in model.modules() if type(m) in kinds]
    if not watchers:
        raise ValueError(f"{type(model).__name__} has no nn.ReLU, nn.Tanh or nn.Sigmoid layer to measure")
    watch_inputs(model, x, watchers)
    units = sum(s[0].numel() for s in slopes)
    saturated = sum(float(s.float().sum()) for s in slopes) / sum(s.numel() for s in slopes)
    dead = sum(float(s.all(dim=0).float().sum()) for s in slopes) / units
    return {"saturated": saturated, "dead": dead}


def four_layer_net(activation: str = "relu", width: int = 32) -> nn.Sequential:
    """A small four-layer convnet for 1x28x28 inputs: three conv+pool blocks and a linear classifier.

    Channels `width`, 2*width, 2*width; 5x5, 5x5, 3x3 kernels with 'same' padding; 2x2 max-pooling after each
    (28 -> 14 -> 7 -> 3); no normalisation and no dropout, as in the paper's Figure 1 ("no regularization").
    """
    check_int("width", width, 1, 1024)
    act = lambda: module(activation)  # noqa: E731  (validates the name)
    w1, w2 = width, 2 * width
    return nn.Sequential(
        nn.Conv2d(1, w1, 5, padding=2), act(), nn.MaxPool2d(2),
        nn.Conv2d(w1, w2, 5, padding=2), act(), nn.MaxPool2d(2),
        nn.Conv2d(w2, w2, 3, padding=1), act(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(w2 * 3 * 3, 10),
    )

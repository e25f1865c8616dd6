"""One readable AlexNet and the configurations that rebuild the paper's, torchvision's and d2l's versions."""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass
from typing import Optional

import torch
from torch import nn

from .layers import PAPER_LRN, LocalResponseNorm
from .shapes import conv_output_size, pool_output_size

ACTIVATIONS = ("relu", "tanh", "sigmoid")
INITS = ("paper", "xavier", "kaiming", "torch")

# The paper splits these convolutions across its two GPUs (0-based index among the five).
_GROUPED = (1, 3, 4)


def _int(name: str, value: object, minimum: int) -> int:
    """`value` as an int >= minimum, or a ValueError naming the field."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name}={value!r} must be an integer >= {minimum}")
    return int(value)


@dataclass(frozen=True)
class AlexNetConfig:
    """Every choice that distinguishes one AlexNet from another; the defaults are the 2012 paper's."""

    in_channels: int = 3
    num_classes: int = 1000
    input_size: int = 227
    channels: tuple = (96, 256, 384, 384, 256)
    conv1_kernel: int = 11
    conv1_stride: int = 4
    conv1_padding: int = 0
    groups: int = 1
    activation: str = "relu"
    lrn: bool = True
    pool_kernel: int = 3
    pool_stride: int = 2
    hidden: int = 4096
    dropout: float = 0.5
    dropout_before_linear: bool = False
    avgpool: Optional[int] = None
    init: str = "paper"

    def __post_init__(self) -> None:
        for name, minimum in (("in_channels", 1), ("num_classes", 1), ("input_size", 1), ("conv1_kernel", 1),
                              ("conv1_stride", 1), ("conv1_padding", 0), ("pool_kernel", 1), ("pool_stride", 1),
                              ("hidden", 1)):
            _int(name, getattr(self, name), minimum)
        if not isinstance(self.channels, (tuple, list)) or len(self.channels) != 5:
            raise ValueError(f"channels={self.channels!r} must be five integers, the outputs of conv1..conv5")
        object.__setattr__(self, "channels", tuple(_int("channels", c, 1) for c in self.channels))
        if isinstance(self.groups, bool) or not isinstance(self.groups, numbers.Integral) or self.groups not in (1, 2):
            raise ValueError(f"groups={self.groups!r} must be 1 (one GPU) or 2 (the paper's two-GPU split)")
        uneven = [c for c in self.channels if c % self.groups]
        if uneven:
            raise ValueError(f"channels={self.channels} must all be divisible by groups={self.groups}; "
                             f"{uneven} are not")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation={self.activation!r} must be one of {ACTIVATIONS}")
        if self.init not in INITS:
            raise ValueError(f"init={self.init!r} must be one of {INITS}")
        for name in ("lrn", "dropout_before_linear"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name}={getattr(self, name)!r} must be True or False")
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, numbers.Real) or not 0 <= self.dropout < 1:
            raise ValueError(f"dropout={self.dropout!r} must be a probability in [0, 1) (0 leaves dropout out)")
        if self.avgpool is not None:
            _int("avgpool", self.avgpool, 1)
        self._check_input_size()

    def _check_input_size(self) -> None:
        """Walk the layers now, so that an input that is too small fails here and not in forward."""
        _ = self.feature_sizes

    @property
    def feature_sizes(self) -> tuple[int, ...]:
        """Spatial size after conv1, pool1, conv2, pool2, conv3, conv4, conv5 and pool3."""
        try:
            return self._walk(self.input_size)
        except ValueError as err:
            smallest = next((s for s in range(1, 10_000) if self._fits(s)), None)
            hint = (f"the smallest input_size that works is {smallest}" if smallest
                    else "no input_size below 10,000 works")
            raise ValueError(f"input_size={self.input_size} is too small for this network ({err}); {hint}") from None

    def _walk(self, size: int) -> tuple[int, ...]:
        """The spatial sizes for an input of `size`; a ValueError names the first layer that does not fit."""
        p = (self.pool_kernel, self.pool_stride)
        layers = [("conv1", conv_output_size, (self.conv1_kernel, self.conv1_stride, self.conv1_padding)),
                  ("pool1", pool_output_size, p),
                  ("conv2", conv_output_size, (5, 1, 2)),
                  ("pool2", pool_output_size, p),
                  ("conv3", conv_output_size, (3, 1, 1)),
                  ("conv4", conv_output_size, (3, 1, 1)),
                  ("conv5", conv_output_size, (3, 1, 1)),
                  ("pool3", pool_output_size, p)]
        sizes = []
        for name, formula, args in layers:
            try:
                size = formula(size, *args)
            except ValueError as err:
                raise ValueError(f"{name} gets a {size}x{size} input: {err}") from None
            sizes.append(size)
        return tuple(sizes)

    def _fits(self, size: int) -> bool:
        """Whether an input of `size` survives every layer."""
        try:
            self._walk(size)
            return True
        except ValueError:
            return False

    @property
    def feature_size(self) -> int:
        """Spatial size after the last pooling layer."""
        return self.feature_sizes[-1]

    @property
    def flatten_features(self) -> int:
        """How many numbers enter the first fully connected layer."""
        side = self.avgpool if self.avgpool is not None else self.feature_size
        return self.channels[4] * side * side


def _activation(name: str) -> nn.Module:
    """A fresh activation module."""
    return {"relu": lambda: nn.ReLU(inplace=True), "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}[name]()


class AlexNet(nn.Module):
    """AlexNet as in Krizhevsky et al. (2012), configurable into its later one-GPU variants."""

    def __init__(self, config: Optional[AlexNetConfig] = None) -> None:
        super().__init__()
        if config is None:
            config = AlexNetConfig()
        if not isinstance(config, AlexNetConfig):
            raise ValueError(f"config={config!r} must be an AlexNetConfig")
        self.config = c = config
        ch = c.channels
        g = c.groups

        def lrn() -> list[nn.Module]:
            return [LocalResponseNorm(**PAPER_LRN)] if c.lrn else []

        def pool() -> nn.Module:
            return nn.MaxPool2d(kernel_size=c.pool_kernel, stride=c.pool_stride)

        self.features = nn.Sequential(
            nn.Conv2d(c.in_channels, ch[0], kernel_size=c.conv1_kernel, stride=c.conv1_stride,
                      padding=c.conv1_padding),
            _activation(c.activation),
            *lrn(),
            pool(),
            nn.Conv2d(ch[0], ch[1], kernel_size=5, padding=2, groups=g),
            _activation(c.activation),
            *lrn(),
            pool(),
            nn.Conv2d(ch[1], ch[2], kernel_size=3, padding=1),  # the paper's one cross-GPU convolution
            _activation(c.activation),
            nn.Conv2d(ch[2], ch[3], kernel_size=3, padding=1, groups=g),
            _activation(c.activation),
            nn.Conv2d(ch[3], ch[4], kernel_size=3, padding=1, groups=g),
            _activation(c.activation),
            pool(),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((c.avgpool, c.avgpool)) if c.avgpool is not None else None

        def hidden(in_features: int) -> list[nn.Module]:
            drop = [nn.Dropout(p=c.dropout)] if c.dropout > 0 else []
            layers = [nn.Linear(in_features, c.hidden), _activation(c.activation)]
            return drop + layers if c.dropout_before_linear else layers + drop

        self.classifier = nn.Sequential(
            *hidden(c.flatten_features),
            *hidden(c.hidden),
            nn.Linear(c.hidden, c.num_classes),
        )
        init_weights(self, c.init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class scores (N, num_classes) for images (N, in_channels, input_size, input_size)."""
        c = self.config
        if (not isinstance(x, torch.Tensor) or x.dim() != 4 or x.shape[1] != c.in_channels
                or x.shape[2] != c.input_size or x.shape[3] != c.input_size):
            got = f"shape {tuple(x.shape)}" if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x must have shape (N, {c.in_channels}, {c.input_size}, {c.input_size}); got {got}. "
                             f"Resize the images to {c.input_size}x{c.input_size} with {c.in_channels} "
                             f"channel(s), or build the model with a matching input_size/in_channels")
        x = self.features(x)
        if self.avgpool is not None:
            x = self.avgpool(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


# ----------------------------------------------------------------------------- initialisation


def _fans(weight: torch.Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a Linear or Conv2d weight."""
    receptive = math.prod(weight.shape[2:])
    return weight.shape[1] * receptive, weight.shape[0] * receptive


def init_weights(model: nn.Module, scheme: str, generator: Optional[torch.Generator] = None) -> None:
    """Re-initialise every Conv2d and Linear of `model` in place with one of INITS.

    - "paper": weights N(0, 0.01); biases 1 in conv2, conv4, conv5 and the hidden fully connected
      layers (so their ReLUs start with positive inputs), 0 elsewhere. Layers are found by order:
      the 2nd, 4th and 5th Conv2d and every Linear but the last.
    - "xavier": Xavier/Glorot uniform weights, zero biases (what d2l's training code uses).
    - "kaiming": Kaiming-normal conv weights for ReLU with mode="fan_out" and N(0, 0.01) linear
      weights, zero biases: torchvision's VGG initialisation, a close cousin of AlexNet.
    - "torch": PyTorch's own defaults, by calling each layer's reset_parameters().
    """
    if scheme not in INITS:
        raise ValueError(f"scheme={scheme!r} must be one of {INITS}")
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    with torch.no_grad():
        if scheme == "torch":
            # reset_parameters takes no generator, so a given one seeds a private copy of the global RNG.
            seed = None if generator is None else int(torch.randint(2**62, (1,), generator=generator))
            with torch.random.fork_rng(devices=[], enabled=seed is not None):
                if seed is not None:
                    torch.manual_seed(seed)
                for m in convs + linears:
                    m.reset_parameters()
            return
        for i, m in enumerate(convs):
            fan_in, fan_out = _fans(m.weight)
            if scheme == "paper":
                m.weight.normal_(0.0, 0.01, generator=generator)
            elif scheme == "xavier":
                bound = math.sqrt(6.0 / (fan_in + fan_out))
                m.weight.uniform_(-bound, bound, generator=generator)
            else:
                m.weight.normal_(0.0, math.sqrt(2.0 / fan_out), generator=generator)
            if m.bias is not None:
                m.bias.fill_(1.0 if scheme == "paper" and i in _GROUPED else 0.0)
        for i, m in enumerate(linears):
            if scheme == "xavier":
                fan_in, fan_out = _fans(m.weight)
                bound = math.sqrt(6.0 / (fan_in + fan_out))
                m.weight.uniform_(-bound, bound, generator=generator)
            else:
                m.weight.normal_(0.0, 0.01, generator=generator)
            if m.bias is not None:
                m.bias.fill_(1.0 if scheme == "paper" and i < len(linears) - 1 else 0.0)


# ----------------------------------------------------------------------------- named versions


def alexnet_paper(num_classes: int = 1000) -> AlexNet:
    """The 2012 paper's network: 3x227x227 input, two-GPU groups, LRN, overlapping pooling; 60,965,224 params."""
    return AlexNet(AlexNetConfig(num_classes=num_classes, groups=2))


def alexnet_torchvision(num_classes: int = 1000) -> AlexNet:
    """torchvision's one-GPU AlexNet: 64-192-384-256-256 channels, 224 input, no LRN; 61,100,840 params."""
    return AlexNet(AlexNetConfig(num_classes=num_classes, input_size=224, channels=(64, 192, 384, 256, 256),
                                 conv1_padding=2, lrn=False, avgpool=6, dropout_before_linear=True, init="torch"))


def alexnet_d2l(num_classes: int = 10, in_channels: int = 1) -> AlexNet:
    """Dive into Deep Learning's Fashion-MNIST AlexNet: 1x224x224 input, no LRN, 6400 flat features."""
    return AlexNet(AlexNetConfig(in_channels=in_channels, num_classes=num_classes, input_size=224,
                                 conv1_padding=1, lrn=False, init="xavier"))


_FASHION = dict(in_channels=1, num_classes=10, input_size=227, groups=1, lrn=True, pool_kernel=3, pool_stride=2,
                dropout=0.5, init="paper")


def alexnet_fashion(**overrides: object) -> AlexNet:
    """The paper's network on Fashion-MNIST (1 channel, 10 classes, 227 input, one GPU), with field overrides."""
    fields = {f.name for f in dataclasses.fields(AlexNetConfig)}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise ValueError(f"unknown AlexNetConfig field(s) {unknown}; valid fields are {sorted(fields)}")
    return AlexNet(AlexNetConfig(**{**_FASHION, **overrides}))


def count_parameters(model: nn.Module) -> int:
    """All parameters of `model`, trainable or not."""
    return sum(p.numel() for p in model.parameters())

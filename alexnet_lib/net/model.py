"""One readable AlexNet and the configurations that rebuild the paper's, torchvision's and d2l's versions."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import asdict, dataclass
from typing import Optional

import torch
from torch import nn

from .._checks import check_bool, check_choice, check_int, check_number, check_probability
from .activations import NAMES
from .activations import module as activation_module
from .layers import PAPER_LRN, LocalResponseNorm
from .shapes import conv_output_size, pool_output_size

INITS = ("paper", "gaussian", "xavier", "kaiming", "torch", "saturating")

#: The "saturating" init draws weights N(0, (SATURATING_GAIN / sqrt(fan_in))^2): pre-activations of spread ~3, where
#: a tanh unit sits on its flat tails.
SATURATING_GAIN = 3.0

# The paper's init gives these convolutions (0-based among the five) a bias of 1, so their ReLUs start active.
_BIAS_ONE_CONVS = (1, 3, 4)


@dataclass(frozen=True)
class LayerSpec:
    """One layer of the feature extractor: what `AlexNet` builds and what every size calculation reads."""

    name: str  # conv1..conv5, pool1..pool3
    kind: str  # "conv" or "pool"
    kernel: int
    stride: int
    padding: int
    in_channels: int = 0  # convolutions only
    out_channels: int = 0
    groups: int = 1


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
    lrn_alpha: float = PAPER_LRN.alpha  # the paper's 1e-4; 0 leaves LRN a constant division by k**beta
    pool_kernel: int = 3
    pool_stride: int = 2
    pool_ceil_mode: bool = False
    hidden: int = 4096
    dropout: float = 0.5
    dropout_before_linear: bool = False
    avgpool: Optional[int] = None
    init: str = "paper"

    def __post_init__(self) -> None:
        for name, minimum in (("in_channels", 1), ("num_classes", 1), ("input_size", 1), ("conv1_kernel", 1),
                              ("conv1_stride", 1), ("conv1_padding", 0), ("pool_kernel", 1), ("pool_stride", 1),
                              ("hidden", 1)):
            check_int(name, getattr(self, name), minimum)
        # Upper bounds keep a typo from asking for terabytes before anything can say so.
        check_int("input_size", self.input_size, 1, 4096)
        check_int("hidden", self.hidden, 1, 65536)
        check_int("in_channels", self.in_channels, 1, 64)
        check_int("num_classes", self.num_classes, 1, 100_000)
        for name in ("conv1_kernel", "conv1_stride", "pool_kernel", "pool_stride"):
            check_int(name, getattr(self, name), 1, 64)
        check_int("conv1_padding", self.conv1_padding, 0, 64)
        if not isinstance(self.channels, (tuple, list)) or len(self.channels) != 5:
            raise ValueError(f"channels={self.channels!r} must be five integers, the outputs of conv1..conv5")
        object.__setattr__(self, "channels", tuple(check_int("channels", c, 1, 8192) for c in self.channels))
        check_int("groups", self.groups, 1, 2, hint=" (1: one GPU, 2: the paper's two-GPU split)")
        uneven = [c for c in self.channels if c % self.groups]
        if uneven:
            raise ValueError(f"channels={self.channels} must all be divisible by groups={self.groups}; "
                             f"{uneven} are not")
        check_choice("activation", self.activation, NAMES)
        check_choice("init", self.init, INITS)
        for name in ("lrn", "dropout_before_linear", "pool_ceil_mode"):
            check_bool(name, getattr(self, name))
        check_probability("dropout", self.dropout, hint=" (0 leaves dropout out)")
        check_number("lrn_alpha", self.lrn_alpha, 0.0, 1e6, hint=" (the paper's is 1e-4)")
        if self.avgpool is not None:
            check_int("avgpool", self.avgpool, 1, 64)
        _ = self.feature_sizes  # an input that is too small fails here, not in forward

    @property
    def layers(self) -> tuple[LayerSpec, ...]:
        """The eight layers of the feature extractor in execution order: five convolutions, three max-pools."""
        ch, g = self.channels, self.groups
        pool = lambda name: LayerSpec(name, "pool", self.pool_kernel, self.pool_stride, 0)  # noqa: E731
        return (
            LayerSpec("conv1", "conv", self.conv1_kernel, self.conv1_stride, self.conv1_padding, self.in_channels,
                      ch[0]),
            pool("pool1"),
            LayerSpec("conv2", "conv", 5, 1, 2, ch[0], ch[1], g),
            pool("pool2"),
            LayerSpec("conv3", "conv", 3, 1, 1, ch[1], ch[2]),  # the paper's one cross-GPU convolution
            LayerSpec("conv4", "conv", 3, 1, 1, ch[2], ch[3], g),
            LayerSpec("conv5", "conv", 3, 1, 1, ch[3], ch[4], g),
            pool("pool3"),
        )

    @property
    def feature_sizes(self) -> tuple[int, ...]:
        """Spatial size after conv1, pool1, conv2, pool2, conv3, conv4, conv5 and pool3."""
        try:
            return self._walk(self.input_size)
        except ValueError as err:
            smallest = next((s for s in range(1, 4097) if self._fits(s)), None)
            hint = (f"the smallest input_size that works is {smallest}" if smallest
                    else "no input_size up to 4096 works")
            raise ValueError(f"input_size={self.input_size} is too small for this network ({err}); {hint}") from None

    def _walk(self, size: int) -> tuple[int, ...]:
        """The spatial sizes for an input of `size`; a ValueError names the first layer that does not fit."""
        sizes = []
        for spec in self.layers:
            try:
                if spec.kind == "conv":
                    size = conv_output_size(size, spec.kernel, spec.stride, spec.padding)
                else:
                    size = pool_output_size(size, spec.kernel, spec.stride, ceil_mode=self.pool_ceil_mode)
            except ValueError as err:
                raise ValueError(f"{spec.name} gets a {size}x{size} input: {err}") from None
            sizes.append(size)
        return tuple(sizes)

    def _fits(self, size: int) -> bool:
        """Whether an input of `size` survives every layer."""
        try:
            self._walk(size)
            return True
        except ValueError:
            return False

    def size_after(self, name: str) -> int:
        """Spatial size after the layer called `name` ('conv1' ... 'pool3')."""
        sizes = dict(zip((spec.name for spec in self.layers), self.feature_sizes))
        return sizes[check_choice("name", name, sizes)]

    @property
    def feature_size(self) -> int:
        """Spatial size after the last pooling layer."""
        return self.feature_sizes[-1]

    @property
    def flatten_features(self) -> int:
        """How many numbers enter the first fully connected layer."""
        side = self.avgpool if self.avgpool is not None else self.feature_size
        return self.channels[4] * side * side


class AlexNet(nn.Module):
    """AlexNet as in Krizhevsky et al. (2012), configurable into its later one-GPU variants."""

    def __init__(self, config: Optional[AlexNetConfig] = None) -> None:
        super().__init__()
        if config is None:
            config = AlexNetConfig()
        if not isinstance(config, AlexNetConfig):
            raise ValueError(f"config={config!r} must be an AlexNetConfig")
        self.config = c = config
        spec = {s.name: s for s in c.layers}

        def conv(name: str) -> nn.Conv2d:
            s = spec[name]
            return nn.Conv2d(s.in_channels, s.out_channels, s.kernel, stride=s.stride, padding=s.padding,
                             groups=s.groups)

        def pool(name: str) -> nn.MaxPool2d:
            return nn.MaxPool2d(spec[name].kernel, spec[name].stride, ceil_mode=c.pool_ceil_mode)

        def act() -> nn.Module:
            return activation_module(c.activation, inplace=True)

        def lrn() -> list[nn.Module]:
            return [LocalResponseNorm(**{**asdict(PAPER_LRN), "alpha": c.lrn_alpha})] if c.lrn else []

        self.features = nn.Sequential(
            conv("conv1"), act(), *lrn(), pool("pool1"),
            conv("conv2"), act(), *lrn(), pool("pool2"),
            conv("conv3"), act(),
            conv("conv4"), act(),
            conv("conv5"), act(),
            pool("pool3"),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((c.avgpool, c.avgpool)) if c.avgpool is not None else None

        def hidden(in_features: int) -> list[nn.Module]:
            drop = [nn.Dropout(p=c.dropout)] if c.dropout > 0 else []
            layers = [nn.Linear(in_features, c.hidden), act()]
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
                or x.shape[2] != c.input_size or x.shape[3] != c.input_size or not x.is_floating_point()):
            got = f"{x.dtype} of shape {tuple(x.shape)}" if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x must be a float tensor of shape (N, {c.in_channels}, {c.input_size}, "
                             f"{c.input_size}); got {got}. Convert uint8 pixels with x.float() / 255, "
                             f"resize the images to {c.input_size}x{c.input_size} with {c.in_channels} "
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
    - "gaussian": weights N(0, 0.01), every bias 0: the paper's Gaussian without its biases of 1. The four-layer
      CIFAR-10 net in the authors' released code (layers-cifar/layers-18pct.cfg) starts so, but for a first
      layer of N(0, 1e-4).
    - "xavier": Xavier/Glorot uniform weights, zero biases (what d2l's training code uses).
    - "kaiming": Kaiming-normal conv weights for ReLU with mode="fan_out" and N(0, 0.01) linear
      weights, zero biases: torchvision's VGG initialisation, a close cousin of AlexNet.
    - "torch": PyTorch's own defaults, by calling each layer's reset_parameters().
    - "saturating": every weight N(0, (SATURATING_GAIN / sqrt(fan_in))^2), zero biases: pre-activations
      about three times the spread of their inputs, so tanh units start on their flat tails.
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model={model!r} must be a torch.nn.Module, e.g. alexnet_d2l()")
    check_choice("scheme", scheme, INITS)
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
            if scheme in ("paper", "gaussian"):
                m.weight.normal_(0.0, 0.01, generator=generator)
            elif scheme == "saturating":
                m.weight.normal_(0.0, SATURATING_GAIN / math.sqrt(fan_in), generator=generator)
            elif scheme == "xavier":
                bound = math.sqrt(6.0 / (fan_in + fan_out))
                m.weight.uniform_(-bound, bound, generator=generator)
            else:
                m.weight.normal_(0.0, math.sqrt(2.0 / fan_out), generator=generator)
            if m.bias is not None:
                m.bias.fill_(1.0 if scheme == "paper" and i in _BIAS_ONE_CONVS else 0.0)
        for i, m in enumerate(linears):
            fan_in, fan_out = _fans(m.weight)
            if scheme == "xavier":
                bound = math.sqrt(6.0 / (fan_in + fan_out))
                m.weight.uniform_(-bound, bound, generator=generator)
            elif scheme == "saturating":
                m.weight.normal_(0.0, SATURATING_GAIN / math.sqrt(fan_in), generator=generator)
            else:
                m.weight.normal_(0.0, 0.01, generator=generator)
            if m.bias is not None:
                m.bias.fill_(1.0 if scheme == "paper" and i < len(linears) - 1 else 0.0)


# ----------------------------------------------------------------------------- named versions


def paper_config(config: object = None, num_classes: int = 1000) -> AlexNetConfig:
    """The paper's network as a config (`config` itself when one is given, checked to be an AlexNetConfig)."""
    if config is None:
        return AlexNetConfig(num_classes=num_classes, groups=2)
    if not isinstance(config, AlexNetConfig):
        raise ValueError(f"config must be an AlexNetConfig (or None for the paper's), got {type(config).__name__}")
    return config


def alexnet_paper(num_classes: int = 1000) -> AlexNet:
    """The 2012 paper's network: 3x227x227 input, two-GPU groups, LRN, overlapping pooling; 60,965,224 params."""
    return AlexNet(paper_config(num_classes=num_classes))


def alexnet_torchvision(num_classes: int = 1000) -> AlexNet:
    """torchvision's one-GPU AlexNet: 64-192-384-256-256 channels, 224 input, no LRN; 61,100,840 params."""
    return AlexNet(AlexNetConfig(num_classes=num_classes, input_size=224, channels=(64, 192, 384, 256, 256),
                                 conv1_padding=2, lrn=False, avgpool=6, dropout_before_linear=True, init="torch"))


def alexnet_d2l(num_classes: int = 10, in_channels: int = 1, dropout: float = 0.5) -> AlexNet:
    """Dive into Deep Learning's Fashion-MNIST AlexNet: 1x224x224 input, no LRN, 6400 flat features."""
    return AlexNet(AlexNetConfig(in_channels=in_channels, num_classes=num_classes, input_size=224,
                                 conv1_padding=1, lrn=False, init="xavier", dropout=dropout))


def fashion_config(**overrides: object) -> AlexNetConfig:
    """The paper's configuration for Fashion-MNIST (1 channel, 10 classes, 227 input, one GPU), with field overrides."""
    fields = {f.name for f in dataclasses.fields(AlexNetConfig)}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise ValueError(f"unknown AlexNetConfig field(s) {unknown}; valid fields are {sorted(fields)}")
    return AlexNetConfig(**{"in_channels": 1, "num_classes": 10, "input_size": 227, **overrides})


def alexnet_fashion(**overrides: object) -> AlexNet:
    """The paper's network on Fashion-MNIST (1 channel, 10 classes, 227 input, one GPU), with field overrides."""
    return AlexNet(fashion_config(**overrides))


def shape_only(config: AlexNetConfig) -> AlexNet:
    """An AlexNet whose tensors have shapes but no storage: counting a 700-million-parameter variant costs nothing."""
    with torch.device("meta"):
        return AlexNet(config)


def count_parameters(model: nn.Module) -> int:
    """All parameters of `model`, trainable or not."""
    if not isinstance(model, nn.Module):
        raise ValueError(f"model={model!r} must be a torch.nn.Module, e.g. alexnet_d2l()")
    return sum(p.numel() for p in model.parameters())

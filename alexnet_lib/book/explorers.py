"""The building-block chapters' explorers: output size, ReLU versus tanh, dropout, LRN and pooling.

Each one computes in the reader's browser (`alexnet_lib.book.live`), so it answers on the book's static pages as
well as in Jupyter and Colab. Its `reference(settings)` is what the page must show for a setting, computed here
by the library's own functions; tests compare the two. Importing this module loads no part of the training
engine, the data or the experiments.
"""

from __future__ import annotations

import math
from typing import Any, Optional

import torch
from torch import nn

from ..net.activations import NAMES, gradient_ratio, module, stack_gradient_norms
from ..net.layers import PAPER_LRN
from ..net.shapes import conv_arithmetic, pool_output_size
from ..toolkits.lrn import _profile, lrn_denominator, lrn_profile
from ..toolkits.pooling import overlap, pool_coverage
from .live import Control, LiveExplorer, finite
from .live.prng import normals, uniforms


def _impossible(error: ValueError) -> dict[str, Any]:
    return {"error": str(error)}


class OutputSizeExplorer(LiveExplorer):
    """Sliders for W, K, S, P and an optional max-pool: the output size, the windows, or a red error."""

    kind = "output_size"
    controls = (Control("size", "input W", "int", 1, 256), Control("kernel", "kernel K", "int", 1, 15),
                Control("stride", "stride S", "int", 1, 8), Control("padding", "padding P", "int", 0, 8),
                Control("use_pool", "then max-pool", "bool"), Control("pool_kernel", "pool window z", "int", 1, 5),
                Control("pool_stride", "pool stride s", "int", 1, 4))

    def __init__(self, size: int = 227, kernel: int = 11, stride: int = 4, padding: int = 0, use_pool: bool = True,
                 pool_kernel: int = 3, pool_stride: int = 2) -> None:
        super().__init__(size=size, kernel=kernel, stride=stride, padding=padding, use_pool=use_pool,
                         pool_kernel=pool_kernel, pool_stride=pool_stride)

    def reference(self, settings: dict[str, Any]) -> dict[str, Any]:
        """conv output, remainder, dropped input rows, pooled size and the final output size."""
        try:
            conv = conv_arithmetic(settings["size"], settings["kernel"], settings["stride"], settings["padding"])
        except ValueError as e:
            return _impossible(e)
        try:
            pooled = (pool_output_size(conv.output, settings["pool_kernel"], settings["pool_stride"])
                      if settings["use_pool"] else None)
        except ValueError as e:
            return {"error": f"pooling: {e}"}
        return {"conv": conv.output, "remainder": conv.remainder, "dropped": conv.dropped_input,
                "exact": conv.exact, "pooled": pooled, "output": conv.output if pooled is None else pooled}


# ----------------------------------------------------------------------------- chapter: ReLU versus tanh

#: The random streams (`live.prng`) of the activation explorer's weights, inputs and targets.
WEIGHT_STREAM, INPUT_STREAM, TARGET_STREAM = 1, 2, 3


def gradient_profiles(depth: int, weight_scale: float, width: int = 64, batch: int = 16,
                      names: tuple = NAMES) -> dict[str, list[float]]:
    """`stack_gradient_norms` of every activation in a bias-free stack whose weights come from the shared streams.

    Layer l's weights are normals(WEIGHT_STREAM)[l·width² …] × weight_scale / √width (row = output unit), so
    the browser draws the same stack; float64 throughout.
    """
    n = width * width
    w = torch.from_numpy(normals(WEIGHT_STREAM, depth * n)).view(depth, width, width)
    x = torch.from_numpy(normals(INPUT_STREAM, batch * width)).view(batch, width)
    target = torch.from_numpy(normals(TARGET_STREAM, batch * width)).view(batch, width)
    profiles = {}
    for name in names:
        layers: list[nn.Module] = []
        for l in range(depth):
            linear = nn.Linear(width, width, bias=False, dtype=torch.float64)
            with torch.no_grad():
                linear.weight.copy_(w[l] * (weight_scale / math.sqrt(width)))
            layers += [linear, module(name)]
        profiles[name] = stack_gradient_norms(nn.Sequential(*layers), x, target)
    return profiles


class ActivationExplorer(LiveExplorer):
    """Pick an activation, a depth and a weight scale; see how the gradient fades (or grows) layer by layer."""

    kind = "activation"
    controls = (Control("activation", "activation", "choice", options=NAMES),
                Control("depth", "depth", "int", 2, 50),
                Control("weight_scale", "weight scale", "float", 0.5, 3.0, 0.01))
    width, batch = 64, 16  # small enough that a phone recomputes three 50-layer stacks while the slider moves

    def __init__(self, activation: str = "relu", depth: int = 20, weight_scale: float = 1.41) -> None:
        super().__init__(activation=activation, depth=depth, weight_scale=weight_scale)

    def data(self) -> dict[str, Any]:
        return {"names": list(NAMES), "width": self.width, "batch": self.batch, "max_depth": 50,
                "weight_stream": WEIGHT_STREAM, "input_stream": INPUT_STREAM, "target_stream": TARGET_STREAM}

    def reference(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Every activation's gradient norms (first layer first) and the chosen one's last/first ratio."""
        profiles = gradient_profiles(settings["depth"], settings["weight_scale"], self.width, self.batch)
        return {"profiles": profiles, "ratio": finite(gradient_ratio(profiles[settings["activation"]]))}


# ----------------------------------------------------------------------------- chapter: dropout

#: The random streams of the dropout explorer's activations and of its many masks.
VALUE_STREAM, MANY_STREAM = 1234, 10_000


def dropout_grid(p: float, seed: int, inverted: bool, training: bool, side: int = 16,
                 masks: int = 1000) -> dict[str, Any]:
    """A side×side grid of activations in [0, 2) after dropout: what the dropout explorer shows.

    In training, unit i is kept when uniforms(seed)[i] >= p (survivors × 1/(1-p) when inverted); in eval mode
    every unit is kept (× (1-p) for the paper's plain dropout). `mean_over_masks` averages `masks` fresh masks.
    """
    n = side * side
    before = uniforms(VALUE_STREAM, n) * 2
    if training:
        scale = 1 / (1 - p) if inverted else 1.0
        keep = uniforms(seed, n) >= p
        after = before * keep * scale
        many = uniforms(MANY_STREAM, masks * n).reshape(masks, n) >= p
        over, kept = float((before * many * scale).mean()), int(keep.sum())
    else:
        after = before * (1.0 if inverted else 1 - p)
        over, kept = float(after.mean()), n
    return {"kept": kept, "mean_before": float(before.mean()), "mean_after": float(after.mean()),
            "mean_over_masks": over, "after": after.tolist()}


class DropoutExplorer(LiveExplorer):
    """A 16×16 grid of positive activations before and after dropout, with p, the mask, inverted and eval mode."""

    kind = "dropout"
    controls = (Control("p", "drop prob. p", "float", 0.0, 0.9, 0.05),
                Control("seed", "mask seed", "int", 0, 99),
                Control("inverted", "inverted (scale by 1/(1-p) in training)", "bool"),
                Control("training", "training mode", "bool"))
    side, masks = 16, 1000

    def __init__(self, p: float = 0.5, seed: int = 0, inverted: bool = True, training: bool = True) -> None:
        super().__init__(p=p, seed=seed, inverted=inverted, training=training)

    def data(self) -> dict[str, Any]:
        return {"side": self.side, "masks": self.masks, "value_stream": VALUE_STREAM, "many_stream": MANY_STREAM}

    def reference(self, settings: dict[str, Any]) -> dict[str, Any]:
        return dropout_grid(settings["p"], settings["seed"], settings["inverted"], settings["training"], self.side,
                            self.masks)


# ----------------------------------------------------------------------------- chapter: local response normalisation

#: One pixel's activations across 16 channels: a cluster of strong neighbours (4-6) and a lone peak (10).
LRN_DEMO_PROFILE = (5.0, 2.0, 0.0, 8.0, 90.0, 100.0, 95.0, 4.0, 0.0, 0.0, 100.0, 3.0, 0.0, 6.0, 2.0, 0.0)


def _demo_profile(profile: object) -> torch.Tensor:
    """The channel profile an LRNExplorer starts from: 1 to 64 activations (the demo one when None)."""
    if profile is None:
        return _profile(LRN_DEMO_PROFILE)
    try:
        values = _profile(profile)
    except ValueError:
        values = None
    # Bounded so that scaling by up to 100 and squaring stays far from float64's overflow.
    if values is None or len(values) > 64 or float(values.abs().max()) > 1e6:
        raise ValueError(f"profile={profile!r} must be a sequence of 1 to 64 numbers between -1e6 and 1e6, one "
                         f"activation per channel (or None for the chapter's demo profile)")
    return values


class LRNExplorer(LiveExplorer):
    """Sliders for k, n, α, β and the activation scale on a channel profile; shows a and b = LRN(a)."""

    kind = "lrn"
    # n only odd (the window is centred on its channel) and k above 0 (it keeps the divisor off zero): the
    # library refuses the others, and a slider should not offer what it refuses.
    controls = (Control("k", "k", "float", 0.1, 5.0, 0.1, digits=1), Control("n", "n (channels)", "int", 1, 15, 2),
                Control("alpha", "α", "log", -6, 0, 0.25, digits=1), Control("beta", "β", "float", 0.0, 2.0, 0.05),
                Control("scale", "activation scale", "log", -2, 2, 0.25, digits=1))

    def __init__(self, profile: Optional[tuple] = None, k: float = PAPER_LRN.k, n: int = PAPER_LRN.size,
                 alpha: float = PAPER_LRN.alpha, beta: float = PAPER_LRN.beta, scale: float = 1.0) -> None:
        self.profile = _demo_profile(profile)
        super().__init__(k=k, n=n, alpha=alpha, beta=beta, scale=scale)

    def data(self) -> dict[str, Any]:
        return {"profile": self.profile.tolist()}

    def reference(self, settings: dict[str, Any]) -> dict[str, Any]:
        """The scaled profile a, b = LRN(a), the divisors and the strongest output's channel."""
        params = dict(size=settings["n"], alpha=settings["alpha"], beta=settings["beta"], k=settings["k"])
        before = self.profile * settings["scale"]
        try:
            after = lrn_profile(before, **params)
        except ValueError as e:
            return _impossible(e)
        return {"before": before.tolist(), "after": after.tolist(),
                "divisor": lrn_denominator(before, **params).tolist(), "strongest": int(after.argmax())}


# ----------------------------------------------------------------------------- chapter: overlapping pooling


class PoolingExplorer(LiveExplorer):
    """Sliders for the input width W, pooling window z and stride s, and PyTorch's ceil_mode; shows which inputs
    each window reads."""

    kind = "pooling"
    controls = (Control("size", "input W", "int", 1, 40), Control("window", "window z", "int", 1, 8),
                Control("stride", "stride s", "int", 1, 8),
                Control("ceil_mode", "ceil_mode (keep a last window that hangs over the edge)", "bool"))

    def __init__(self, size: int = 13, window: int = 3, stride: int = 2, ceil_mode: bool = False) -> None:
        super().__init__(size=size, window=window, stride=stride, ceil_mode=ceil_mode)

    def reference(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Output size, per-input coverage, overlap, and how many inputs are read twice or more, or never."""
        W, z, s, ceil = settings["size"], settings["window"], settings["stride"], settings["ceil_mode"]
        try:
            coverage = pool_coverage(W, z, s, ceil_mode=ceil)
        except ValueError as e:
            return _impossible(e)
        return {"outputs": pool_output_size(W, z, s, ceil_mode=ceil), "coverage": coverage, "overlap": overlap(z, s),
                "twice": sum(c > 1 for c in coverage), "never": sum(c == 0 for c in coverage)}


__all__ = ["OutputSizeExplorer", "ActivationExplorer", "DropoutExplorer", "LRNExplorer", "PoolingExplorer",
           "LRN_DEMO_PROFILE", "gradient_profiles", "dropout_grid"]

"""Local response normalisation, taken apart: channel profiles, how active the normalisation is, conventions.

The layer itself lives in `alexnet_lib.net.layers`; this module holds what the LRN chapter needs around it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence, Union

import torch
from torch import nn

from ..net._probe import watch_inputs
from ..net.layers import (
    PAPER_LRN,
    LocalResponseNorm,
    check_lrn,
    local_response_norm,
    lrn_to_tensorflow,
    lrn_to_torch,
    window_sum,
)
from ..tables import Table


def _profile(values: Union[Sequence[float], torch.Tensor]) -> torch.Tensor:
    """A 1-D float64 tensor of activations across channels, or a ValueError."""
    try:
        t = torch.as_tensor(values, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError) as e:
        raise ValueError(f"values must be a sequence of numbers (one activation per channel); {e}") from None
    if t.dim() != 1 or len(t) == 0:
        raise ValueError(f"values must be a non-empty 1-D sequence (one activation per channel), "
                         f"got shape {tuple(t.shape)}")
    if not torch.isfinite(t).all():
        raise ValueError("values must be finite numbers")
    return t


def lrn_profile(values: Union[Sequence[float], torch.Tensor], size: int = PAPER_LRN.size,
                alpha: float = PAPER_LRN.alpha,
                beta: float = PAPER_LRN.beta, k: float = PAPER_LRN.k) -> torch.Tensor:
    """The paper's LRN applied to one pixel's activations across channels (a 1-D profile)."""
    t = _profile(values)
    return local_response_norm(t.view(1, -1, 1, 1), size, alpha, beta, k).view(-1)


def lrn_denominator(values: Union[Sequence[float], torch.Tensor], size: int = PAPER_LRN.size,
                    alpha: float = PAPER_LRN.alpha,
                    beta: float = PAPER_LRN.beta, k: float = PAPER_LRN.k) -> torch.Tensor:
    """What each channel is divided by: (k + alpha * sum of squares of its n neighbours) ** beta."""
    t = _profile(values)
    check_lrn(size, alpha, beta, k)
    return (k + alpha * window_sum(t * t, size, dim=0)) ** beta


def neighbour_share(x: torch.Tensor, size: int = PAPER_LRN.size, alpha: float = PAPER_LRN.alpha,
                    k: float = PAPER_LRN.k) -> torch.Tensor:
    """alpha * sum / (k + alpha * sum) for every activation of `x` (N, C, H, W): 0 means LRN is a constant scale."""
    check_lrn(size, alpha, 0.0, k)
    if not isinstance(x, torch.Tensor) or x.dim() != 4 or x.shape[1] == 0:
        raise ValueError("x must be a 4-D tensor (N, C, H, W) with at least one channel")
    activity = alpha * window_sum(x.float() ** 2, size)
    return activity / (k + activity)


def falling_fraction(x: torch.Tensor, size: int = PAPER_LRN.size, alpha: float = PAPER_LRN.alpha,
                     beta: float = PAPER_LRN.beta,
                     k: float = PAPER_LRN.k) -> float:
    """The share of activations of `x` (N, C, H, W) at which LRN's output falls as that activation grows.

    b = a / D**beta with D = k + alpha * (sum of squares in a's window, a's own included), so
    db/da = D**(-beta - 1) * (D - 2 * beta * alpha * a**2): negative once 2 * beta * alpha * a**2 > D.
    """
    check_lrn(size, alpha, beta, k)
    if not isinstance(x, torch.Tensor) or x.dim() != 4 or x.shape[1] == 0:
        raise ValueError("x must be a 4-D tensor (N, C, H, W) with at least one channel")
    sq = x.float() ** 2
    return float((2 * beta * alpha * sq > k + alpha * window_sum(sq, size)).float().mean())


@dataclass(frozen=True)
class LRNActivity:
    """How much one LRN layer's divisor depends on the activations, over a batch."""

    layer: str
    mean_share: float
    max_share: float
    mean_abs_input: float
    falling: float = 0.0  # share of activations where the output falls as the input grows (see falling_fraction)

    def __str__(self) -> str:
        return (f"{self.layer}: activity share of the divisor mean {100 * self.mean_share:.2g}%, "
                f"max {100 * self.max_share:.2g}% (mean |input| {self.mean_abs_input:.3g})")


@torch.no_grad()
def lrn_activity(model: nn.Module, x: torch.Tensor) -> list[LRNActivity]:
    """Run `x` through `model` (eval mode, fp32) and measure every LRN layer's neighbour share."""
    if not isinstance(model, nn.Module):
        raise ValueError(f"model={model!r} must be a torch.nn.Module")
    layers = [(name, m) for name, m in model.named_modules()
              if isinstance(m, (LocalResponseNorm, nn.LocalResponseNorm))]
    found: list[LRNActivity] = []

    def watcher(name: str, m: nn.Module) -> Callable[[torch.Tensor], None]:
        def record(a: torch.Tensor) -> None:
            a = a.float()
            # torch's alpha is per-channel-mean; the paper's alpha is torch's divided by n.
            alpha = m.alpha if isinstance(m, LocalResponseNorm) else m.alpha / m.size
            share = neighbour_share(a, m.size, alpha, m.k)
            found.append(LRNActivity(name, float(share.mean()), float(share.max()), float(a.abs().mean()),
                                     falling_fraction(a, m.size, alpha, m.beta, m.k)))
        return record

    watch_inputs(model, x, [(m, watcher(name, m)) for name, m in layers])
    return found


@torch.no_grad()
def conv1_activations(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The input of the first LRN layer of an AlexNet (conv1 after its ReLU), for images `x` (N, C, H, W)."""
    features = getattr(model, "features", None)
    if not isinstance(features, nn.Sequential):
        raise ValueError("model must have a `features` nn.Sequential, like alexnet_lib.net.model.AlexNet")
    out = x
    for layer in features:
        if isinstance(layer, (LocalResponseNorm, nn.LocalResponseNorm, nn.MaxPool2d)):
            return out
        out = layer(out)
    raise ValueError("the model's features have no LRN or pooling layer after conv1")


def course_input(images: torch.Tensor) -> torch.Tensor:
    """uint8 images (N, H, W) scaled the way this course feeds them: (pixel / 255 - mean) / std."""
    from ..data.fashion_mnist import normalize  # imported here so that the LRN widgets do not load the data module

    _check_images(images)
    return normalize(images).unsqueeze(1)


def paper_input(images: torch.Tensor) -> torch.Tensor:
    """uint8 images (N, H, W) scaled the way the paper fed ImageNet: raw 0-255 pixels minus the mean."""
    from ..data.fashion_mnist import MEAN  # imported here, as in course_input

    _check_images(images)
    # The paper subtracts the training set's mean activity and nothing else: values stay in pixel units.
    return (images.float() - 255 * MEAN).unsqueeze(1)


def _check_images(images: object) -> None:
    if not isinstance(images, torch.Tensor) or images.dtype != torch.uint8 or images.dim() != 3:
        raise ValueError("images must be a uint8 tensor of shape (N, H, W), e.g. load_fashion_mnist().test_images[:4]")


# ----------------------------------------------------------------------------- conventions


@dataclass(frozen=True)
class Convention:
    """How one framework writes the paper's LRN."""

    framework: str
    call: str
    window: str
    alpha: str

    def cells(self) -> tuple[str, str, str, str]:
        return self.framework, self.call, self.window, self.alpha


def lrn_conventions(size: int = PAPER_LRN.size, alpha: float = PAPER_LRN.alpha, beta: float = PAPER_LRN.beta,
                    k: float = PAPER_LRN.k) -> list[Convention]:
    """The same LRN written for the paper, PyTorch, TensorFlow and Caffe, plus the classic TensorFlow mistake."""
    check_lrn(size, alpha, beta, k)
    t, tf = lrn_to_torch(size, alpha, beta, k), lrn_to_tensorflow(size, alpha, beta, k)
    caffe_alpha = alpha * size
    wrong_radius = size
    return [
        Convention("paper", f"n={size}, alpha={alpha:g}, beta={beta:g}, k={k:g}",
                   f"n = {size} channels", "sum of squares times alpha"),
        Convention("PyTorch", f"nn.LocalResponseNorm(size={t['size']}, alpha={t['alpha']:g}, beta={beta:g}, k={k:g})",
                   f"size = {size} channels", f"alpha / size: pass alpha·n = {t['alpha']:g}"),
        Convention("TensorFlow", f"tf.nn.lrn(depth_radius={tf['depth_radius']}, bias={k:g}, alpha={alpha:g}, "
                                 f"beta={beta:g})",
                   f"2·radius + 1 = {2 * tf['depth_radius'] + 1} channels", f"as the paper: {alpha:g}"),
        Convention("Caffe", f"LRN local_size: {size} alpha: {caffe_alpha:g} beta: {beta:g} k: {k:g}",
                   f"local_size = {size} channels", f"alpha / local_size: write alpha·n = {caffe_alpha:g}"),
        Convention("TensorFlow (wrong)", f"tf.nn.lrn(depth_radius={wrong_radius}, ...)",
                   f"2·{wrong_radius} + 1 = {2 * wrong_radius + 1} channels, not {size}", "-"),
    ]


def conventions_table(rows: Sequence[Convention]) -> Table:
    """`lrn_conventions()` rows as a table (prints as aligned text)."""
    return Table(("framework", "how to write the paper's LRN", "window", "alpha"), tuple(r.cells() for r in rows))


def torch_lrn_matches(x: torch.Tensor, size: int = PAPER_LRN.size, alpha: float = PAPER_LRN.alpha,
                      beta: float = PAPER_LRN.beta,
                      k: float = PAPER_LRN.k) -> float:
    """Max absolute difference between the from-scratch LRN and `nn.LocalResponseNorm(**lrn_to_torch(...))`."""
    ours = LocalResponseNorm(size, alpha, beta, k)(x)
    theirs = nn.LocalResponseNorm(**lrn_to_torch(size, alpha, beta, k))(x)
    return float((ours - theirs).abs().max())


__all__ = ["PAPER_LRN", "lrn_profile", "lrn_denominator", "neighbour_share", "falling_fraction", "LRNActivity",
           "lrn_activity", "conv1_activations", "course_input", "paper_input", "Convention", "lrn_conventions",
           "conventions_table", "torch_lrn_matches", "strongest_channel"]


def strongest_channel(values: Union[Sequence[float], torch.Tensor], size: int = PAPER_LRN.size,
                      alpha: float = PAPER_LRN.alpha,
                      beta: float = PAPER_LRN.beta, k: float = PAPER_LRN.k) -> int:
    """The channel with the largest output after the paper's LRN (the first one, on a tie)."""
    return int(lrn_profile(values, size, alpha, beta, k).argmax())

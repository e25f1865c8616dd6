"""AlexNet's two unusual layers written from scratch: local response normalisation and (inverted) dropout.

Local response normalisation (Krizhevsky et al. 2012, section 3.3) divides each activation by a
power of the summed squares of its neighbours across channels:

    b_i = a_i / (k + alpha * sum_j a_j^2) ** beta,   j over the n channels centred on i.

Libraries write the same layer with different parameters. The helpers below translate between the
paper, PyTorch, TensorFlow and Caffe so that numbers copied from one place mean the same thing here.
"""

from __future__ import annotations

import numbers

import torch
import torch.nn.functional as F
from torch import nn

#: The paper's hyper-parameters: n = 5 neighbouring channels, alpha = 1e-4, beta = 0.75, k = 2.
PAPER_LRN: dict = dict(size=5, alpha=1e-4, beta=0.75, k=2.0)


def _check_lrn(size: object, alpha: object, beta: object, k: object) -> None:
    """ValueErrors for LRN hyper-parameters, each naming the argument, its value and what is valid."""
    if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1 or size % 2 == 0:
        raise ValueError(f"size={size!r} must be an odd integer >= 1: the window of n channels is centred on "
                         f"channel i, and an even n has no centre (the paper uses n=5)")
    for name, value, ok, valid in (("alpha", alpha, lambda v: v >= 0, ">= 0"),
                                   ("beta", beta, lambda v: v >= 0, ">= 0"),
                                   ("k", k, lambda v: v > 0, "> 0 (it keeps the denominator away from zero)")):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not ok(value):
            raise ValueError(f"{name}={value!r} must be a number {valid}")


def local_response_norm(x: torch.Tensor, size: int = 5, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 2.0) -> torch.Tensor:
    """The paper's LRN: b_i = a_i / (k + alpha * sum of a_j^2 over the `size` channels around i) ** beta."""
    _check_lrn(size, alpha, beta, k)
    if not isinstance(x, torch.Tensor) or x.dim() != 4:
        got = f"shape {tuple(x.shape)}" if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"x must be a 4-D tensor (N, C, H, W); got {got}")
    if not x.is_floating_point():
        raise ValueError(f"x must be a floating-point tensor; got dtype {x.dtype}")
    half = (size - 1) // 2
    squares = x * x
    # Zero channels on both sides make the sum stop at channel 0 and C-1, as the paper's max/min do.
    padded = F.pad(squares, (0, 0, 0, 0, half, half))
    channels = x.shape[1]
    window_sum = sum(padded[:, j:j + channels] for j in range(size))
    return x / (k + alpha * window_sum) ** beta


class LocalResponseNorm(nn.Module):
    """Local response normalisation across channels with the paper's formula and defaults."""

    def __init__(self, size: int = 5, alpha: float = 1e-4, beta: float = 0.75, k: float = 2.0) -> None:
        super().__init__()
        _check_lrn(size, alpha, beta, k)
        self.size, self.alpha, self.beta, self.k = int(size), float(alpha), float(beta), float(k)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise `x` (N, C, H, W) across channels."""
        return local_response_norm(x, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"size={self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


# ----------------------------------------------------------------------------- LRN conventions


def lrn_to_torch(size: int = 5, alpha: float = 1e-4, beta: float = 0.75, k: float = 2.0) -> dict:
    """Keyword arguments for `torch.nn.LocalResponseNorm` that compute the paper's LRN.

    PyTorch divides alpha by the window size (it averages the squares instead of summing them),
    so the paper's alpha must be multiplied by n to get the same layer.
    """
    _check_lrn(size, alpha, beta, k)
    return {"size": size, "alpha": alpha * size, "beta": beta, "k": k}


def lrn_to_tensorflow(size: int = 5, alpha: float = 1e-4, beta: float = 0.75, k: float = 2.0) -> dict:
    """Keyword arguments for `tf.nn.lrn` that compute the paper's LRN.

    TensorFlow describes the window by its radius r (it sums over 2r + 1 channels), calls k the
    bias, and uses alpha undivided, as the paper does.
    """
    _check_lrn(size, alpha, beta, k)
    return {"depth_radius": (size - 1) // 2, "bias": k, "alpha": alpha, "beta": beta}


def lrn_from_tensorflow(depth_radius: int, bias: float, alpha: float, beta: float) -> dict:
    """The paper's parameters (size, alpha, beta, k) for a `tf.nn.lrn(depth_radius, bias, alpha, beta)` call.

    The window is 2 * depth_radius + 1 channels, so the often-copied depth_radius=5 means n=11,
    not the paper's n=5 (that is depth_radius=2).
    """
    if isinstance(depth_radius, bool) or not isinstance(depth_radius, numbers.Integral) or depth_radius < 0:
        raise ValueError(f"depth_radius={depth_radius!r} must be an integer >= 0 (the window is 2*r+1 channels)")
    params = {"size": 2 * int(depth_radius) + 1, "alpha": alpha, "beta": beta, "k": bias}
    _check_lrn(**params)
    return params


def lrn_from_caffe(local_size: int, alpha: float, beta: float, k: float = 1.0) -> dict:
    """The paper's parameters for a Caffe LRN layer (norm_region ACROSS_CHANNELS).

    Caffe, like PyTorch, divides alpha by local_size, so the paper's alpha is Caffe's alpha / n.
    Caffe's k defaults to 1, not the paper's 2.
    """
    _check_lrn(local_size, alpha, beta, k)
    return {"size": local_size, "alpha": alpha / local_size, "beta": beta, "k": k}


# ----------------------------------------------------------------------------- dropout


class Dropout(nn.Module):
    """Inverted dropout from scratch: in training, zero each unit with probability p and scale survivors."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p < 1:
            raise ValueError(f"p={p!r} must be a probability in [0, 1): p is the chance of dropping a unit, "
                             f"and p=1 would drop every unit and divide the survivors by 1 - p = 0")
        self.p = float(p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Drop and rescale in training mode; the identity in eval mode or when p == 0."""
        if not self.training or self.p == 0:
            return x
        keep = (torch.rand_like(x, dtype=torch.float32) >= self.p).to(x.dtype)
        # Scaling the survivors now keeps each unit's expected value, so evaluation needs no change.
        return x * keep / (1 - self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}"

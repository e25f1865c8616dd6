"""AlexNet's two unusual layers written from scratch: local response normalisation and (inverted) dropout.

Local response normalisation (Krizhevsky et al. 2012, section 3.3) divides each activation by a
power of the summed squares of its neighbours across channels:

    b_i = a_i / (k + alpha * sum_j a_j^2) ** beta,   j over the n channels centred on i.

Libraries write the same layer with different parameters. The helpers below translate between the
paper, PyTorch, TensorFlow and Caffe so that numbers copied from one place mean the same thing here.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .._checks import check_int, check_number, check_probability


@dataclass(frozen=True)
class LRNConstants:
    """LRN's four hyper-parameters: the window of n channels (`size`), alpha, beta and k."""

    size: int
    alpha: float
    beta: float
    k: float


#: The paper's hyper-parameters (section 3.3): n = 5 neighbouring channels, alpha = 1e-4, beta = 0.75, k = 2.
#: Every function of the course that takes LRN constants defaults to these.
PAPER_LRN = LRNConstants(size=5, alpha=1e-4, beta=0.75, k=2.0)


def check_lrn(size: object, alpha: object, beta: object, k: object) -> None:
    """ValueErrors for LRN hyper-parameters, each naming the argument, its value and what is valid."""
    check_int("size", size, 1, hint=": the window of n channels is centred on channel i (the paper uses n=5)")
    if size % 2 == 0:
        raise ValueError(f"size={size!r} must be an odd integer >= 1: the window of n channels is centred on "
                         f"channel i, and an even n has no centre (the paper uses n=5)")
    check_number("alpha", alpha, 0.0)
    check_number("beta", beta, 0.0)
    check_number("k", k, 0.0, low_open=True, hint=" (it keeps the denominator away from zero)")


def window_sum(squares: torch.Tensor, size: int, dim: int = 1) -> torch.Tensor:
    """Sum of `squares` over the `size` channels centred on each channel along `dim` (zeros past the edges).

    The one place the LRN window is summed: the layer, the chapter's profiles and its activity measure use it.
    """
    # Past the first and last channel there are only zeros, so a window wider than 2C - 1 adds nothing more.
    half = min((size - 1) // 2, squares.shape[dim] - 1)
    shape = list(squares.shape)
    shape[dim] = half
    zeros = squares.new_zeros(shape)
    padded = torch.cat([zeros, squares, zeros], dim=dim)
    return padded.unfold(dim, 2 * half + 1, 1).sum(-1)


def local_response_norm(x: torch.Tensor, size: int = PAPER_LRN.size, alpha: float = PAPER_LRN.alpha,
                        beta: float = PAPER_LRN.beta,
                        k: float = PAPER_LRN.k) -> torch.Tensor:
    """The paper's LRN: b_i = a_i / (k + alpha * sum of a_j^2 over the `size` channels around i) ** beta."""
    check_lrn(size, alpha, beta, k)
    if not isinstance(x, torch.Tensor) or x.dim() != 4:
        got = f"shape {tuple(x.shape)}" if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"x must be a 4-D tensor (N, C, H, W); got {got}")
    if not x.is_floating_point():
        raise ValueError(f"x must be a floating-point tensor; got dtype {x.dtype}")
    if x.shape[1] == 0:
        raise ValueError(f"x has 0 channels (shape {tuple(x.shape)}); LRN normalises across channels")
    return _lrn(x, size, alpha, beta, k)


def _lrn(x: torch.Tensor, size: int, alpha: float, beta: float, k: float) -> torch.Tensor:
    # Zero channels on both sides make the sum stop at channel 0 and C-1, as the paper's max/min do.
    return x / (k + alpha * window_sum(x * x, size)) ** beta


class LocalResponseNorm(nn.Module):
    """Local response normalisation across channels with the paper's formula and defaults."""

    def __init__(self, size: int = PAPER_LRN.size, alpha: float = PAPER_LRN.alpha, beta: float = PAPER_LRN.beta,
                 k: float = PAPER_LRN.k) -> None:
        super().__init__()
        check_lrn(size, alpha, beta, k)
        self.size, self.alpha, self.beta, self.k = int(size), float(alpha), float(beta), float(k)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise `x` (N, C, H, W) across channels."""
        if not isinstance(x, torch.Tensor) or x.dim() != 4 or x.shape[1] == 0 or not x.is_floating_point():
            return local_response_norm(x, self.size, self.alpha, self.beta, self.k)  # for its clear error
        return _lrn(x, self.size, self.alpha, self.beta, self.k)  # the parameters were checked in __init__

    def extra_repr(self) -> str:
        return f"size={self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


# ----------------------------------------------------------------------------- LRN conventions


def lrn_to_torch(size: int = PAPER_LRN.size, alpha: float = PAPER_LRN.alpha, beta: float = PAPER_LRN.beta,
                 k: float = PAPER_LRN.k) -> dict:
    """Keyword arguments for `torch.nn.LocalResponseNorm` that compute the paper's LRN.

    PyTorch divides alpha by the window size (it averages the squares instead of summing them),
    so the paper's alpha must be multiplied by n to get the same layer.
    """
    check_lrn(size, alpha, beta, k)
    return {"size": size, "alpha": alpha * size, "beta": beta, "k": k}


def lrn_to_tensorflow(size: int = PAPER_LRN.size, alpha: float = PAPER_LRN.alpha, beta: float = PAPER_LRN.beta,
                      k: float = PAPER_LRN.k) -> dict:
    """Keyword arguments for `tf.nn.lrn` that compute the paper's LRN.

    TensorFlow describes the window by its radius r (it sums over 2r + 1 channels), calls k the
    bias, and uses alpha undivided, as the paper does.
    """
    check_lrn(size, alpha, beta, k)
    return {"depth_radius": (size - 1) // 2, "bias": k, "alpha": alpha, "beta": beta}


def lrn_from_tensorflow(depth_radius: int, bias: float, alpha: float, beta: float) -> dict:
    """The paper's parameters (size, alpha, beta, k) for a `tf.nn.lrn(depth_radius, bias, alpha, beta)` call.

    The window is 2 * depth_radius + 1 channels, so the often-copied depth_radius=5 means n=11,
    not the paper's n=5 (that is depth_radius=2).
    """
    check_int("depth_radius", depth_radius, 0, hint=" (the window is 2*r+1 channels)")
    params = {"size": 2 * int(depth_radius) + 1, "alpha": alpha, "beta": beta, "k": bias}
    check_lrn(**params)
    return params


def lrn_from_caffe(local_size: int, alpha: float, beta: float, k: float = 1.0) -> dict:
    """The paper's parameters for a Caffe LRN layer (norm_region ACROSS_CHANNELS).

    Caffe, like PyTorch, divides alpha by local_size, so the paper's alpha is Caffe's alpha / n.
    Caffe's k defaults to 1, not the paper's 2.
    """
    check_lrn(local_size, alpha, beta, k)
    return {"size": local_size, "alpha": alpha / local_size, "beta": beta, "k": k}


# ----------------------------------------------------------------------------- dropout


class Dropout(nn.Module):
    """Inverted dropout from scratch: in training, zero each unit with probability p and scale survivors."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = check_probability("p", p, hint=": p is the chance of dropping a unit, and p=1 would drop "
                                                "every unit and divide the survivors by 1 - p = 0")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Drop and rescale in training mode; the identity in eval mode or when p == 0."""
        if not isinstance(x, torch.Tensor) or not x.is_floating_point():
            got = f"a {x.dtype} tensor" if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x must be a floating-point tensor, got {got}; convert with torch.as_tensor(x, "
                             f"dtype=torch.float32)")
        if not self.training or self.p == 0:
            return x
        keep = (torch.rand_like(x, dtype=torch.float32) >= self.p).to(x.dtype)
        # Scaling the survivors now keeps each unit's expected value, so evaluation needs no change.
        return x * keep / (1 - self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}"

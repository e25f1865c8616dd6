"""The paper's update rule against torch.optim.SGD: where the learning rate enters the momentum, and when it matters.

The paper (section 5) writes v <- 0.9 v - 0.0005 eps w - eps g and w <- w + v: the learning rate eps is inside
the velocity. PyTorch keeps b <- 0.9 b + (g + 0.0005 w) and w <- w - eps b: eps multiplies the velocity as it is
used. With a constant eps the two give the same weights; once eps changes they part.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import torch

from .._checks import check_number

MOMENTUM, WEIGHT_DECAY = 0.9, 5e-4


def _problem() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A seeded least-squares problem (A, b) and a starting point w0, in float64."""
    g = torch.Generator().manual_seed(0)
    return (torch.randn(6, 4, generator=g, dtype=torch.float64), torch.randn(6, generator=g, dtype=torch.float64),
            torch.randn(4, generator=g, dtype=torch.float64))


def _grad(A: torch.Tensor, b: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """The gradient of 0.5 * |A w - b|^2."""
    return A.T @ (A @ w - b)


def paper_sgd(lrs: Sequence[float]) -> torch.Tensor:
    """The weights after one paper-rule step per learning rate in `lrs`, on the seeded problem."""
    A, b, w = _problem()
    v = torch.zeros_like(w)
    for lr in lrs:
        check_number("lr", lr, 0.0, 10.0)
        v = MOMENTUM * v - WEIGHT_DECAY * lr * w - lr * _grad(A, b, w)
        w = w + v
    return w


def torch_sgd(lrs: Sequence[float]) -> torch.Tensor:
    """The weights after one torch.optim.SGD(momentum=0.9, weight_decay=5e-4) step per learning rate in `lrs`."""
    A, b, w0 = _problem()
    w = w0.clone().requires_grad_(True)
    opt = torch.optim.SGD([w], lr=1.0, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    for lr in lrs:
        check_number("lr", lr, 0.0, 10.0)
        for group in opt.param_groups:
            group["lr"] = lr
        opt.zero_grad()
        (0.5 * ((A @ w - b) ** 2).sum()).backward()
        opt.step()
    return w.detach()


def rules_agree(lrs: Sequence[float], tolerance: float = 1e-9) -> bool:
    """Whether the paper's rule and PyTorch's SGD end on the same weights for this learning-rate schedule."""
    if isinstance(lrs, (str, bytes)) or not isinstance(lrs, Iterable):
        raise ValueError(f"lrs={lrs!r} must be a list of learning rates, one per step, e.g. [0.01] * 20")
    lrs = list(lrs)  # both rules read it: a generator would be used up by the first
    if not lrs:
        raise ValueError("lrs is empty: give one learning rate per step, e.g. [0.01] * 20")
    check_number("tolerance", tolerance, 0.0, 1.0)
    return bool(torch.allclose(paper_sgd(lrs), torch_sgd(lrs), rtol=tolerance, atol=tolerance))


#: The two schedules the training chapter's exercise asks about: constant, and divided by ten halfway.
CONSTANT = [0.01] * 20
DIVIDED = [0.01] * 10 + [0.001] * 10

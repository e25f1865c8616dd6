"""Checkers for the ReLU-versus-tanh chapter: ReLU by hand, tanh's derivative, the depth where gradients vanish."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

import torch

from .. import activations
from ._common import Wrong, checker, exactly, first_mismatch, run_cases, tensor_like


def _probe() -> torch.Tensor:
    """float32 inputs across the interesting range, zero, tiny and large magnitudes included."""
    return torch.cat([torch.linspace(-6, 6, 121), torch.tensor([0.0, -20.0, 20.0, 1e-4, -1e-4, -1e-30, 1e-30])])


def _against(want: torch.Tensor, x: torch.Tensor, atol: float, tip: Callable[[float, torch.Tensor], str]
             ) -> Callable[[Any], None]:
    """A judge: the answer must be a finite real tensor shaped like `x`, equal to `want` within `atol`.

    `tip(x_i, values)` words the hint for the first wrong value, found at input x_i.
    """
    def verdict(got: Any) -> None:
        values = tensor_like(got, x)
        i = first_mismatch(values, want.to(torch.float64), atol)
        if i is not None:
            x_i = float(x.flatten()[i])
            raise Wrong(f"gave {float(values.flatten()[i]):.6g} for x = {x_i:g}; {tip(x_i, values)}")
    return verdict


@checker
def check_relu(fn: Callable[[torch.Tensor], Any]) -> bool:
    """Exercise: `fn(x)` must compute max(0, x) element-wise, like torch.relu, for any shape of x."""
    x, square = _probe(), torch.tensor([[-1.0, 2.0], [3.0, -4.0]])

    def tip(x_i: float, values: torch.Tensor) -> str:
        return "negative inputs must give 0" if x_i <= 0 else "positive inputs must pass through unchanged"

    cases = [("relu(x)", (x.clone(),), _against(torch.relu(x), x, 1e-9, tip)),
             ("relu(x) for a 2×2 x", (square.clone(),), _against(torch.relu(square), square, 1e-9, tip))]
    return run_cases(fn, "check_relu(relu)", cases,
                     f"relu agrees with torch.relu on {len(x)} inputs (zero, tiny and large ones included) "
                     f"and keeps the shape of a 2×2 input")


@checker
def check_tanh_grad(fn: Callable[[torch.Tensor], Any]) -> bool:
    """Exercise: `fn(x)` must give the derivative of tanh at x, computed from tanh itself."""
    x = _probe()
    xs = x.to(torch.float64).requires_grad_(True)
    torch.tanh(xs).sum().backward()
    want = xs.grad

    def tip(x_i: float, values: torch.Tensor) -> str:
        if first_mismatch(values, 1 - torch.tanh(x.to(torch.float64)), 1e-6) is None:
            return "you returned 1 - tanh(x): square tanh first"
        return ("that is not what autograd finds; differentiate tanh = sinh / cosh with the quotient rule and "
                "write the result with tanh itself")

    return run_cases(fn, "check_tanh_grad(tanh_grad)", [("tanh_grad(x)", (x.clone(),), _against(want, x, 1e-6, tip))],
                     f"tanh_grad agrees with autograd on all {len(x)} inputs, at 0 and in the flat tails")


@lru_cache(maxsize=None)
def _first_depth_below(limit: float, max_depth: int = 30) -> int:
    """The smallest depth whose sigmoid stack has a first-layer gradient below `limit` x the last layer's."""
    with torch.random.fork_rng(devices=[]):  # building the layers draws from the learner's global RNG
        for depth in range(1, max_depth + 1):
            norms = activations.gradient_norms("sigmoid", depth=depth)
            if norms[0] < limit * norms[-1]:
                return depth
    return -1


@checker
def check_vanishing_depth(fn: Callable[[float], Any]) -> bool:
    """Exercise: `fn(limit)` is the smallest depth where a sigmoid stack's first-layer gradient < limit x its last."""
    def judge(limit: float) -> Callable[[Any], None]:
        want = _first_depth_below(limit)
        return lambda got: exactly(got, want, "return the depth as an int", lambda value: (
            "too deep: test the depths in increasing order and stop at the first one that qualifies"
            if value > want else "too shallow: compare norms[0] with limit * norms[-1] for that depth"))

    cases = ((f"vanishing_depth({limit:g})", (limit,), judge(limit)) for limit in (1e-3, 1e-6))
    return run_cases(fn, "check_vanishing_depth(vanishing_depth)", cases,
                     "your depths match the sigmoid stacks' own for both limits: the first depth at which the first "
                     "layer's gradient falls below the limit times the last layer's")

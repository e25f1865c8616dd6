"""Checkers for the ReLU-versus-tanh chapter: which scales keep gradients, tanh's derivative, where sigmoid's vanish."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Callable

import torch

from ..net import activations
from ._common import (
    Wrong,
    case_rng,
    checker,
    exactly,
    first_mismatch,
    judge_answer,
    number,
    run_cases,
    show,
    subset_of,
    tensor_like,
)


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


def _is_scale(item: Any, scale: float) -> bool:
    """Whether a learner's number names one of the probed scales (1.41, 1.414 and math.sqrt(2) all name 1.41)."""
    return abs(number(item, "a weight scale") - scale) <= 0.01


@lru_cache(maxsize=None)
def _keeps(name: str, scale: float) -> bool:
    """activations.keeps_gradient, once per stack: the stacks are seeded, and the test cell asks again."""
    with torch.random.fork_rng(devices=[]):
        return activations.keeps_gradient(name, scale)


@checker
def check_gradient_scales(answer: Any) -> bool:
    """Exercise: `answer` maps 'relu' and 'tanh' to the probed weight scales at which a 20-layer stack keeps its
    first layer's gradient within a factor of 10 of its last layer's."""
    def judge(got: Any) -> None:
        if not isinstance(got, dict) or set(got) != {"relu", "tanh"}:
            raise Wrong(f"is {show(got)}; give a dict with the keys 'relu' and 'tanh', each a set of scales")
        for name in ("relu", "tanh"):
            chosen = subset_of(got[name], activations.PROBE_SCALES, f"'{name}'", _is_scale)
            want = {s for s in activations.PROBE_SCALES if _keeps(name, s)}
            if chosen - want:
                raise Wrong(f"for '{name}' includes a scale at which the first layer's gradient ends up more than "
                            f"10 times away from the last layer's; run the cell below and compare")
            if want - chosen:
                raise Wrong(f"for '{name}' misses a scale at which the gradient survives the 20 layers within a "
                            f"factor of 10; run the cell below and compare")

    return judge_answer(answer, judge, "right for both activations: see in the run below how narrow ReLU's good "
                                       "range is, and how tanh's slope near 0 forgives a scale that ReLU does not")


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
def _sigmoid_ratios(max_depth: int = 30) -> tuple[float, ...]:
    """norms[0] / norms[-1] of the sigmoid stack of each depth 1..max_depth, computed once for every limit."""
    with torch.random.fork_rng(devices=[]):  # building the layers draws from the learner's global RNG
        ratios = []
        for depth in range(1, max_depth + 1):
            norms = activations.gradient_norms("sigmoid", depth=depth)
            ratios.append(norms[0] / norms[-1] if norms[-1] > 0 else float("inf"))
    return tuple(ratios)


def _first_depth_below(limit: float, max_depth: int = 30) -> int:
    """The smallest depth whose sigmoid stack has a first-layer gradient below `limit` x the last layer's."""
    return next((d for d, r in enumerate(_sigmoid_ratios(max_depth), 1) if r < limit), -1)


#: The teaching cases: a thousandth and a millionth.
DEPTH_LIMITS = (1e-3, 1e-6)


def _drawn_limits(count: int = 2) -> list[float]:
    """Limits drawn afresh at each check (depths 3 to 15), none within 10% of a depth's ratio, so that a learner's
    own float rounding cannot tip the answer. Each answer differs from the fixed cases' and from the other drawn
    ones, so a table of the fixed answers (or any one depth) cannot pass by luck."""
    ratios, rng, limits = _sigmoid_ratios(), case_rng(), []
    low, high = math.log10(ratios[14]), math.log10(ratios[2])
    taken = {_first_depth_below(limit) for limit in DEPTH_LIMITS}
    while len(limits) < count:
        limit = float(f"{10 ** rng.uniform(low, high):.2g}")  # as the label prints it
        depth = _first_depth_below(limit)
        if depth not in taken and all(abs(limit / r - 1) > 0.1 for r in ratios):
            limits.append(limit)
            taken.add(depth)
    return limits


@checker
def check_vanishing_depth(fn: Callable[[float], Any]) -> bool:
    """Exercise: `fn(limit)` is the smallest depth where a sigmoid stack's first-layer gradient < limit x its last."""
    def judge(limit: float) -> Callable[[Any], None]:
        want = _first_depth_below(limit)
        return lambda got: exactly(got, want, "return the depth as an int", lambda value: (
            "too deep: test the depths in increasing order and stop at the first one that qualifies"
            if value > want else "too shallow: compare norms[0] with limit * norms[-1] for that depth"))

    cases = ((f"vanishing_depth({limit:g})", (limit,), judge(limit)) for limit in (*DEPTH_LIMITS, *_drawn_limits()))
    return run_cases(fn, "check_vanishing_depth(vanishing_depth)", cases,
                     "your depths match the sigmoid stacks' own for both limits and 2 drawn at random: the first "
                     "depth at which the first layer's gradient falls below the limit times the last layer's")

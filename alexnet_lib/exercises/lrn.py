"""Checkers for the local response normalisation chapter: LRN by hand, PyTorch's convention, when LRN bites."""

from __future__ import annotations

import math
from typing import Any, Callable

import torch
from torch import nn

from ..layers import LocalResponseNorm
from ..lrn import lrn_profile
from ._common import Wrong, checker, near, number, numbers_of, run_cases, show, too, whole_number

# (profile, n, alpha, beta, k): the paper's values, edges, an isolated peak, a wide window, k=1 and beta=1.
LRN_CASES = [([0.0, 10.0, 100.0, 10.0, 0.0, 0.0, 50.0], 5, 1e-4, 0.75, 2.0),
             ([80.0, 90.0, 5.0], 5, 1e-4, 0.75, 2.0),
             ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 3, 0.01, 0.5, 1.0),
             ([30.0, 0.0, 0.0, 0.0, 0.0, 30.0, 30.0, 30.0], 7, 1e-3, 1.0, 2.0),
             ([7.0], 1, 0.1, 0.75, 2.0)]


@checker
def check_lrn_1d(fn: Callable[[list, int, float, float, float], Any]) -> bool:
    """Exercise: `fn(a, n, alpha, beta, k)` normalises one pixel's channel profile `a` as the paper does."""
    def judge(a: list, n: int, alpha: float, beta: float, k: float) -> Callable[[Any], None]:
        want = lrn_profile(a, n, alpha, beta, k).tolist()

        def verdict(got: Any) -> None:
            values = numbers_of(got, len(a), "a list of numbers, one per channel")
            if len(values) != len(a):
                raise Wrong(f"returned {len(values)} values for {len(a)} channels; one per channel")
            bad = [i for i, (g, v) in enumerate(zip(values, want)) if not abs(g - v) <= 1e-6 * max(1.0, abs(v))]
            if bad:
                half = (n - 1) // 2
                interior = [j for j in bad if half <= j < len(a) - half]
                i = interior[0] if interior else bad[0]
                hint = ("near the edges the window is clipped: sum over max(0, i - n//2) .. min(C-1, i + n//2)"
                        if not interior else
                        "b_i = a_i / (k + alpha * sum of a_j**2 over the n channels centred on i) ** beta; "
                        "the sum includes a_i itself, and alpha is not divided by n")
                raise Wrong(f"channel {i} is {values[i]:.6g}, {too(values[i], want[i])}; {hint}")
        return verdict

    cases = ((f"lrn_1d({a}, n={n}, alpha={alpha}, beta={beta}, k={k})", (list(a), n, alpha, beta, k),
              judge(a, n, alpha, beta, k)) for a, n, alpha, beta, k in LRN_CASES)
    return run_cases(fn, "check_lrn_1d(lrn_1d)", cases,
                     f"all {len(LRN_CASES)} profiles match the paper's formula, edges included")


TORCH_LRN_KEYS = ("size", "alpha", "beta", "k")


def _torch_kwargs(got: Any) -> dict:
    """The learner's keyword arguments, checked before nn.LocalResponseNorm sees them."""
    if not isinstance(got, dict):
        raise Wrong(f"should return a dict of keyword arguments, got {show(got)}")
    unknown = [key for key in got if key not in TORCH_LRN_KEYS]
    if unknown:
        raise Wrong(f"nn.LocalResponseNorm(**{show(got)}) failed: it has no argument {show(unknown[0])}; "
                    f"its arguments are size, alpha, beta, k")
    if "size" not in got:
        raise Wrong(f"returned {show(got)} without size: nn.LocalResponseNorm needs the window size")
    kwargs = {key: number(value, f"a number for {key}") for key, value in got.items()}
    kwargs["size"] = whole_number(got["size"], "size is a number of channels")
    if not 1 <= kwargs["size"] <= 64:
        raise Wrong(f"size={kwargs['size']}: give nn.LocalResponseNorm the window size, the number of channels summed")
    return kwargs


@checker
def check_torch_lrn(fn: Callable[[int, float, float, float], Any]) -> bool:
    """Exercise: `fn(n, alpha, beta, k)` returns kwargs for nn.LocalResponseNorm that compute the paper's LRN."""
    x = torch.randn(2, 16, 3, 3, generator=torch.Generator().manual_seed(0)) * 30

    def judge(n: int, alpha: float, beta: float, k: float) -> Callable[[Any], None]:
        def verdict(got: Any) -> None:
            kwargs = _torch_kwargs(got)
            try:
                theirs = nn.LocalResponseNorm(**kwargs)(x).to(torch.float64)
            except Exception as e:  # values PyTorch refuses must become a hint
                raise Wrong(f"nn.LocalResponseNorm(**{show(got)}) failed: {type(e).__name__}; "
                            f"its arguments are size, alpha, beta, k") from None
            ours = LocalResponseNorm(n, alpha, beta, k)(x).to(torch.float64)
            if not bool(((ours - theirs).abs() <= 1e-5 + 1e-5 * ours.abs()).all()):
                hint = ("PyTorch's formula divides alpha by size and the paper's does not: pass an alpha that makes "
                        "up for it"
                        if abs(float(kwargs.get("alpha", 0.0)) - alpha) < 1e-12 else
                        "keep size=n, beta and k as they are; only alpha changes")
                raise Wrong(f"returned {show(got)}, which does not reproduce the paper's layer; {hint}")
        return verdict

    cases = ((f"paper_to_torch({n}, {alpha}, {beta}, {k})", (n, alpha, beta, k), judge(n, alpha, beta, k))
             for n, alpha, beta, k in ((5, 1e-4, 0.75, 2.0), (3, 1e-3, 0.5, 1.0), (7, 2e-5, 1.0, 2.0)))
    return run_cases(fn, "check_torch_lrn(paper_to_torch)", cases,
                     "with your keyword arguments nn.LocalResponseNorm computes the paper's layer in all three "
                     "settings")


@checker
def check_activation_for_share(fn: Callable[[float, int, float, float], Any]) -> bool:
    """Exercise: `fn(share, n, alpha, k)` is the activation a at which n equal channels make alpha*sum that share."""
    def judge(share: float, n: int, alpha: float, k: float) -> Callable[[Any], None]:
        want = math.sqrt(share * k / ((1 - share) * alpha * n))
        return lambda got: near(got, want, 1e-6 * want, "one number, the activation", lambda _: (
            "with n channels all equal to a, the share is alpha*n*a**2 / (k + alpha*n*a**2): set it equal to share "
            "and solve for a (a > 0)"))

    cases = ((f"activation_for({share}, n={n}, alpha={alpha}, k={k})", (share, n, alpha, k), judge(share, n, alpha, k))
             for share, n, alpha, k in ((0.5, 5, 1e-4, 2.0), (0.1, 5, 1e-4, 2.0), (0.9, 3, 1e-3, 1.0),
                                        (0.5, 5, 2e-5, 1.0)))
    return run_cases(fn, "check_activation_for_share(activation_for)", cases,
                     "your activation gives the neighbours exactly the asked share of the divisor's base in every "
                     "case checked")

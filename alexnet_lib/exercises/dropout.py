"""Checkers for the dropout chapter: inverted dropout, the survivors' scale, the paper's test-time rule."""

from __future__ import annotations

from typing import Any, Callable

import torch

from ._common import Wrong, checker, first_mismatch, near, run_cases, tensor_like


def _seeded(fn: Any) -> Any:
    """`fn` run with the global RNG seeded, and the learner's own RNG state restored afterwards."""
    if not callable(fn):
        return fn

    def seeded(*args: Any) -> Any:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(1)
            return fn(*args)
    return seeded


@checker
def check_dropout(fn: Callable[[torch.Tensor, float], Any]) -> bool:
    """Exercise: `fn(x, p)` is inverted dropout: zero each element with probability p, scale the rest to keep the
    expected value (the factor is the next exercise's answer, so no message here names it)."""
    # 250,000 units: the dropped share has a standard deviation under 0.1%, the mean under 0.5%.
    x = torch.rand(500, 500, generator=torch.Generator().manual_seed(0)) + 0.5
    xd = x.to(torch.float64)

    def judge(p: float) -> Callable[[Any], None]:
        def verdict(got: Any) -> None:
            values = tensor_like(got, x)
            if p == 0:
                if first_mismatch(values, xd, 0.0) is not None:
                    raise Wrong("must return x unchanged: with p = 0 nothing is dropped and nothing is scaled")
                return
            zero = values == 0
            dropped = float(zero.to(torch.float64).mean())
            if not abs(dropped - p) <= 0.01:
                raise Wrong(f"zeroed {dropped:.1%} of the elements; it should zero a fraction p = {p:.0%} "
                            f"(keep where torch.rand(...) >= p)")
            ratio = values[~zero] / xd[~zero]
            if first_mismatch(ratio, torch.ones_like(ratio), 0.0, 1e-9) is None:
                raise Wrong("the survivors are not scaled: the dropped units' share of the mean is lost; scale the "
                            "survivors up to make up for it")
            if first_mismatch(ratio, torch.full_like(ratio, 1 / (1 - p)), 0.0, 1e-4) is not None:
                raise Wrong("every survivor must be scaled by one and the same factor, the one that keeps the "
                            "expected value of each unit unchanged")
            if not abs(float(values.mean()) / float(xd.mean()) - 1) <= 0.02:
                raise Wrong("changed the mean of x by more than 2%: dropout must keep it, on average (are the "
                            "dropped units chosen at random, independently of their values?)")
        return verdict

    cases = ((f"dropout(x, {p})", (x.clone(), p), judge(p)) for p in (0.5, 0.2, 0.8, 0.0))
    return run_cases(_seeded(fn), "check_dropout(dropout)", cases,
                     "drops a fraction p at random, scales every survivor by the one factor that keeps the mean "
                     "(within 2% here), and p=0 is the identity")


@checker
def check_keep_scale(fn: Callable[[float], Any]) -> bool:
    """Exercise: `fn(p)` is the factor for the survivors that keeps the expected value of a unit unchanged."""
    def judge(p: float) -> Callable[[Any], None]:
        want = 1 / (1 - p)
        return lambda got: near(got, want, 1e-9 * want, "one number, the factor", lambda value: (
            "that is the probability of keeping a unit; the survivors must make up for the dropped ones"
            if abs(value - (1 - p)) <= 1e-9 else
            "a unit survives with probability 1-p, so E[scale * mask * x] = scale * (1-p) * x"))

    cases = ((f"keep_scale({p})", (p,), judge(p)) for p in (0.0, 0.1, 0.5, 0.75, 0.9))
    return run_cases(fn, "check_keep_scale(keep_scale)", cases,
                     "your factor keeps every unit's expected value unchanged for every p checked")


@checker
def check_paper_test_time(fn: Callable[[torch.Tensor, float], Any]) -> bool:
    """Exercise: `fn(h, p)` is the paper's test-time output for a unit trained with plain (unscaled) dropout.

    The right answer is the expectation of plain dropout's output over its masks, checked exactly.
    """
    h = torch.rand(64, generator=torch.Generator().manual_seed(0)) + 0.5
    hd = h.to(torch.float64)

    def judge(p: float) -> Callable[[Any], None]:
        def verdict(got: Any) -> None:
            values = tensor_like(got, h, "h")
            if first_mismatch(values, hd * (1 - p), 1e-6, 1e-6) is not None:
                raise Wrong("differs from the average over dropout masks; " + (
                    "that is inverted dropout's training-time scale; at test time the paper shrinks instead"
                    if first_mismatch(values, hd / (1 - p), 1e-6, 1e-6) is None else
                    "eval mode uses every unit, so scale it by the probability it was present in training"))
        return verdict

    cases = ((f"paper_test_time(h, {p})", (h.clone(), p), judge(p)) for p in (0.5, 0.3, 0.0))
    return run_cases(fn, "check_paper_test_time(paper_test_time)", cases,
                     "your test-time output equals the average of plain dropout's output over its masks, for "
                     "every p checked")

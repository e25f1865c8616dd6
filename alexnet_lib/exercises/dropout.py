"""Checkers for the dropout chapter: inverted dropout, and where the paper's test-time rule is exact."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

import torch

from ..toolkits import dropout_rules
from ._common import Wrong, checker, first_mismatch, judge_answer, one_of, run_cases, show, subset_of, tensor_like


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


@lru_cache(maxsize=None)
def _exact_nets() -> frozenset:
    """The nets on which the paper's rule is exact, once: the nbgrader test cell asks again."""
    return frozenset(name for name in dropout_rules.NET_NAMES if dropout_rules.rule_gap(name) < 1e-9)


@lru_cache(maxsize=None)
def _side(name: str) -> str:
    """Where the paper's rule lands against the mask average on the net called `name`, computed once."""
    signs = dropout_rules.gap_signs(name) - {0}
    return "either" if len(signs) > 1 else "below" if signs == {-1} else "above"


@checker
def check_exact_rule(answer: Any) -> bool:
    """Exercise: `answer` is the set of dropout_rules.NET_NAMES for which the paper's test-time rule equals the exact
    average over dropout masks."""
    want = _exact_nets()

    def judge(got: Any) -> None:
        chosen = subset_of(got, dropout_rules.NET_NAMES, "the set of nets")
        if chosen - want:
            raise Wrong("includes a net on which the two differ: the rule is exact only where the average of the "
                        "outputs is the output of the average input")
        if want - chosen:
            raise Wrong("misses a net on which the rule is exact: which maps commute with taking an average?")

    return judge_answer(answer, judge, "right: scaling the weights is exact exactly where everything after the "
                                       "dropped units is linear; the run below shows the gaps")


_SIDES = ("below", "above", "either")


@checker
def check_rule_side(answer: Any) -> bool:
    """Exercise: `answer` maps 'relu' and 'softmax' to where the paper's rule lands against the mask average:
    'below' (never above it), 'above' (never below it) or 'either'."""
    def judge(got: Any) -> None:
        if not isinstance(got, dict) or set(got) != {"relu", "softmax"}:
            raise Wrong(f"is {show(got)}; give a dict with the keys 'relu' and 'softmax'")
        for name in ("relu", "softmax"):
            if one_of(got[name], _SIDES, f"'{name}'") != _side(name):
                raise Wrong(f"for '{name}' is not what the run below shows; " + (
                    "ReLU is convex: what does that say about f(average) against average of f?" if name == "relu"
                    else "softmax is neither convex nor concave: can one sign hold for every output?"))

    return judge_answer(answer, judge, "right for both: a convex function of the average never exceeds the average "
                                       "of the function (Jensen's inequality), and softmax follows no such rule")

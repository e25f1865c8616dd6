"""Checkers for the dropout chapter: inverted dropout, and where the paper's test-time rule is exact."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

import torch

from ..toolkits import dropout_rules
from ._common import (
    Wrong,
    case_rng,
    checker,
    first_mismatch,
    judge_answer,
    one_of,
    run_cases,
    show,
    subset_of,
    tensor_like,
)


def _seeded(fn: Any, seed: int) -> Any:
    """`fn` with the global RNG seeded before each call (seed, seed + 1, ...: a new mask at each call, and new seeds
    at each check), and the learner's own RNG state restored afterwards."""
    if not callable(fn):
        return fn
    calls = [0]

    def seeded(*args: Any) -> Any:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed + calls[0])
            calls[0] += 1
            return fn(*args)
    return seeded


#: How far (in standard errors) a share of dropped units may stray before the mask is called not random: a right
#: answer fails one of the ~30 comparisons of a check about once in 10^8 checks.
_SIGMAS = 6.5


def _share(mask: torch.Tensor) -> float:
    return float(mask.to(torch.float64).mean())


def _randomness(mask: torch.Tensor, x: torch.Tensor, p: float) -> None:
    """Wrong unless the dropped units look like independent coin flips of probability p: spread evenly over rows,
    columns and values, and independent of their neighbours (a fixed or patterned mask fails here)."""
    rows, cols = mask.shape

    def off(share: float, n: int, want: float) -> bool:
        return abs(share - want) > _SIGMAS * (want * (1 - want) / n) ** 0.5 + 1e-12

    for axis, name in ((0, "rows"), (1, "columns")):
        for i, band in enumerate(mask.chunk(10, dim=axis)):
            if off(_share(band), band.numel(), p):
                size = mask.shape[axis] // 10
                raise Wrong(f"dropped {_share(band):.1%} in {name} {i * size + 1}-{(i + 1) * size} but {p:.0%} "
                            f"should be dropped everywhere: choose each unit at random (e.g. with torch.rand_like(x)), "
                            f"not by its position")
    above = x > x.median()
    for part, name in ((above, "larger"), (~above, "smaller")):
        if off(_share(mask[part]), int(part.sum()), p):
            raise Wrong(f"dropped {_share(mask[part]):.1%} of the {name} half of the values: the choice must not "
                        f"depend on the values, only on a random draw")
    for pair, name in ((mask[:, 1:] & mask[:, :-1], "left-right"), (mask[1:, :] & mask[:-1, :], "up-down")):
        # the neighbours of a pair are shared with the next pair: allow twice the independent spread
        if off(_share(pair), pair.numel() // 2, p * p):
            raise Wrong(f"{name} neighbours are dropped together {_share(pair):.1%} of the time, where independent "
                        f"draws give about {p * p:.1%}: each unit needs its own random draw, not a pattern")


@checker
def check_dropout(fn: Callable[[torch.Tensor, float], Any]) -> bool:
    """Exercise: `fn(x, p)` is inverted dropout: zero each element with probability p, scale the rest to keep the
    expected value (the factor is the next exercise's answer, so no message here names it).

    Beside the sizes, the mask is tested for randomness: spread evenly over rows, columns and values, independent
    of its neighbours, and new at each call (a second call with the same x and p must drop other units).
    """
    # 250,000 units: the dropped share has a standard deviation under 0.1%, the mean under 0.5%.
    x = torch.rand(500, 500, generator=torch.Generator().manual_seed(0)) + 0.5
    xd = x.to(torch.float64)
    masks: dict[float, torch.Tensor] = {}

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
            _randomness(zero, xd, p)
            if p in masks:  # the second call with this p: a new draw agrees with the first only by chance
                both = _share(zero & masks[p])
                if abs(both - p * p) > _SIGMAS * (p * p * (1 - p * p) / zero.numel()) ** 0.5:
                    raise Wrong(f"dropped the same units as the first call with p = {p:g} ({both:.1%} dropped by "
                                f"both, where independent draws give about {p * p:.1%}): draw a new mask at "
                                f"every call")
            masks[p] = zero
        return verdict

    cases = ((f"dropout(x, {p})" + (" again" if i == 4 else ""), (x.clone(), p), judge(p))
             for i, p in enumerate((0.5, 0.2, 0.8, 0.0, 0.5)))
    return run_cases(_seeded(fn, case_rng().randrange(2 ** 31)), "check_dropout(dropout)", cases,
                     "drops a fraction p at random (a new mask at every call, spread evenly, neighbours "
                     "independent), scales every survivor by the one factor that keeps the mean (within 2% here), "
                     "and p=0 is the identity")


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

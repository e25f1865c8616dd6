"""Checkers for the output-size chapter: the widths that give a 1×1 pool3, the widths conv1 tiles exactly, FC's
share."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

import torch
from torch import nn

from ..net.model import AlexNetConfig, alexnet_d2l, alexnet_paper
from ..net.shapes import conv_remainder
from ..toolkits.architecture import input_widths_for
from ._common import Wrong, case_rng, checker, judge_answer, near, number, numbers_of, run_cases, show, whole_number


def _width_pair(got: Any) -> tuple[int, int]:
    """Two whole numbers (first, last) from a tuple, list or 1-D tensor, else Wrong."""
    values = numbers_of(got, 2, "a pair (first, last)")
    if len(values) != 2:
        raise Wrong(f"has {len(values)} number(s); give two, (first, last)")
    first, last = (whole_number(v, "widths are whole numbers of pixels") for v in values)
    if first > last:
        raise Wrong(f"starts after it ends ({first} > {last}); give (first, last)")
    return first, last


def _pool3_side(W: int) -> str:
    """What pool3 gives for an input of W pixels, in words (for a hint about the learner's own width)."""
    config = AlexNetConfig()
    if not 1 <= W <= 4096 or not config._fits(W):
        return "the network cannot run (a layer gets an input smaller than its window)"
    side = config._walk(W)[-1]
    return f"pool3 gives {side}×{side}"


@lru_cache(maxsize=None)
def _one_by_one_widths() -> list[int]:
    """The widths whose pool3 is 1x1, once: the nbgrader test cell asks again."""
    return input_widths_for(1)


@checker
def check_pool3_widths(answer: Any) -> bool:
    """Exercise: `answer` is (first, last), the input widths from which to which the paper's pool3 is 1×1."""
    want = _one_by_one_widths()

    def judge(got: Any) -> None:
        first, last = _width_pair(got)
        for name, W in (("first", first), ("last", last)):
            if W not in want:
                raise Wrong(f"is off: at your {name} width, W = {W}, {_pool3_side(W)}")
        if first != want[0]:
            raise Wrong("starts too late: a narrower input still gives 1×1 at pool3; keep shrinking W")
        if last != want[-1]:
            raise Wrong("ends too early: a wider input still gives 1×1 at pool3; keep growing W")

    return judge_answer(answer, judge, "exactly the widths whose pool3 is 1×1: one pixel narrower fails, one wider "
                                       "gives 2×2")


#: The teaching cases: the paper's neighbourhood, the smallest widths, a range that starts below the kernel.
EXACT_CASES = ((200, 241), (11, 40), (5, 12))


def _drawn_ranges(count: int = 3) -> list[tuple[int, int]]:
    """Ranges drawn afresh at each check, beside the fixed ones: a table of the fixed answers fails on them."""
    rng, ranges = case_rng(), []
    while len(ranges) < count:
        lo = rng.randint(1, 900)
        pair = (lo, lo + rng.randint(9, 60))
        if pair not in EXACT_CASES and pair not in ranges:
            ranges.append(pair)
    return ranges


@checker
def check_exact_sizes(fn: Callable[[int, int], Any]) -> bool:
    """Exercise: `fn(lo, hi)` lists the widths W in range(lo, hi) that conv1 (K=11, S=4, P=0) tiles exactly."""
    def judge(lo: int, hi: int) -> Callable[[Any], None]:
        def verdict(got: Any) -> None:
            want = [W for W in range(lo, hi) if W >= 11 and conv_remainder(W, 11, 4, 0) == 0]
            values = [whole_number(v, "widths are whole numbers") for v in numbers_of(got, hi - lo, "a list of widths")]
            repeated = sorted({v for v in values if values.count(v) > 1})
            if repeated:
                raise Wrong(f"lists {repeated[0]} more than once; list each width once")
            extra, missing = sorted(set(values) - set(want)), set(want) - set(values)
            if extra:
                W = extra[0]
                why = ("is outside range(lo, hi)" if not lo <= W < hi else "is smaller than the kernel" if W < 11
                       else f"leaves {conv_remainder(W, 11, 4, 0)} pixel(s) uncovered")
                raise Wrong(f"includes {W}, which {why}: exact means nothing is left over after the last window")
            if missing:
                raise Wrong(f"misses {len(missing)} width(s) that conv1 tiles exactly; test every W in range(lo, hi) "
                            f"(the end is exclusive)")
        return verdict

    cases = ((f"exact_sizes({lo}, {hi})", (lo, hi), judge(lo, hi)) for lo, hi in (*EXACT_CASES, *_drawn_ranges()))
    return run_cases(fn, "check_exact_sizes(exact_sizes)", cases,
                     "your widths are exactly those that conv1 (K=11, S=4, P=0) tiles with nothing left over, "
                     "in every range checked")


def _fc_share(net: nn.Module) -> float:
    fc = sum(p.numel() for m in net.modules() if isinstance(m, nn.Linear) for p in m.parameters())
    return fc / sum(p.numel() for p in net.parameters())


@checker
def check_fc_share(fn: Callable[[nn.Module], Any]) -> bool:
    """Exercise: `fn(model)` gives the fraction of the model's parameters held by its nn.Linear layers.

    The networks are built on PyTorch's meta device (shapes without values), so checking takes no time and
    no memory; counting parameters works on them exactly as on ordinary ones.
    """
    def judge(net: nn.Module) -> Callable[[Any], None]:
        want = _fc_share(net)

        def verdict(got: Any) -> None:
            value = number(got, "one number, the fraction")
            if value > 1:
                raise Wrong(f"returned {show(value)}: more than 1; give a fraction, not a percent")
            near(value, want, 1e-6, "one number, the fraction", lambda value: (
                "count weights and biases of every nn.Linear (p.numel() over m.parameters())" if value < want else
                "count only the nn.Linear layers, over every parameter of the net"))
        return verdict

    def cases():
        for name, build in (("alexnet_paper()", alexnet_paper), ("alexnet_d2l()", alexnet_d2l)):
            with torch.device("meta"), torch.random.fork_rng(devices=[]):
                net = build()
            yield f"fc_share({name})", (net,), judge(net)

    return run_cases(fn, "check_fc_share(fc_share)", cases(),
                     "your share matches for the paper's network and for d2l's: the fully connected layers' "
                     "weights and biases over every parameter")

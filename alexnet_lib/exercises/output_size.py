"""Checkers for the output-size chapter: the size formula, the widths conv1 tiles exactly, the FC layers' share."""

from __future__ import annotations

from typing import Any, Callable

import torch
from torch import nn

from ..model import alexnet_d2l, alexnet_paper
from ..shapes import conv_output_size, conv_remainder
from ._common import Wrong, checker, exactly, near, number, numbers_of, run_cases, show, whole_number

# (W, K, S, P): exact divisions, floored ones, stride 1, padding larger than the remainder, AlexNet's layers.
OUTPUT_SIZE_CASES = [(227, 11, 4, 0), (224, 11, 4, 0), (224, 11, 4, 2), (224, 11, 4, 1), (55, 3, 2, 0),
                     (27, 5, 1, 2), (13, 3, 1, 1), (13, 3, 2, 0), (7, 7, 1, 0), (10, 3, 3, 0), (28, 5, 2, 2),
                     (1, 1, 1, 0), (32, 4, 5, 3)]


@checker
def check_output_size(fn: Callable[[int, int, int, int], Any]) -> bool:
    """Exercise: `fn(W, K, S, P)` must return PyTorch's output size for every case, as a whole number."""
    def judge(W: int, K: int, S: int, P: int) -> Callable[[Any], None]:
        hint = ("check the formula: the padded size minus the kernel, divided by the stride, plus one"
                if conv_remainder(W, K, S, P) == 0 else
                "this case does not divide exactly: PyTorch floors, so use // and add 1 afterwards")
        floors = "PyTorch floors: use // (floor division), not /"
        return lambda got: exactly(got, conv_output_size(W, K, S, P), floors, lambda _: hint)

    cases = ((f"output_size({W}, {K}, {S}, {P})", (W, K, S, P), judge(W, K, S, P))
             for W, K, S, P in OUTPUT_SIZE_CASES)
    return run_cases(fn, "check_output_size(output_size)", cases,
                     f"all {len(OUTPUT_SIZE_CASES)} cases agree with PyTorch, floors included")


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

    cases = ((f"exact_sizes({lo}, {hi})", (lo, hi), judge(lo, hi)) for lo, hi in ((200, 241), (11, 40), (5, 12)))
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

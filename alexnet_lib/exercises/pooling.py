"""Checkers for the overlapping-pooling chapter: coverage, receptive fields, and 1-D max pooling by hand."""

from __future__ import annotations

from typing import Any, Callable

import torch
import torch.nn.functional as F

from ..net.model import AlexNetConfig
from ..toolkits.pooling import pool_coverage, receptive_fields, unread_widths
from ._common import Wrong, checker, exactly, judge_answer, number, numbers_of, run_cases, show, too, whole_number


@checker
def check_pool_coverage(fn: Callable[[int, int, int], Any]) -> bool:
    """Exercise: `fn(W, z, s)` lists, for each of the W inputs, how many pooling windows read it."""
    def judge(W: int, z: int, s: int) -> Callable[[Any], None]:
        want = pool_coverage(W, z, s)

        def verdict(got: Any) -> None:
            counts = [whole_number(c, "counts are whole numbers") for c in numbers_of(got, W, "a list of counts")]
            if len(counts) != W:
                raise Wrong(f"has {len(counts)} entries; give one count per input position ({W})")
            i = next((i for i, (g, v) in enumerate(zip(counts, want)) if g != v), None)
            if i is not None:
                raise Wrong(f"input {i}: you said {show(counts[i])} window(s), {too(counts[i], want[i])}; there are "
                            f"(W - z) // s + 1 windows, and window j reads inputs j*s .. j*s + z - 1")
        return verdict

    cases = ((f"coverage({W}, {z}, {s})", (W, z, s), judge(W, z, s))
             for W, z, s in ((13, 3, 2), (13, 2, 2), (10, 3, 3), (9, 4, 1), (55, 3, 2), (6, 2, 3), (3, 3, 2)))
    return run_cases(fn, "check_pool_coverage(coverage)", cases,
                     "every coverage is right, for overlapping windows, touching ones and ones with gaps")


@checker
def check_receptive_field(fn: Callable[[list], Any]) -> bool:
    """Exercise: `fn(layers)` gives the receptive field (input pixels) after a stack of (kernel, stride) layers."""
    stacks = [([(3, 1)], 3), ([(3, 1), (3, 1)], 5), ([(2, 2), (2, 2)], 4), ([(11, 4), (3, 2)], 19)]
    for z, s in ((3, 2), (2, 2)):  # AlexNet's eight layers, with the library's own receptive field
        rows = receptive_fields(AlexNetConfig(pool_kernel=z, pool_stride=s))
        stacks.append(([(r.kernel, r.stride) for r in rows], rows[-1].receptive_field))

    def judge(want: int) -> Callable[[Any], None]:
        return lambda got: exactly(got, want, "a receptive field is a whole number of pixels", lambda _: (
            "start from r=1 and jump=1, and per layer grow r by (kernel - 1) × jump, then multiply the jump by the "
            "stride"))

    cases = ((f"receptive_field({layers if len(layers) < 4 else 'AlexNet'})", (list(layers),), judge(want))
             for layers, want in stacks)
    return run_cases(fn, "check_receptive_field(receptive_field)", cases,
                     "your receptive fields are right for small stacks and for AlexNet with both poolings")


@checker
def check_max_pool_1d(fn: Callable[[list, int, int], Any]) -> bool:
    """Exercise: `fn(values, z, s)` is 1-D max pooling without padding, as F.max_pool1d computes it."""
    values = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0, 5.0]

    def judge(z: int, s: int) -> Callable[[Any], None]:
        want = F.max_pool1d(torch.tensor([[values]]), z, s).flatten().tolist()

        def verdict(got: Any) -> None:
            pooled = [number(v) for v in numbers_of(got, len(values), "a list of numbers")]
            if len(pooled) != len(want):
                raise Wrong(f"gave {len(pooled)} outputs, {too(len(pooled), len(want))}; one output per window "
                            f"that fits entirely: a window that would run past the end is dropped")
            if pooled != want:
                j = next(j for j, (g, v) in enumerate(zip(pooled, want)) if g != v)
                raise Wrong(f"output {j} is {pooled[j]:g}, which is not the largest value of its window; "
                            f"window j covers values[j*s : j*s + z]")
        return verdict

    cases = ((f"max_pool_1d(values, z={z}, s={s})", (list(values), z, s), judge(z, s))
             for z, s in ((3, 2), (2, 2), (3, 3), (1, 1), (4, 1), (11, 1)))
    return run_cases(fn, "check_max_pool_1d(max_pool_1d)", cases,
                     "your max pooling matches F.max_pool1d on every window and stride")


#: The widths of the unread-rows exercise: AlexNet's 55 and its neighbours.
UNREAD_RANGE = range(50, 61)


@checker
def check_unread_widths(answer: Any) -> bool:
    """Exercise: `answer` maps (2, 2) and (3, 2) to the widths in UNREAD_RANGE that leave an input unread."""
    def judge(got: Any) -> None:
        if not isinstance(got, dict) or set(got) != {(2, 2), (3, 2)}:
            raise Wrong(f"is {show(got)}; give a dict with the keys (2, 2) and (3, 2), each a list of widths")
        for z, s in ((2, 2), (3, 2)):
            want = set(unread_widths(UNREAD_RANGE, z, s))
            chosen = [whole_number(w, "widths are whole numbers") for w in numbers_of(got[(z, s)], len(UNREAD_RANGE),
                                                                                    "a list of widths")]
            outside = [w for w in chosen if w not in UNREAD_RANGE]
            if outside:
                raise Wrong(f"for {(z, s)} lists {outside[0]}, outside {UNREAD_RANGE.start}..{UNREAD_RANGE.stop - 1}")
            read = sorted(set(chosen) - want)
            if read:
                raise Wrong(f"for {(z, s)} lists W = {read[0]}, where every input is read by some window: "
                            f"check with coverage({read[0]}, {z}, {s})")
            if want - set(chosen):
                raise Wrong(f"for {(z, s)} misses width(s) whose last input no window reaches")

    return judge_answer(answer, judge, "right for both poolings: the parity of W decides, in opposite ways for the "
                                       "two windows")

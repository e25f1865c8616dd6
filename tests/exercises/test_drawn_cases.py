"""Checkers test the idea, not a table: cases drawn afresh at each check beside the fixed ones, and a dropout mask
tested for randomness."""

import multiprocessing

import numpy as np
import pytest
import torch

from alexnet_lib import exercises as E
from alexnet_lib.exercises.architecture import FLATTEN_CASES
from alexnet_lib.exercises.lrn import LRN_CASES
from alexnet_lib.exercises.output_size import EXACT_CASES, _drawn_ranges
from alexnet_lib.exercises.relu_tanh import DEPTH_LIMITS, _drawn_limits, _first_depth_below
from alexnet_lib.net.model import AlexNetConfig
from alexnet_lib.toolkits.lrn import lrn_profile


def exact_sizes(lo, hi):
    return [W for W in range(lo, hi) if W >= 11 and (W - 11) % 4 == 0]


def flatten_size(W):
    return AlexNetConfig(input_size=W).flatten_features


def lrn_1d(a, n, alpha, beta, k):
    return lrn_profile(a, n, alpha, beta, k).tolist()


RIGHT = {E.check_exact_sizes: exact_sizes, E.check_flatten_size: flatten_size, E.check_lrn_1d: lrn_1d,
         E.check_vanishing_depth: _first_depth_below}
FIXED = {E.check_exact_sizes: list(EXACT_CASES), E.check_flatten_size: [(w,) for w in FLATTEN_CASES],
         E.check_lrn_1d: [(a, n, al, b, k) for a, n, al, b, k in LRN_CASES],
         E.check_vanishing_depth: [(limit,) for limit in DEPTH_LIMITS]}
IDS = [c.__name__ for c in RIGHT]


def table_of(check):
    """A learner's lookup table: the right answer for every fixed teaching case, a guess for anything else."""
    solution = RIGHT[check]
    table = {repr(args): solution(*args) for args in FIXED[check]}
    return lambda *args: table.get(repr(args), table[repr(FIXED[check][0])])


@pytest.mark.parametrize("check", list(RIGHT), ids=IDS)
def test_a_table_of_the_fixed_cases_fails_and_the_idea_passes(capsys, check):
    for _ in range(3):  # new cases each time
        assert check(RIGHT[check]) is True
        assert check(table_of(check)) is False
    lines = capsys.readouterr().out.splitlines()
    assert [line[0] for line in lines] == ["✅", "❌"] * 3


@pytest.mark.parametrize("check", list(RIGHT), ids=IDS)
def test_the_fixed_teaching_cases_are_still_asked(capsys, check):
    fixed = [repr(tuple(args)) for args in FIXED[check]]
    asked = multiprocessing.RawArray("b", len(fixed))  # shared memory: the calls run in a forked child

    def recorder(*args):
        if repr(tuple(args)) in fixed:
            asked[fixed.index(repr(tuple(args)))] = 1
        return RIGHT[check](*args)

    assert check(recorder) is True and all(asked)


def test_drawn_cases_change_from_check_to_check():
    assert _drawn_ranges() != _drawn_ranges()
    limits = _drawn_limits()
    assert limits != _drawn_limits() and not set(limits) & set(DEPTH_LIMITS)
    for _ in range(200):  # no two cases share an answer, so no single guessed depth passes a check by luck
        depths = [_first_depth_below(limit) for limit in (*DEPTH_LIMITS, *_drawn_limits())]
        assert len(set(depths)) == len(depths)
    assert all(3 <= _first_depth_below(limit) <= 15 for limit in limits)


# ----------------------------------------------------------------------------- dropout's mask, tested for randomness


def good(x, p):
    return x if p == 0 else x * (torch.rand_like(x) >= p) / (1 - p)


def with_numpy(x, p):
    return x if p == 0 else x * torch.from_numpy(np.random.rand(*x.shape) >= p) / (1 - p)


def first_fraction(x, p):
    m = torch.ones(x.numel())
    m[:round(p * x.numel())] = 0
    return x * m.view_as(x) / (1 - p)


def same_mask_every_call(x, p):
    g = torch.Generator().manual_seed(7)
    return x if p == 0 else x * (torch.rand(x.shape, generator=g) >= p) / (1 - p)


def fixed_permutation(x, p):
    if p == 0:
        return x
    m = torch.ones(x.numel())
    m[torch.randperm(x.numel(), generator=torch.Generator().manual_seed(42))[:round(p * x.numel())]] = 0
    return x * m.view_as(x) / (1 - p)


def stripes(x, p):
    return x if p == 0 else x * ~(torch.arange(x.numel()) % 10 < round(p * 10)).view_as(x) / (1 - p)


def column_blocks(x, p):  # drops the first p of every row: right share in rows, wrong in columns
    return x if p == 0 else x * (torch.arange(x.shape[1]) >= round(p * x.shape[1])) / (1 - p)


def smallest_values(x, p):
    return x if p == 0 else x * (x > x.flatten().kthvalue(max(1, round(p * x.numel()))).values) / (1 - p)


def pairs(x, p):  # random, but two neighbours share one draw
    if p == 0:
        return x
    m = (torch.rand(x.shape[0], x.shape[1] // 2) >= p).repeat_interleave(2, dim=1)
    return x * m / (1 - p)


def checkerboard(x, p):
    if p == 0:
        return x
    i, j = torch.meshgrid(torch.arange(x.shape[0]), torch.arange(x.shape[1]), indexing="ij")
    board = ((i + j) % 2 == 0) if p == 0.5 else torch.rand_like(x) < p
    return x * ~board / (1 - p)


@pytest.mark.parametrize("answer", [good, with_numpy], ids=lambda f: f.__name__)
def test_random_masks_pass(capsys, answer):
    for _ in range(3):
        assert E.check_dropout(answer) is True


@pytest.mark.parametrize("answer, says", [
    (first_fraction, "in rows 1-50"), (same_mask_every_call, "draw a new mask at every call"),
    (fixed_permutation, "draw a new mask at every call"), (stripes, "left-right neighbours"),
    (column_blocks, "in columns"), (smallest_values, "mean of x|half of the values"),
    (pairs, "left-right neighbours"), (checkerboard, "neighbours are dropped together"),
], ids=lambda v: getattr(v, "__name__", "says"))
def test_a_mask_that_is_not_random_fails(capsys, answer, says):
    assert E.check_dropout(answer) is False
    out = capsys.readouterr().out
    assert out.startswith("❌") and __import__("re").search(says, out), out
    assert "1 / (1 - p)" not in out and "1/(1-p)" not in out

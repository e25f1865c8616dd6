"""Property tests for the exercise checkers: whatever a learner's function does, a checker never raises and never
gives ✅ to a wrong answer, and it gives ✅ to a right one whatever numeric type carries it.

Each checker is run on a right solution whose result, at one call chosen by hypothesis, is replaced: by NaN, inf,
a huge or overflowing number, another type or shape, a shifted value, an exception, `exit()` - all of which must
end in ❌ - or by the same numbers in another type (numpy scalars and integers, 0-d tensors, float64 tensors,
lists for arrays), which must end in ✅. Examples are derandomised, so every run tests the same cases.
"""

import contextlib
import functools
import io
import math
import multiprocessing
import re
import sys

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from torch import nn

from alexnet_lib import exercises as E
from alexnet_lib.exercises.relu_tanh import _first_depth_below
from alexnet_lib.toolkits.architecture import split_grouped_conv
from alexnet_lib.toolkits.lenet import c1_padding_for, fc_parameters
from tests.single_thread import one_thread  # noqa: F401

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


@pytest.fixture(autouse=True, scope="module")
def judged_in_this_process():
    """These properties are about judging, and call the checkers thousands of times: they call the learner in this
    process (a fork costs 10-20 ms here). The fork that contains a crash has its own tests (test_isolation.py)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ALEXNET_CHECK_NO_FORK", "1")
        yield


# ----------------------------------------------------------------------------- right solutions, and their kind


def _fc_share(model):
    fc = sum(p.numel() for m in model.modules() if isinstance(m, nn.Linear) for p in m.parameters())
    return fc / sum(p.numel() for p in model.parameters())


def _lrn_1d(a, n, alpha, beta, k):
    h = n // 2
    return [a[i] / (k + alpha * sum(v * v for v in a[max(0, i - h):i + h + 1])) ** beta for i in range(len(a))]


def _coverage(W, z, s):
    counts = [0] * W
    for j in range((W - z) // s + 1):
        for i in range(j * s, j * s + z):
            counts[i] += 1
    return counts


def _receptive_field(layers):
    r, jump = 1, 1
    for k, s in layers:
        r, jump = r + (k - 1) * jump, jump * s
    return r


def _dropout(x, p):
    return x if p == 0 else x * (torch.rand_like(x) >= p) / (1 - p)


def _flatten_size(W):
    side = (W - 11) // 4 + 1
    for _ in range(3):
        side = (side - 3) // 2 + 1
    return 256 * side * side


def _schedule(step, total, peak, warmup):
    warm = max(1, int(warmup * total))
    if step < warm:
        return peak * (step + 1) / warm
    return peak * 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, total - warm)))


# kind: int / float (one number), tensor (a tensor shaped like the input), seq (list-like of numbers),
# dict (keyword arguments), towers (two convolutions).
SOLUTIONS = {
    E.check_exact_sizes: ("seq", lambda lo, hi: [W for W in range(lo, hi) if W >= 11 and (W - 11) % 4 == 0]),
    E.check_fc_share: ("float", _fc_share),
    E.check_tanh_grad: ("tensor", lambda x: 1 - torch.tanh(x) ** 2),
    E.check_vanishing_depth: ("int", functools.partial(_first_depth_below)),  # the slow search, cached
    E.check_lrn_1d: ("seq", _lrn_1d),
    E.check_activation_for_share: ("float", lambda s, n, a, k: math.sqrt(s * k / ((1 - s) * a * n))),
    E.check_pool_coverage: ("seq", _coverage),
    E.check_receptive_field: ("int", _receptive_field),
    E.check_max_pool_1d: ("seq", lambda v, z, s: [max(v[j * s:j * s + z]) for j in range((len(v) - z) // s + 1)]),
    E.check_dropout: ("tensor", _dropout),
    E.check_make_towers: ("towers", split_grouped_conv),
    E.check_flatten_size: ("int", _flatten_size),
    E.check_warmup_cosine: ("float", _schedule),
    E.check_c1_padding: ("int", c1_padding_for),
    E.check_fc_parameters: ("int", fc_parameters),
    E.check_top_k_accuracy: ("float", lambda s, y, k: float((s.topk(k, 1).indices == y[:, None]).any(1).double()
                                                             .mean())),
    E.check_ensemble_average: ("tensor", lambda logits: logits.softmax(2).mean(0)),
}
CHECKS = list(SOLUTIONS)
IDS = [c.__name__ for c in CHECKS]


# Checkers of a value the learner writes down (a prediction, a design's numbers): the right answer, the same in
# other types (all must pass), and wrong ones (all must fail).
VALUES = {
    E.check_pool3_widths: ((67, 98), [[67, 98], (np.int64(67), 98.0), torch.tensor([67, 98])],
                           [(68, 98), (67, 97), (66, 99), (67, 99)]),
    E.check_gradient_scales: ({"relu": {1.41}, "tanh": {1.0, 1.41}},
                              [{"relu": [math.sqrt(2)], "tanh": (1, 1.414)}, {"tanh": {np.float64(1.0), 1.41},
                                                                               "relu": {1.41}}],
                              [{"relu": {1.0, 1.41}, "tanh": {1.0, 1.41}}, {"relu": {1.41}, "tanh": {1.41}},
                               {"relu": set(), "tanh": {1.0, 1.41}}, {"relu": {1.41}, "tanh": {1.0, 1.41, 2.0}}]),
    E.check_lrn_winners: ((2, 6), [[2, 6], (np.int64(2), 6.0)], [(6, 6), (2, 2), (3, 6), (6, 2)]),
    E.check_unread_widths: ({(2, 2): [51, 53, 55, 57, 59], (3, 2): [50, 52, 54, 56, 58, 60]},
                            [{(2, 2): range(51, 60, 2), (3, 2): tuple(float(w) for w in range(50, 61, 2))}],
                            [{(2, 2): [51, 53, 55, 57], (3, 2): [50, 52, 54, 56, 58, 60]},
                             {(2, 2): [50, 52, 54, 56, 58, 60], (3, 2): [51, 53, 55, 57, 59]},
                             {(2, 2): [51, 53, 55, 57, 59], (3, 2): [50, 52, 54, 56, 58, 60, 61]}]),
    E.check_exact_rule: ({"linear", "two_linear"}, [["two_linear", "linear"], ("linear", "two_linear")],
                         [{"linear"}, {"linear", "two_linear", "relu"}, set(), {"softmax", "relu"}]),
    E.check_rule_side: ({"relu": "below", "softmax": "either"}, [{"relu": " Below", "softmax": "EITHER"}],
                        [{"relu": "above", "softmax": "either"}, {"relu": "either", "softmax": "either"},
                         {"relu": "below", "softmax": "below"}]),
    E.check_sgd_prediction: ((True, False), [[True, False]], [(True, True), (False, False), (False, True)]),
    # The truth is about 12.0x the parameters and 15.9x the multiply-adds; answers within 1.25x pass.
    E.check_stride_prediction: ({"parameters": 12.0, "multiply-adds": 15.9},
                                [{"parameters": np.float64(11), "multiply-adds": 17},
                                 {"multiply-adds": 15, "parameters": 13.5}],
                                [{"parameters": 1, "multiply-adds": 16}, {"parameters": 12, "multiply-adds": 12},
                                 {"parameters": 16, "multiply-adds": 16}, {"parameters": 3}]),
    E.check_patch_count: (242, [242.0, np.int64(242), torch.tensor(242)], [121, 200, 2048, 243, 484]),
    E.check_five_corners: ([(0, 0), (0, 19), (19, 0), (19, 19), (9, 9)],
                           [((0, 0), (0, 19), (19, 0), (19, 19), (9, 9)),
                            np.array([(0, 0), (0, 19), (19, 0), (19, 19), (9, 9)]),
                            [(0.0, 0), (0, np.int64(19)), (19, 0), (19, 19), (9, 9)]],
                           [[(0, 0), (19, 0), (0, 19), (19, 19), (9, 9)], [(0, 0), (0, 19), (19, 0), (19, 19), (10,
                                                                                                                10)],
                            [(0, 0), (0, 20), (20, 0), (20, 20), (10, 10)], [(0, 0), (0, 19), (19, 0), (19, 19)]]),
    E.check_greyscale_shift: (3.18, [np.float64(3.18), torch.tensor(3.2), 3.15],
                              [9.0, 0.0125, 0.0, 1.0, 3.25]),
    # The truth: 1,106,304 parameters lost without conv3, 18,431,744 gained without conv5; within 2% passes.
    E.check_removal_prediction: ({"conv3": 1_106_304, "conv5": -18_431_744},
                                 [{"conv3": np.int64(1_106_304), "conv5": -18.4e6},
                                  {"conv5": torch.tensor(-18_431_744.0), "conv3": 1.1e6}],
                                 [{"conv3": 885_120, "conv5": -18_431_744}, {"conv3": 1_106_304, "conv5": 442_624},
                                  {"conv3": 1_106_304, "conv5": 18_431_744}, {"conv3": 1_106_304}]),
    E.check_hidden_failure: (100 * torch.eye(10, dtype=torch.long).index_put((torch.tensor([6]), torch.tensor([6])),
                                                                                torch.tensor(0)),
                             [], [100 * torch.eye(10), 90 * torch.eye(10) + 1]),
}
VALUES[E.check_hidden_failure][0][6, 0] = 100
VALUES[E.check_hidden_failure][1].extend([VALUES[E.check_hidden_failure][0].tolist(),
                                          VALUES[E.check_hidden_failure][0].double().numpy()])
VALUE_CHECKS = list(VALUES)
VALUE_IDS = [c.__name__ for c in VALUE_CHECKS]


def test_every_checker_has_a_solution_here():
    assert set(SOLUTIONS) | set(VALUES) | {E.check_small_design} == set(E.CHECKERS)
    assert not set(SOLUTIONS) & set(VALUES)


@pytest.mark.parametrize("check", VALUE_CHECKS, ids=VALUE_IDS)
def test_a_value_is_judged_by_its_meaning_not_its_type(capsys, check):
    right, same, wrong = VALUES[check]
    torch.manual_seed(123)
    state = torch.get_rng_state()
    for answer in [right, *same]:
        assert _verdict(capsys, check, answer)[0], answer
    for answer in wrong:
        assert not _verdict(capsys, check, answer)[0], answer
    assert torch.equal(torch.get_rng_state(), state)
    assert not _verdict(capsys, check, lambda: right)[0]  # a function is not the answer


def _canonical(value):
    """Lists and tuples alike, numbers as floats: to tell an odd value that happens to be right."""
    if isinstance(value, (list, tuple)):
        return tuple(_canonical(v) for v in value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value  # 67 == 67.0 already; float() of a huge int would overflow
    return repr(value)


@pytest.mark.parametrize("check", VALUE_CHECKS, ids=VALUE_IDS)
@settings(SETTINGS, max_examples=15)
@given(value=st.deferred(lambda: ODD_VALUES))
def test_an_odd_value_is_never_right(capsys, check, value):
    assume(_canonical(value) != _canonical(VALUES[check][0]))
    assert not _verdict(capsys, check, value)[0]


# ----------------------------------------------------------------------------- what can happen to a result


class BrokenMessage(Exception):
    def __str__(self):
        raise RuntimeError("a message that cannot be shown")


def _exit_builtin():
    exit()  # noqa: F821 - the site module's exit(), as a learner would type it


RAISERS = [lambda: 1 / 0, lambda: [][1], lambda: {}["key"], lambda: sys.exit(), lambda: sys.exit(3),
           _exit_builtin, lambda: math.sqrt(-1), lambda: float("x"), lambda: BrokenMessage(), "recursion",
           lambda: torch.zeros(2) @ torch.zeros(3), lambda: (_ for _ in ()).throw(StopIteration()),
           lambda: (_ for _ in ()).throw(MemoryError()), lambda: (_ for _ in ()).throw(AssertionError("no")),
           lambda: BaseException("not even an Exception")]


def _raise(which):
    if which == "recursion":
        def f():
            return f()
        return f()
    result = which()
    if isinstance(result, BaseException):
        raise result
    raise AssertionError("every raiser raises")


def _numbers(value):
    """(numbers as float64 tensor, a function from a float64 tensor back to the result's own container)."""
    if isinstance(value, torch.Tensor):
        return value.detach().to(torch.float64).flatten(), lambda t: t.to(value.dtype).reshape(value.shape)
    if isinstance(value, (list, tuple)):
        return torch.tensor([float(v) for v in value], dtype=torch.float64), lambda t: type(value)(t.tolist())
    return torch.tensor([float(value)], dtype=torch.float64), (
        (lambda t: int(t[0])) if isinstance(value, int) else (lambda t: float(t[0])))


def _shift(value, index, delta):
    """`value` with one number moved by a relative `delta` (at least 0.1% and at least 1 for integers)."""
    numbers, back = _numbers(value)
    if len(numbers) == 0:  # an empty list: a number too many
        return [7]
    i = index % len(numbers)
    step = delta * max(1.0, abs(float(numbers[i])))
    if isinstance(value, int) or (isinstance(value, list) and all(isinstance(v, int) for v in value)):
        step = math.copysign(max(1, round(abs(step))), delta)
    moved = numbers.clone()
    moved[i] += step
    result = back(moved)
    if isinstance(value, torch.Tensor) and not value.is_floating_point():
        assume(False)
    return result


def _poison(value, index, bad):
    """`value` with one number replaced by NaN, inf or a huge number."""
    if isinstance(value, torch.Tensor):
        out = value.detach().clone().to(torch.float64 if abs(bad) > 3e38 else value.dtype)
        out.view(-1)[index % out.numel()] = bad
        return out
    if isinstance(value, (list, tuple)):
        if not value:
            return [bad]
        out = list(value)
        out[index % len(out)] = bad
        return out
    return bad


def _same_numbers(kind, value, how):
    """The same numbers in another accepted type."""
    if kind in ("int", "float"):
        options = {"numpy": np.float64(value) if kind == "float" else np.int64(value),
                   "numpy32": np.int32(value) if kind == "int" else np.float64(value),
                   "float": float(value), "tensor0d": torch.tensor(value, dtype=torch.float64),
                   "array0d": np.array(value)}
        return options[how]
    if kind == "tensor":
        return {"numpy": value.double(), "numpy32": value.double(), "float": value.to(torch.float64),
                "tensor0d": value.double().clone(), "array0d": value.double()}[how]
    if kind == "seq":
        numbers = [float(v) for v in (value.tolist() if isinstance(value, torch.Tensor) else value)]
        return {"numpy": np.array(numbers), "numpy32": [np.float64(v) for v in numbers], "float": tuple(numbers),
                "tensor0d": torch.tensor(numbers, dtype=torch.float64), "array0d": list(numbers)}[how]
    if kind == "dict":
        return {key: (np.int64(v) if key == "size" else np.float64(v)) if how.startswith("numpy") else
                (float(v) if how == "float" else v) for key, v in value.items()}
    return list(value)  # towers: a list instead of a tuple


def _wrong_type(kind, value, how):
    """Another type or shape, which must fail."""
    if how == "none":
        return None
    if how == "text":
        return "42"
    if how == "bool":
        return True
    if kind in ("int", "float"):
        return {"list": [value], "tensor1d": torch.tensor([float(value)]), "pair": (value, value)}[how]
    if kind == "tensor":
        return {"list": value.tolist(), "tensor1d": value.unsqueeze(0), "pair": value.detach().numpy()}[how]
    if kind == "seq":
        t = torch.as_tensor([float(v) for v in (value.tolist() if isinstance(value, torch.Tensor) else value)])
        return {"list": [list(map(float, t))], "tensor1d": t.reshape(1, -1), "pair": {"values": t}}[how]
    if kind == "dict":
        return {"list": list(value.items()), "tensor1d": dict(value, size=10 ** 9), "pair": dict(value, nope=1)}[how]
    conv = value[0]
    return {"list": conv, "tensor1d": (conv, conv, conv), "pair": (value[1], value[0].double())}[how]


def _nan_towers(towers, bad):
    a, b = (split for split in towers)
    with torch.no_grad():
        b.weight.view(-1)[0] = bad
    return a, b


MUTATIONS = st.one_of(
    st.tuples(st.just("raise"), st.sampled_from(range(len(RAISERS)))),
    st.tuples(st.just("poison"), st.sampled_from([math.nan, math.inf, -math.inf, 1e300, -1e300, 10 ** 400])),
    st.tuples(st.just("shift"), st.floats(1e-3, 10.0) | st.floats(-10.0, -1e-3)),
    st.tuples(st.just("same"), st.sampled_from(["numpy", "numpy32", "float", "tensor0d", "array0d"])),
    st.tuples(st.just("type"), st.sampled_from(["none", "text", "bool", "list", "tensor1d", "pair"])),
)


def _mutate(kind, value, mutation, index):
    """(new result, whether it is still right)."""
    what, arg = mutation
    if what == "raise":
        _raise(RAISERS[arg])
    if what == "same":
        return _same_numbers(kind, value, arg), True
    if what == "type":
        return _wrong_type(kind, value, arg), False
    if kind == "towers":
        if what == "shift":
            a, b = value
            with torch.no_grad():
                b.bias[0] += arg
            return (a, b), False
        return _nan_towers(value, arg if abs(arg) < 1e301 else math.inf), False
    if kind == "dict":
        key = "alpha" if what == "poison" or index % 2 else "beta"
        new = dict(value)
        new[key] = arg if what == "poison" else value[key] + arg * max(1.0, abs(value[key]))
        return new, False
    if what == "poison":
        return _poison(value, index, arg), False
    return _shift(value, index, arg), False


class Learner:
    """A right solution whose result at call number `at` is mutated.

    Its counts live in shared memory: the checkers call a learner's function in a forked child process, whose
    own changes to the object would not come back.
    """

    def __init__(self, solution, kind, mutation, at, index):
        self.solution, self.kind, self.mutation, self.at, self.index = solution, kind, mutation, at, index
        self._calls, self._right = multiprocessing.RawValue("i", 0), multiprocessing.RawValue("b", 1)

    calls = property(lambda self: self._calls.value)
    right = property(lambda self: bool(self._right.value))

    def __call__(self, *args):
        result = self.solution(*args)
        self._calls.value += 1
        if self._calls.value - 1 != self.at:
            return result
        self._right.value = 0  # if the mutation raises, the answer is wrong
        result, right = _mutate(self.kind, result, self.mutation, self.index)
        self._right.value = int(right)
        return result


def _verdict(capsys, check, fn):
    ok = check(fn)
    lines = capsys.readouterr().out.strip().splitlines()
    assert isinstance(ok, bool) and len(lines) == 1, lines
    assert lines[0].startswith("✅" if ok else "❌"), lines
    return ok, lines[0]


@functools.lru_cache(maxsize=None)
def _calls(check):
    """How many times `check` calls a right solution."""
    learner = Learner(SOLUTIONS[check][1], SOLUTIONS[check][0], None, -1, 0)
    with contextlib.redirect_stdout(io.StringIO()):
        assert check(learner)
    return learner.calls


@pytest.mark.parametrize("check", CHECKS, ids=IDS)
@SETTINGS
@given(mutation=MUTATIONS, at=st.integers(0, 10 ** 6), index=st.integers(0, 10 ** 6))
def test_a_mutated_answer_is_judged_by_its_numbers(capsys, check, mutation, at, index):
    kind, solution = SOLUTIONS[check]
    learner = Learner(solution, kind, mutation, at % _calls(check), index)
    ok, line = _verdict(capsys, check, learner)
    event(f"{mutation[0]}: {'right' if learner.right else 'wrong'}")
    assert ok == learner.right, f"{mutation} at call {at}: {line}"


ODD_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(10 ** 20, 10 ** 500) | st.floats() | st.text(max_size=5)
    | st.sampled_from([np.int64(3), np.float32("nan"), np.array([1.5, 2.5]), torch.tensor(3),
                       torch.tensor([math.inf]), torch.ones(2, 2, dtype=torch.int32), torch.zeros(0), object(),
                       nn.Conv2d(1, 1, 1), range(3), b"xy", 1 + 2j]),
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner) | st.dictionaries(st.text(max_size=3), inner,
                                                                                         max_size=3),
    max_leaves=6)


@pytest.mark.parametrize("check", CHECKS, ids=IDS)
@settings(SETTINGS, max_examples=10)
@given(value=ODD_VALUES)
def test_a_constant_answer_is_never_right(capsys, check, value):
    # Every checker's cases have different answers, so no constant can be right for all of them.
    ok, _ = _verdict(capsys, check, lambda *args: value)
    assert not ok


@pytest.mark.parametrize("check", CHECKS + [E.check_small_design], ids=IDS + ["check_small_design"])
def test_keyboard_interrupt_still_stops_the_cell(check):
    def interrupted(*args):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        check(interrupted)


@pytest.mark.parametrize("check", CHECKS, ids=IDS)
def test_right_solutions_pass_and_leave_the_global_rng_alone(capsys, check):
    solution = SOLUTIONS[check][1]

    def learner(*args):  # a learner's own draws (building a layer, a dropout mask) are not the checker's
        with torch.random.fork_rng(devices=[]):
            return solution(*args)

    torch.manual_seed(123)
    state = torch.get_rng_state()
    assert _verdict(capsys, check, learner)[0]
    assert torch.equal(torch.get_rng_state(), state)


# What each chapter asks the learner to find out (regular expressions): no verdict may say it.
ANSWERS = {
    E.check_exact_sizes: (r"\b22[47]\b", r"\b203\b"),
    E.check_fc_share: (r"\b96", "%"),
    E.check_tanh_grad: (r"e-05", r"2\.5"),
    E.check_vanishing_depth: (r"\b6\b", r"\b11\b"),
    E.check_activation_for_share: (r"\b63", "sqrt"),
    E.check_receptive_field: (r"\b195\b", r"\b67\b"),
    E.check_pool_coverage: ("twice", "every other"),
    E.check_dropout: (r"1 ?/ ?\(1 ?- ?p\)", r"1 - p", "doubled"),
    E.check_flatten_size: (r"9,?216", r"43,?264", "6×6"),
    E.check_pool3_widths: (r"\b67\b", r"\b98\b"),
    E.check_gradient_scales: (r"1\.41", r"\{"),
    E.check_lrn_winners: (r"\b2\b", r"\b6\b"),
    E.check_unread_widths: (r"\b5[13579]\b", r"\bodd\b", r"\beven\b"),
    E.check_exact_rule: (r"two_linear", r"'linear'"),
    E.check_rule_side: (r"\bbelow\b", r"\beither\b", r"\babove\b"),
    E.check_sgd_prediction: (r"\bTrue\b", r"\bFalse\b"),
    E.check_stride_prediction: (r"\b12(\.0)?\b", r"\b15\.9\b", r"\b16\b"),
    E.check_patch_count: (r"\b242\b",),
    E.check_five_corners: (r"\b19\b", r"\(9, ?9\)"),
    E.check_greyscale_shift: (r"\b3\.1\d",),
    E.check_c1_padding: (r"padding ?= ?2\b",),
    E.check_fc_parameters: (r"58,?631", r"10,?164"),
    E.check_top_k_accuracy: (r"topk\(", r"argsort"),
    E.check_ensemble_average: (r"softmax\(", r"mean\("),
    E.check_removal_prediction: (r"1,?106", r"18,?431", r"885,?120", r"221,?184"),
}


@pytest.mark.parametrize("check", list(ANSWERS), ids=[c.__name__ for c in ANSWERS])
def test_verdicts_do_not_give_the_answer_away(capsys, check):
    if check in VALUES:
        right, _, wrong = VALUES[check]
        lines = [_verdict(capsys, check, answer)[1] for answer in [right, *wrong]]
        assert lines[0].startswith("✅") and all(line.startswith("❌") for line in lines[1:])
        for line in lines:
            assert not [a for a in ANSWERS[check] if re.search(a, line.split(": ", 1)[-1])], line
        return
    kind, solution = SOLUTIONS[check]
    lines = [_verdict(capsys, check, solution)[1]]  # right
    for at in range(min(2, _calls(check))):  # wrong: one answer off by half
        lines.append(_verdict(capsys, check, Learner(solution, kind, ("shift", 0.5), at, 0))[1])
    assert lines[0].startswith("✅") and all(line.startswith("❌") for line in lines[1:])
    for line in lines:
        message = line.split(": ", 1)[-1] if line.startswith("❌") else line  # after the call's own label
        assert not [a for a in ANSWERS[check] if re.search(a, message)], line

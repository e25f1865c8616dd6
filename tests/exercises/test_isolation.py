"""One answer's crash costs only its exercise: the learner's calls run in a forked child (Linux)."""

import os
import signal
import sys
import time

import pytest
import torch

from alexnet_lib import exercises as E
from alexnet_lib.exercises import _common
from alexnet_lib.exercises._common import assert_passes, call, isolated

pytestmark = pytest.mark.skipif(not isolated(), reason="the checkers fork only on Linux")


def max_pool_1d(v, z, s):
    return [max(v[j * s:j * s + z]) for j in range(max(0, (len(v) - z) // s + 1))]


@pytest.mark.parametrize("crash, says", [
    (lambda: os._exit(0), r"os\._exit\(0\)"),
    (lambda: os._exit(3), r"os\._exit\(3\)"),
    (lambda: os.kill(os.getpid(), signal.SIGSEGV), "SIGSEGV"),
    (lambda: os.abort(), "SIGABRT"),
    (lambda: os.kill(os.getpid(), signal.SIGKILL), "SIGKILL"),
])
def test_a_hard_exit_is_a_cross_for_that_exercise_only(capsys, crash, says):
    def answer(v, z, s):
        crash()

    assert E.check_max_pool_1d(answer) is False
    out = capsys.readouterr().out
    assert out.startswith("❌ max_pool_1d(") and "only this exercise is marked wrong" in out
    assert __import__("re").search(says, out), out
    # the notebook goes on: the next exercise is judged as usual
    assert E.check_max_pool_1d(max_pool_1d) is True and capsys.readouterr().out.startswith("✅")


def test_a_crash_on_a_later_case_is_reported_on_that_case(capsys):
    calls = []

    def answer(v, z, s):
        calls.append(1)  # the child's list: two calls made before the crash
        if len(calls) == 2:
            os._exit(1)
        return max_pool_1d(v, z, s)

    assert E.check_max_pool_1d(answer) is False
    assert "os._exit(1)" in capsys.readouterr().out and calls == []  # the parent's list was never touched


def test_under_the_autograder_a_crash_is_an_assertion_error():
    with pytest.raises(AssertionError, match="ended the Python process"):
        assert_passes(E.check_max_pool_1d, lambda v, z, s: os._exit(0))


def test_a_call_that_ignores_its_time_limit_is_killed(monkeypatch, capsys):
    monkeypatch.setattr(_common, "CALL_SECONDS", 0.3)
    monkeypatch.setattr(_common, "_GRACE_SECONDS", 0.3)

    def stubborn(v, z, s):  # blocks the alarm that would stop it in the child
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        while True:
            pass

    t0 = time.perf_counter()
    assert E.check_max_pool_1d(stubborn) is False
    assert time.perf_counter() - t0 < 5
    assert "ran for more than 0.3 s and was stopped" in capsys.readouterr().out


def test_prints_come_back_and_a_result_that_cannot_be_sent_back_is_made_here(capsys):
    def chatty(v, z, s):
        print("thinking")
        return max_pool_1d(v, z, s)

    assert E.check_max_pool_1d(chatty) is True
    out = capsys.readouterr().out
    assert out.startswith("thinking\n") and out.rstrip().endswith(out.splitlines()[-1]) and "✅" in out
    result, error = call(lambda: (lambda: 1))  # a function cannot be pickled: the call is made in this process
    assert error == "" and result() == 1


def test_the_child_changes_nothing_here():
    torch.manual_seed(5)
    state, threads = torch.get_rng_state(), torch.get_num_threads()
    box = [0]

    def meddler(v, z, s):
        torch.manual_seed(99)
        torch.set_num_threads(1)
        box[0] += 1
        sys.modules.pop("json", None)
        return max_pool_1d(v, z, s)

    assert E.check_max_pool_1d(meddler) is True
    assert torch.equal(torch.get_rng_state(), state) and torch.get_num_threads() == threads
    assert box == [0] and "json" in sys.modules


def test_in_place_changes_are_still_refused_in_the_child(capsys):
    def destroys(v, z, s):
        out = max_pool_1d(v, z, s)
        v.clear()
        return out

    assert E.check_max_pool_1d(destroys) is False
    assert "changed its input in place (argument 1)" in capsys.readouterr().out


def test_without_fork_the_checkers_still_judge(monkeypatch, capsys):
    monkeypatch.setenv("ALEXNET_CHECK_NO_FORK", "1")
    assert not isolated()
    assert E.check_max_pool_1d(max_pool_1d) is True
    assert E.check_max_pool_1d(lambda v, z, s: [0]) is False


def test_a_check_under_fork_stays_fast(capsys):
    E.check_max_pool_1d(max_pool_1d)  # warm
    t0 = time.perf_counter()
    for _ in range(10):
        assert E.check_max_pool_1d(max_pool_1d)
    per_check = (time.perf_counter() - t0) / 10
    assert per_check < 0.5, f"{per_check:.3f} s per check"  # one fork per check: about 10-30 ms on 2 cores

"""What every checker shares: a learner's function gets copies, may not change them, and cannot run forever."""

import time

import torch

from alexnet_lib.exercises import _common, check_lrn_1d, check_max_pool_1d


def test_an_endless_answer_is_stopped_with_a_clear_cross(monkeypatch, capsys):
    monkeypatch.setattr(_common, "CALL_SECONDS", 0.5)

    def forever(*args):
        while True:
            pass

    t0 = time.perf_counter()
    assert check_max_pool_1d(forever) is False
    assert time.perf_counter() - t0 < 5
    out = capsys.readouterr().out
    assert out.startswith("❌") and "ran for more than 0.5 s and was stopped" in out
    got, error = _common.call(lambda: 42)  # the timer is gone afterwards: a normal call is untouched
    assert (got, error) == (42, "")
    time.sleep(0.6)  # no stray alarm fires after the limit would have passed


def test_an_answer_that_changes_its_input_is_refused_and_cannot_change_the_cases(capsys):
    x = torch.tensor([1.0, 2.0, 3.0])
    got, error = _common.call(lambda t: t.mul_(0), x)
    assert got is None and "changed its input in place (argument 1)" in error
    assert torch.equal(x, torch.tensor([1.0, 2.0, 3.0]))  # the checker's own tensor is untouched
    lst = [3, 1, 2]
    _, error = _common.call(lambda v: v.sort(), lst)
    assert "changed its input in place" in error and lst == [3, 1, 2]
    assert torch.equal(_common.call(lambda t: t * 2, x)[0], torch.tensor([2.0, 4.0, 6.0]))

    from alexnet_lib.toolkits.lrn import lrn_profile

    def right(a, n, alpha, beta, k):
        return lrn_profile(a, n, alpha, beta, k).tolist()

    def right_but_destroys(a, n, alpha, beta, k):  # the right profile, and the learner's list emptied after
        out = right(a, n, alpha, beta, k)
        a.clear()
        return out

    assert check_lrn_1d(right) is True
    capsys.readouterr()
    assert check_lrn_1d(right_but_destroys) is False
    assert "changed its input in place (argument 1)" in capsys.readouterr().out


def test_a_value_that_cannot_be_copied_is_passed_as_it_is():
    leaf = torch.ones(2, requires_grad=True)
    non_leaf = leaf * 2  # deepcopy refuses non-leaf tensors that require grad
    got, error = _common.call(lambda t: float(t.detach().sum()), non_leaf)
    assert (got, error) == (4.0, "")

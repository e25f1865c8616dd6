"""The training chapter's checkers: ✅ for right answers, ❌ with the telling hint for common mistakes, never
raising."""

import math

import numpy as np
import pytest
import torch

from alexnet_lib import exercises as E


def schedule(step, total, peak, warmup):
    warm = max(1, int(warmup * total))
    if step < warm:
        return peak * (step + 1) / warm
    return peak * 0.5 * (1 + math.cos(math.pi * (step - warm) / (total - warm)))


@pytest.mark.parametrize("check,right,wrong,hint", [
    (E.check_accuracy_from_confusion, lambda c: float(c.diag().sum() / c.sum()),
     lambda c: float(c.diag().sum() / len(c)), "not by the number of classes"),
    (E.check_per_class_accuracy, lambda c: torch.nan_to_num(c.diag() / c.sum(1)),
     lambda c: torch.nan_to_num(c.diag() / c.sum(0)), "that is precision"),
    (E.check_per_class_accuracy, lambda c: torch.nan_to_num(c.diag() / c.sum(1)),
     lambda c: c.diag() / c.sum(1), "return 0 for an empty row"),
    (E.check_warmup_cosine, schedule, lambda s, t, p, w: p, "rise linearly"),
    (E.check_warmup_cosine, schedule, lambda s, t, p, w: schedule(s, t, p, w) if s < int(w * t) else p,
     "after warmup"),
])
def test_verdicts(capsys, check, right, wrong, hint):
    assert check(right) is True
    assert "✅" in capsys.readouterr().out
    assert check(wrong) is False
    out = capsys.readouterr().out
    assert "❌" in out and hint in out


@pytest.mark.parametrize("check", [E.check_accuracy_from_confusion, E.check_per_class_accuracy,
                                   E.check_warmup_cosine])
def test_never_raises(capsys, check):
    def unfinished(*args):
        raise NotImplementedError()

    for answer in (unfinished, lambda *a: "x", lambda *a: None, 7):
        assert check(answer) is False
    assert capsys.readouterr().out.count("❌") == 4


def test_per_class_accepts_any_container_of_the_right_numbers(capsys):
    def per_class(c):
        rows = c.sum(1).double()
        return torch.where(rows > 0, c.diag().double() / rows.clamp_min(1), torch.zeros_like(rows))

    for right in (per_class, lambda c: per_class(c).float(), lambda c: per_class(c).tolist(),
                  lambda c: per_class(c).numpy(), lambda c: tuple(np.float64(v) for v in per_class(c).tolist())):
        assert E.check_per_class_accuracy(right), capsys.readouterr().out
    capsys.readouterr()
    for wrong in (lambda c: per_class(c)[:-1], lambda c: per_class(c).reshape(1, -1), lambda c: per_class(c) * 1.001,
                  lambda c: [str(v) for v in per_class(c).tolist()]):
        assert not E.check_per_class_accuracy(wrong)
    out = capsys.readouterr().out
    assert out.count("❌") == 4 and "one per class" in out


def test_accuracy_and_schedule_accept_numpy_and_tensors_but_not_nan(capsys):
    assert E.check_accuracy_from_confusion(lambda c: c.diag().sum() / c.sum())  # a 0-d float tensor
    assert E.check_accuracy_from_confusion(lambda c: np.float32(float(c.diag().sum()) / float(c.sum())))
    assert E.check_warmup_cosine(lambda s, t, p, w: np.float64(schedule(s, t, p, w)))
    assert capsys.readouterr().out.count("✅") == 3
    assert not E.check_accuracy_from_confusion(lambda c: c.diag().sum() / c.sum() * float("nan"))
    assert not E.check_warmup_cosine(lambda s, t, p, w: schedule(s, t, p, w) if s else float("inf"))
    assert not E.check_warmup_cosine(lambda s, t, p, w: schedule(s, t, p, w) * (1 + 1e-6))
    out = capsys.readouterr().out
    assert out.count("❌") == 3 and "finite" in out


def test_failures_never_print_the_expected_value(capsys):
    # A wrong accuracy's hint says which way it is off, not what the right value is.
    c = E.training._random_confusions()[0]
    want = float(c.diag().sum()) / float(c.sum())
    assert not E.check_accuracy_from_confusion(lambda c: float(c.diag().sum()) / float(c.sum()) * 0.9)
    out = capsys.readouterr().out
    assert "too small" in out and f"{want:.4f}" not in out and f"{want:.3f}" not in out


def test_a_checker_that_cannot_set_up_says_so_and_does_not_blame_the_learner(capsys, monkeypatch):
    def broken():
        raise RuntimeError("no confusions today")

    monkeypatch.setattr(E.training, "_random_confusions", broken)  # used while the cases are built
    monkeypatch.setattr(E.relu_tanh, "_probe", broken)  # used before any case is built
    for check in (E.check_accuracy_from_confusion, E.check_relu):
        assert check(lambda c: 1.0) is False
        out = capsys.readouterr().out
        assert out.startswith("❌") and "could not prepare" in out and "no confusions today" in out

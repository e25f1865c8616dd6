"""The training chapter's checkers: ✅ for right answers, ❌ with the telling hint for common mistakes, never raising."""

import math

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

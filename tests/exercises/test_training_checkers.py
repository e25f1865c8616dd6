"""The training chapter's checkers: ✅ for right answers, ❌ with the telling hint for common mistakes, never
raising; and the library's two SGD rules they rest on."""

import math

import numpy as np
import pytest
import torch

from alexnet_lib import exercises as E
from alexnet_lib.engine.metrics import per_class_accuracy
from alexnet_lib.toolkits import sgd_rules


def schedule(step, total, peak, warmup):
    warm = max(1, int(warmup * total))
    if step < warm:
        return peak * (step + 1) / warm
    return peak * 0.5 * (1 + math.cos(math.pi * (step - warm) / (total - warm)))


def hidden_failure():
    c = 100 * torch.eye(10, dtype=torch.long)
    c[6, 6], c[6, 0] = 0, 100
    return c


@pytest.mark.parametrize("check,right,wrong,hint", [
    (E.check_warmup_cosine, schedule, lambda s, t, p, w: p, "rise linearly"),
    (E.check_warmup_cosine, schedule, lambda s, t, p, w: schedule(s, t, p, w) if s < int(w * t) else p,
     "after warmup"),
    (E.check_sgd_prediction, (True, False), (True, True), "divided learning rate"),
    (E.check_sgd_prediction, (True, False), (False, False), "constant learning rate"),
    (E.check_sgd_prediction, (True, False), ("yes", "no"), "two booleans"),
    (E.check_hidden_failure, hidden_failure(), 100 * torch.eye(10), "never be predicted correctly"),
    (E.check_hidden_failure, hidden_failure().tolist(), 90 * torch.eye(10), "add up to 100"),
    (E.check_hidden_failure, hidden_failure(), hidden_failure() * 0.5 + 0.25, "not counts"),
    (E.check_hidden_failure, hidden_failure().numpy(), torch.full((10, 10), 10), "at least 90%"),
    (E.check_hidden_failure, hidden_failure(), torch.eye(9), "10×10"),
])
def test_verdicts(capsys, check, right, wrong, hint):
    assert check(right) is True
    assert "✅" in capsys.readouterr().out
    assert check(wrong) is False
    out = capsys.readouterr().out
    assert "❌" in out and hint in out, out


@pytest.mark.parametrize("check", [E.check_warmup_cosine, E.check_sgd_prediction, E.check_hidden_failure])
def test_never_raises(capsys, check):
    def unfinished(*args):
        raise NotImplementedError()

    for answer in (unfinished, lambda *a: "x", lambda *a: None, 7):
        assert check(answer) is False
    assert capsys.readouterr().out.count("❌") == 4


def test_schedule_accepts_numpy_but_not_nan(capsys):
    assert E.check_warmup_cosine(lambda s, t, p, w: np.float64(schedule(s, t, p, w)))
    assert capsys.readouterr().out.count("✅") == 1
    assert not E.check_warmup_cosine(lambda s, t, p, w: schedule(s, t, p, w) if s else float("inf"))
    assert not E.check_warmup_cosine(lambda s, t, p, w: schedule(s, t, p, w) * (1 + 1e-6))
    out = capsys.readouterr().out
    assert out.count("❌") == 2 and "finite" in out


def test_the_two_sgd_rules_agree_exactly_while_the_learning_rate_is_constant():
    assert sgd_rules.rules_agree(sgd_rules.CONSTANT) and sgd_rules.rules_agree([0.003] * 7)
    assert not sgd_rules.rules_agree(sgd_rules.DIVIDED)
    # Before the division the two trajectories are one; they part from the first step at the new rate.
    assert sgd_rules.rules_agree(sgd_rules.DIVIDED[:10]) and not sgd_rules.rules_agree(sgd_rules.DIVIDED[:11])
    assert not torch.equal(sgd_rules.paper_sgd([0.01]), sgd_rules._problem()[2])  # a step moves the weights


def test_per_class_accuracy():
    c = torch.tensor([[5, 1, 0], [0, 0, 0], [1, 1, 2]])
    assert per_class_accuracy(c).tolist() == [5 / 6, 0.0, 0.5]
    with pytest.raises(ValueError, match="square"):
        per_class_accuracy(torch.ones(2, 3))
    with pytest.raises(ValueError, match="rows of equal length"):
        per_class_accuracy([[1, 2], [3]])


def test_a_checker_that_cannot_set_up_says_so_and_does_not_blame_the_learner(capsys, monkeypatch):
    def broken(*args):
        raise RuntimeError("no schedule today")

    monkeypatch.setattr(E.training, "lr_at", broken)  # used while the cases are built
    monkeypatch.setattr(E.training.sgd_rules, "rules_agree", broken)  # used before the answer is judged
    for check, answer in ((E.check_warmup_cosine, schedule), (E.check_sgd_prediction, (True, False))):
        assert check(answer) is False
        out = capsys.readouterr().out
        assert out.startswith("❌") and "could not prepare" in out and "no schedule today" in out

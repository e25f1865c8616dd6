"""Checkers for the training chapter: the paper's SGD against PyTorch's, a hidden failure, the `fast` schedule."""

from __future__ import annotations

from typing import Any, Callable

import torch

from ..engine.metrics import accuracy, per_class_accuracy
from ..engine.recipes import Recipe, lr_at
from ..toolkits import sgd_rules
from ._common import Wrong, checker, judge_answer, near, run_cases, show


@checker
def check_sgd_prediction(answer: Any) -> bool:
    """Exercise: `answer` is (constant, divided): whether the paper's rule and torch.optim.SGD end on the same
    weights with a constant learning rate, and with one divided by ten halfway."""
    want = (sgd_rules.rules_agree(sgd_rules.CONSTANT), sgd_rules.rules_agree(sgd_rules.DIVIDED))

    def judge(got: Any) -> None:
        if not isinstance(got, (tuple, list)) or len(got) != 2 or not all(isinstance(g, bool) for g in got):
            raise Wrong(f"is {show(got)}; give two booleans, (constant, divided)")
        if got[0] != want[0]:
            raise Wrong("is wrong for the constant learning rate: write both velocities in terms of the gradients "
                        "and compare them step by step")
        if got[1] != want[1]:
            raise Wrong("is wrong for the divided learning rate: in which rule does the old learning rate stay "
                        "inside the velocity after the division?")

    return judge_answer(answer, judge, "right for both schedules: where the learning rate enters the velocity only "
                                       "matters once it changes")


@checker
def check_hidden_failure(answer: Any) -> bool:
    """Exercise: `answer` is a 10×10 confusion matrix of 100 test images per class with overall accuracy at least
    90% in which some class is never recognised."""
    def judge(got: Any) -> None:
        try:
            c = torch.as_tensor(got)
        except Exception:  # lists of odd things: say what a confusion matrix is
            raise Wrong(f"is {show(got)}; give a 10×10 tensor (or nested list) of counts") from None
        if tuple(c.shape) != (10, 10) or c.is_complex() or c.dtype == torch.bool:
            raise Wrong(f"has shape {tuple(c.shape)}; give a 10×10 matrix of counts, one row per true class")
        values = c.to(torch.float64)
        if not bool(torch.isfinite(values).all()) or bool((values < 0).any()) or bool((values != values.round()).any()):
            raise Wrong("has entries that are not counts: use whole numbers, 0 or more")
        if not bool((values.sum(1) == 100).all()):
            raise Wrong("has a row that does not add up to 100: each class has 100 test images")
        overall, worst = accuracy(values), float(per_class_accuracy(values).min())
        if overall < 0.9:
            raise Wrong(f"has an overall accuracy of {overall:.1%}; it must be at least 90%")
        if worst > 0:
            raise Wrong("recognises every class at least sometimes; one class must never be predicted correctly")

    return judge_answer(answer, judge, "an overall accuracy of at least 90% with one class never recognised: this is "
                                       "why the chapter looks at per-class accuracy")


@checker
def check_warmup_cosine(fn: Callable[[int, int, float, float], Any]) -> bool:
    """Exercise: `fn(step, total, peak, warmup)` gives the `fast` recipe's learning rate at a step."""
    def judge(step: int, total: int, peak: float, warmup: float) -> Callable[[Any], None]:
        want = lr_at(Recipe("exercise", lr=peak, schedule="onecycle", warmup=warmup), step, total)

        warm = max(1, int(warmup * total))
        tip = (f"during warmup (step < {warm}) rise linearly, in equal steps, to reach peak at step {warm - 1}"
               if step < warm else
               "after warmup: half a cosine period, from peak at step w down towards zero at step total")
        return lambda got: near(got, want, 1e-9 * max(1.0, peak), "one number, the learning rate", lambda _: tip)

    cases = ((f"lr_schedule({step}, {total}, {peak}, {warmup})", (step, total, peak, warmup),
              judge(step, total, peak, warmup))
             for total, peak, warmup in ((100, 0.03, 0.15), (750, 0.05, 0.1), (40, 0.01, 0.5))
             for step in sorted({0, 1, int(warmup * total) - 1, int(warmup * total), total // 2, total - 1}))
    return run_cases(fn, "check_warmup_cosine(lr_schedule)", cases,
                     "your schedule matches the `fast` recipe's (alexnet_lib.engine.recipes.lr_at) at every "
                     "checked step")

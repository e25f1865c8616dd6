"""Checkers for the training chapter: accuracy from a confusion matrix, per class, and the `fast` schedule."""

from __future__ import annotations

from typing import Any, Callable

import torch

from ..recipes import Recipe, lr_at
from ._common import Wrong, checker, first_mismatch, near, numbers_of, run_cases


def _random_confusions() -> list[torch.Tensor]:
    """Seeded confusion matrices: 10 classes like Fashion-MNIST, a small one, and one with an empty class."""
    g = torch.Generator().manual_seed(0)
    mats = [torch.randint(0, 50, (10, 10), generator=g) + torch.diag(torch.randint(200, 900, (10,), generator=g)),
            torch.tensor([[5, 1, 0], [2, 7, 1], [0, 3, 9]])]
    empty = mats[0].clone()
    empty[3] = 0  # a class with no test images must not crash a per-class accuracy
    return mats + [empty]


def _confusion_cases(name: str, judge: Callable[[torch.Tensor], Callable[[Any], None]]) -> list:
    return [(f"{name}(confusion {tuple(c.shape)})", (c.clone(),), judge(c)) for c in _random_confusions()]


@checker
def check_accuracy_from_confusion(fn: Callable[[torch.Tensor], Any]) -> bool:
    """Exercise: `fn(confusion)` gives the overall accuracy (correct / all) of a confusion matrix."""
    def judge(c: torch.Tensor) -> Callable[[Any], None]:
        want = float(c.diag().sum()) / float(c.sum())
        return lambda got: near(got, want, 1e-6, "one number, the accuracy", lambda value: (  # float32 is fine
            "divide by every prediction, c.sum(), not by the number of classes" if value > 1 else
            "the correct predictions are the diagonal: c.diag().sum()"))

    return run_cases(fn, "check_accuracy_from_confusion(accuracy)", _confusion_cases("accuracy", judge),
                     "the diagonal over the total, on all three matrices")


@checker
def check_per_class_accuracy(fn: Callable[[torch.Tensor], Any]) -> bool:
    """Exercise: `fn(confusion)` gives, per true class (row), the share predicted correctly; 0 for an empty row."""
    def judge(c: torch.Tensor) -> Callable[[Any], None]:
        rows, diag = c.sum(1).double(), c.diag().double()
        want = torch.where(rows > 0, diag / rows.clamp_min(1), torch.zeros_like(rows))

        def verdict(got: Any) -> None:
            if isinstance(got, torch.Tensor) and got.shape == want.shape and not got.is_complex():
                nan = torch.isnan(got.detach().to("cpu", torch.float64))
                if (nan & (rows == 0)).any():
                    raise Wrong("a class with no test images gave NaN: return 0 for an empty row")
            values = torch.tensor(numbers_of(got, len(want), "one number per class"), dtype=torch.float64)
            if values.shape != want.shape:
                raise Wrong(f"returned {len(values)} values; give one per class ({len(want)})")
            if first_mismatch(values, want, 1e-6) is not None:
                cols = diag / c.sum(0).double().clamp_min(1)
                tip = ("you divided by the column sums (that is precision); divide by the row sums, the true classes"
                       if first_mismatch(values, cols, 1e-6) is None else
                       "divide each diagonal entry by the sum of its row")
                raise Wrong(f"some values are wrong; {tip}")
        return verdict

    return run_cases(fn, "check_per_class_accuracy(per_class)", _confusion_cases("per_class", judge),
                     "each class's diagonal entry over its row, empty classes included")


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
                     "your schedule matches the `fast` recipe's (alexnet_lib.recipes.lr_at) at every checked step")

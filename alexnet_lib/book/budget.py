"""The training chapter's explorer: a time budget in, the plan and the expected accuracy out, from recorded runs.

`BudgetExplorer` plans, in the reader's browser (`alexnet_lib.book.live`), the run a budget of minutes buys at the
measured speed of a recorded run, and reads the expected test accuracy off the recorded budgets (interpolated
between them, never beyond). `reference` gives the same plan from `alexnet_lib.engine.budget.plan_budget`.
"""

from __future__ import annotations

import math
from typing import Any, Optional, Sequence

from ..engine.budget import (
    EPOCH_END_STEPS,
    MIN_STEPS,
    VALIDATION_MIN,
    VALIDATION_SHARE,
    Speeds,
    plan_budget,
    validation_images,
)
from ..engine.profiles import PROFILES
from ..engine.records import History
from .live import Control, LiveExplorer
from .run_plots import _budgeted


def _label(h: History) -> str:
    return f"{h.config['budget']['minutes']:g} min, seed {h.config['seed']}"


def _validation(h: History) -> int:
    """The validation images a run held out: its profile's split (what `train` evaluated from)."""
    profile = h.config.get("profile")
    if profile not in PROFILES:
        raise ValueError(f"a budgeted run of profile {profile!r}: this version knows {', '.join(PROFILES)}, so it "
                         f"cannot tell how many validation images the run held out")
    return PROFILES[profile].validation


def mean_accuracies(runs: Sequence[History]) -> list[tuple[float, float]]:
    """(minutes, mean final test accuracy over the seeds of that budget), by budget."""
    by: dict[float, list[float]] = {}
    for h in runs:
        by.setdefault(float(h.config["budget"]["minutes"]), []).append(h.final_test_acc)
    return [(m, sum(a) / len(a)) for m, a in sorted(by.items())]


def expected_accuracy(minutes: float, means: Sequence[tuple[float, float]]) -> Optional[float]:
    """The recorded mean accuracy at `minutes`, linear in log(minutes) between recorded budgets; None outside."""
    if not means or minutes < means[0][0] or minutes > means[-1][0]:
        return None
    for (m0, a0), (m1, a1) in zip(means, means[1:]):
        if minutes <= m1:
            return a0 if m1 == m0 else a0 + (a1 - a0) * math.log(minutes / m0) / math.log(m1 / m0)
    return means[-1][1]


class BudgetExplorer(LiveExplorer):
    """Minutes and a recorded run: the steps, images and epochs that budget buys at that run's speed, and the
    accuracy the recorded budgets lead one to expect; the run's curves and every budget's test accuracy."""

    kind = "budget"

    def __init__(self, histories: Sequence[dict], minutes: float = 15.0, run: Optional[str] = None) -> None:
        self.runs = sorted(_budgeted(histories), key=lambda h: (h.config["budget"]["minutes"], h.config["seed"]))
        if not self.runs:
            raise ValueError("histories is empty: give the recorded budgeted runs, e.g. [records.load_record("
                             "'cpu_minutes10_bf16')]")
        labels = tuple(_label(h) for h in self.runs)
        self.controls = (Control("minutes", "your budget (min)", "float", 1.0, 60.0, 0.5, digits=1),
                         Control("run", "speed of", "choice", options=labels))
        super().__init__(minutes=minutes, run=labels[-1] if run is None else run)

    def _run(self, label: str) -> History:
        return next(h for h in self.runs if _label(h) == label)

    def data(self) -> dict[str, Any]:
        keep = ("seconds_per_step", "eval_images_per_s", "steps_per_epoch", "batch_size", "train_images",
                "spent_seconds", "final_eval_images")
        runs = [{"label": _label(h), "minutes": h.config["budget"]["minutes"], "test_acc": h.final_test_acc,
                 "test_images": h.config["budget"]["final_eval_images"],
                 "validation_available": _validation(h),
                 "device": h.provenance.get("device_name", "?"),
                 "budget": {k: h.config["budget"][k] for k in keep},
                 "epochs": [{"seconds": e["seconds"], "val_acc": e.get("val_acc")} for e in h.epochs]}
                for h in self.runs]
        return {"runs": runs, "means": mean_accuracies(self.runs), "min_steps": MIN_STEPS,
                "epoch_end_steps": EPOCH_END_STEPS, "validation_share": VALIDATION_SHARE,
                "validation_min": VALIDATION_MIN}

    def reference(self, settings: dict[str, Any]) -> dict[str, Any]:
        """The plan `plan_budget` makes for the minutes at the run's measured speeds, and the expected accuracy."""
        h, minutes = self._run(settings["run"]), settings["minutes"]
        b = h.config["budget"]
        speeds = Speeds(b["seconds_per_step"], b["eval_images_per_s"])
        n_val = validation_images(minutes, speeds, _validation(h), b["steps_per_epoch"])
        try:
            plan = plan_budget(minutes, speeds, b["steps_per_epoch"], b["batch_size"], b["train_images"], n_val,
                               b["spent_seconds"], b["final_eval_images"])
        except ValueError as e:
            return {"error": str(e)}
        return {"steps": plan.steps, "epochs": plan.epochs, "images": plan.images, "eval_images": n_val,
                "train_seconds": plan.train_seconds, "predicted_seconds": plan.predicted_seconds,
                "expected": expected_accuracy(minutes, mean_accuracies(self.runs))}


__all__ = ["BudgetExplorer", "mean_accuracies", "expected_accuracy"]

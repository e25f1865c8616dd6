"""A time budget instead of a fixed size: arithmetic that plans a run to fill N minutes at a measured speed.

`alexnet_lib.engine.run.measure` times a few training steps and one evaluation batch; `plan_budget` turns
those speeds into a number of steps (and so images and epochs) for which the learning-rate schedule is
then planned, leaving time for a validation subset sized to the budget at each epoch's end
(`validation_images`) and for the test set, evaluated once at the end. A shared machine's speed drifts
while it trains, so a `Pacer` re-plans the run at each tenth of it from the speed the steps really had.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Optional

import torch

from .._checks import check_int, check_number
from ..distributed import max_across


@dataclass(frozen=True)
class Speeds:
    """What `measure` found: seconds per training step (global batch) and evaluated images per second."""

    seconds_per_step: float
    eval_images_per_s: float


#: Each epoch's end costs more than its evaluations: the checkpoint is written (the weights and the momentum,
#: ~375 MB for alexnet_d2l) and the first steps after evaluating run slower. Measured on a 2-core CPU it came
#: to about three steps' time, which the plan sets aside per epoch.
EPOCH_END_STEPS = 3
#: `fit`'s limit on epochs.
MAX_EPOCHS = 10_000
#: The share of a budget the validation evaluations during the run may take, and the fewest validation
#: images worth evaluating (an accuracy near 90% then has a standard error of about 1.3 points).
VALIDATION_SHARE, VALIDATION_MIN = 0.03, 500
#: The fewest steps a plan is worth making for: fewer cannot move the network off its starting point.
MIN_STEPS = 10


@dataclass(frozen=True)
class Plan:
    """A run sized to a time budget: how many steps, and what the budget goes on."""

    minutes: float
    steps: int
    steps_per_epoch: int
    batch_size: int
    train_images: int  # images in one epoch
    seconds_per_step: float
    eval_images_per_epoch: int
    eval_images_per_s: float
    spent_seconds: float  # already gone when the plan was made (data, measuring)
    final_eval_images: int = 0  # evaluated once, after the last step: the test set

    @property
    def final_eval_seconds(self) -> float:
        """Predicted seconds of the one evaluation after training (the test set)."""
        return self.final_eval_images / self.eval_images_per_s

    @property
    def epochs(self) -> int:
        """Epochs the run starts (the last may be cut short by the budget)."""
        return math.ceil(self.steps / self.steps_per_epoch)

    @property
    def images(self) -> int:
        """Training images the run will see (the last batch of an epoch may be short)."""
        full, rest = divmod(self.steps, self.steps_per_epoch)
        return full * self.train_images + min(rest * self.batch_size, self.train_images)

    @property
    def train_seconds(self) -> float:
        """Predicted seconds of training steps."""
        return self.steps * self.seconds_per_step

    @property
    def eval_seconds(self) -> float:
        """Predicted seconds of each epoch's end: its evaluations, checkpoint and slower restart."""
        return self.epochs * _epoch_end_seconds(self.eval_images_per_epoch,
                                                Speeds(self.seconds_per_step, self.eval_images_per_s))

    @property
    def predicted_seconds(self) -> float:
        """The whole run as planned, measuring and the final evaluation included."""
        return self.spent_seconds + self.train_seconds + self.eval_seconds + self.final_eval_seconds

    def text(self, started: Optional[datetime] = None) -> str:
        """The plan in two lines, with the predicted end as a clock time."""
        started = started or datetime.now()
        end = started + timedelta(seconds=self.predicted_seconds)
        return (f"budget {self.minutes:g} min: measured {self.seconds_per_step:.2f} s per step of {self.batch_size} "
                f"({self.batch_size / self.seconds_per_step:.1f} images/s), evaluation {self.eval_images_per_s:.0f} "
                f"images/s\nplan: {self.steps} steps = {self.images:,} images ({self.images / self.train_images:.2f} "
                f"epochs of {self.train_images:,}), learning-rate schedule planned for {self.steps} steps; "
                f"{self.train_seconds / 60:.1f} min training ({self.train_seconds / (self.minutes * 60):.0%} of the "
                f"budget) + {self.eval_seconds / 60:.1f} min validating and saving at {self.epochs} epoch end(s) + "
                + (f"{self.final_eval_seconds / 60:.1f} min testing {self.final_eval_images:,} images once + "
                   if self.final_eval_images else "")
                + f"{self.spent_seconds / 60:.1f} min loading and measuring; predicted end {end:%H:%M:%S}")

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON-ready numbers, predictions included."""
        return {**asdict(self), "epochs": self.epochs, "images": self.images,
                "predicted_seconds": self.predicted_seconds}


def _epoch_end_seconds(eval_images: int, speeds: Speeds) -> float:
    return eval_images / speeds.eval_images_per_s + EPOCH_END_STEPS * speeds.seconds_per_step


def _fill(available: float, seconds_per_step: float, epoch_end_seconds: float, steps_per_epoch: int) -> int:
    """The most steps n with n * seconds_per_step + ceil(n / steps_per_epoch) * epoch_end_seconds <= available."""
    epoch_seconds = steps_per_epoch * seconds_per_step + epoch_end_seconds
    # Whole epochs that fit, each with its end; then what is left goes to one more, cut short.
    full = max(0, math.floor(available / epoch_seconds))
    rest = math.floor((available - full * epoch_seconds - epoch_end_seconds) / seconds_per_step)
    return full * steps_per_epoch + max(0, min(rest, steps_per_epoch))


def check_minutes(minutes: object) -> float:
    """`minutes` as a positive budget of at most a week, or a ValueError that says so."""
    return check_number("minutes", minutes, 0.0, 60 * 24 * 7, low_open=True, hint=" (minutes of wall-clock time)")


def smallest_budget(speeds: Speeds, eval_images_per_epoch: int, spent_seconds: float = 0.0,
                    final_eval_images: int = 0) -> float:
    """The fewest minutes that train here: what is spent, MIN_STEPS steps, one epoch's end and the final test."""
    seconds = (spent_seconds + MIN_STEPS * speeds.seconds_per_step + _epoch_end_seconds(eval_images_per_epoch, speeds)
               + final_eval_images / speeds.eval_images_per_s)
    return math.ceil(seconds / 6) / 10  # rounded up to a tenth of a minute


def validation_images(minutes: float, speeds: Speeds, available: int, steps_per_epoch: int) -> int:
    """How many validation images to evaluate at each epoch's end: at most VALIDATION_SHARE of the budget in all.

    At least VALIDATION_MIN (or all there are), and never more than `available`. The epochs are estimated as
    if the whole budget went to training steps, which errs towards fewer validation images.
    """
    check_minutes(minutes)
    epochs = max(1, math.ceil(minutes * 60 / speeds.seconds_per_step / max(1, steps_per_epoch)))
    affordable = round(VALIDATION_SHARE * minutes * 60 * speeds.eval_images_per_s / epochs)
    return min(available, max(VALIDATION_MIN, affordable))


def plan_budget(minutes: float, speeds: Speeds, steps_per_epoch: int, batch_size: int, train_images: int,
                eval_images_per_epoch: int, spent_seconds: float = 0.0, final_eval_images: int = 0) -> Plan:
    """The most steps that fit `minutes` after what is spent, each epoch's end, and the final evaluation."""
    check_minutes(minutes)
    check_int("steps_per_epoch", steps_per_epoch, 1)
    eval_once = _epoch_end_seconds(eval_images_per_epoch, speeds)
    final = final_eval_images / speeds.eval_images_per_s
    steps = _fill(minutes * 60.0 - spent_seconds - final, speeds.seconds_per_step, eval_once, steps_per_epoch)
    if steps < MIN_STEPS:
        need = smallest_budget(speeds, eval_images_per_epoch, spent_seconds, final_eval_images)
        raise ValueError(f"minutes={minutes:g} leaves too little time to train on this machine ({max(0, steps)} "
                         f"steps): loading and measuring took {spent_seconds:.0f} s, a step takes "
                         f"{speeds.seconds_per_step:.2f} s, validating {eval_once:.0f} s and testing "
                         f"{final_eval_images:,} images once {final:.0f} s; give at least {need:g} minutes")
    if math.ceil(steps / steps_per_epoch) > MAX_EPOCHS:
        raise ValueError(f"minutes={minutes:g} would take {math.ceil(steps / steps_per_epoch):,} epochs of "
                         f"{train_images:,} images on this machine, more than {MAX_EPOCHS:,}: train on more images "
                         f"(--images) or give fewer minutes")
    return Plan(minutes=minutes, steps=steps, steps_per_epoch=steps_per_epoch, batch_size=batch_size,
                train_images=train_images, seconds_per_step=speeds.seconds_per_step,
                eval_images_per_epoch=eval_images_per_epoch, eval_images_per_s=speeds.eval_images_per_s,
                spent_seconds=spent_seconds, final_eval_images=final_eval_images)


class Pacer:
    """Keeps a planned run to its budget: at each tenth of the run, re-plans its steps from the speed they had.

    `fit` asks `due(steps_done)` where it reads the device anyway and, when due, takes `revise(...)`'s
    step count as the run's new length (its learning-rate schedule re-planned with it). `deadline` is the
    `clock()` time at which the budget ends.
    """

    def __init__(self, plan: Plan, deadline: float, device: torch.device,
                 clock: Callable[[], float] = time.perf_counter, say: Optional[Callable[[str], None]] = None) -> None:
        self.plan, self.deadline, self.device, self.clock, self.say = plan, deadline, device, clock, say
        self.steps = plan.steps
        self.replans: list[dict[str, Any]] = []
        self._last = (0, 0.0)  # steps done and training seconds at the last look
        self._next = max(1, round(plan.steps / 10))

    def due(self, steps_done: int) -> bool:
        """Whether another tenth of the run is done since the last look, with steps still to come."""
        return self._next <= steps_done < self.steps

    def revise(self, steps_done: int, train_seconds: float) -> int:
        """The steps the whole run should take: the most whose remaining training and epoch ends fit the time left.

        The speed is that of the steps since the last look (the measured one drifts on a shared machine);
        evaluations are taken to have slowed (or sped up) by the same factor.
        """
        last_steps, last_seconds = self._last
        seconds_per_step = (train_seconds - last_seconds) / max(1, steps_done - last_steps)
        # Every process must agree: plan for the slowest one and the one furthest behind.
        seconds_per_step, behind = max_across(torch.tensor(
            [seconds_per_step, self.clock() - self.deadline], dtype=torch.float64, device=self.device)).tolist()
        plan = self.plan
        now = Speeds(seconds_per_step, plan.eval_images_per_s * plan.seconds_per_step / seconds_per_step)
        epoch_end = _epoch_end_seconds(plan.eval_images_per_epoch, now)
        final = plan.final_eval_images / now.eval_images_per_s
        # Epochs whose end is past; the one under way ends at the run's last step at the latest.
        ended = (steps_done - 1) // plan.steps_per_epoch
        steps = _fill(-behind - final + steps_done * seconds_per_step + ended * epoch_end, seconds_per_step,
                      epoch_end, plan.steps_per_epoch)
        steps = min(max(steps, steps_done), MAX_EPOCHS * plan.steps_per_epoch)
        self.replans.append({"at_step": steps_done, "seconds_per_step": seconds_per_step,
                             "seconds_left": -behind, "steps": steps})
        if self.say is not None:
            ends = math.ceil(steps / plan.steps_per_epoch) - ended
            end = datetime.now() + timedelta(seconds=(steps - steps_done) * seconds_per_step + ends * epoch_end
                                             + final)
            self.say(f"re-planned at step {steps_done}: {seconds_per_step:.2f} s per step since step {last_steps}, "
                     f"{max(0.0, -behind) / 60:.1f} min left: {steps} steps in all (was {self.steps}), "
                     f"predicted end {end:%H:%M:%S}")
        self.steps = steps
        self._last = (steps_done, train_seconds)
        self._next = steps_done + max(1, round(steps / 10))
        return steps

    def seconds_left(self) -> float:
        """Seconds until the budget's deadline (negative once it has passed)."""
        return self.deadline - self.clock()

    def to_dict(self) -> dict[str, Any]:
        """The first plan as `Plan.to_dict`, with each re-plan since ("replans")."""
        return {**self.plan.to_dict(), "replans": list(self.replans)}

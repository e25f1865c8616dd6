"""The paper's Figure 1 on Fashion-MNIST: how much faster a ReLU convnet reaches a training error than a tanh one.

Each run trains `four_layer_net` through `alexnet_lib.train.fit` (plain SGD with momentum, no
regularisation, PyTorch's default initialisation) and watches the running training error over the last
`window` batches, as the network sees them, until it reaches every threshold.
"""

from __future__ import annotations

import math
import time
from collections import deque
from pathlib import Path
from typing import Any, Optional, Sequence, Union

from torch import nn

from .._checks import check_int, check_number, check_probability
from ..activations import module as activation_module
from ..loader import fashion_mnist_loaders
from ..recipes import Recipe
from ..stats import t_interval, verdict_line
from ..train import NonFiniteLossError, Step, fit
from .schema import make_record, save

NAME = "relu_tanh"
#: The paper's Figure 1: ReLU reached 25% training error on CIFAR-10 "six times faster" than tanh.
PAPER_SPEEDUP = 6.0


def four_layer_net(activation: str = "relu", width: int = 32) -> nn.Sequential:
    """A small four-layer convnet for 1x28x28 inputs: three conv+pool blocks and a linear classifier.

    Channels `width`, 2*width, 2*width; 5x5, 5x5, 3x3 kernels with 'same' padding; 2x2 max-pooling after each
    (28 -> 14 -> 7 -> 3); no normalisation and no dropout, as in the paper's Figure 1 ("no regularization").
    """
    check_int("width", width, 1, 1024)
    act = lambda: activation_module(activation)  # noqa: E731  (validates the name)
    w1, w2 = width, 2 * width
    return nn.Sequential(
        nn.Conv2d(1, w1, 5, padding=2), act(), nn.MaxPool2d(2),
        nn.Conv2d(w1, w2, 5, padding=2), act(), nn.MaxPool2d(2),
        nn.Conv2d(w2, w2, 3, padding=1), act(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(w2 * 3 * 3, 10),
    )


def train_to_thresholds(activation: str, lr: float, loader: Any, thresholds: Sequence[float],
                        max_epochs: float = 5.0, momentum: float = 0.9, width: int = 32, window: int = 50,
                        log_every: int = 25, seed: int = 0, max_steps: Optional[int] = None) -> dict[str, Any]:
    """Train `four_layer_net(activation)` with SGD+momentum until the running training error reaches every threshold.

    Stops once the lowest threshold is reached or after `max_epochs` (or `max_steps`, if smaller); returns
    the curve (logged every `log_every` steps) and, per threshold, the first step, epoch (fractional) and
    training seconds at which the running error was at or below it (None if never).
    """
    thresholds = sorted({check_probability("threshold", t) for t in thresholds}, reverse=True)
    if not thresholds:
        raise ValueError("thresholds is empty: give at least one training-error level, e.g. (0.25, 0.1)")
    check_number("lr", lr, 0.0, 10.0, low_open=True)
    check_number("max_epochs", max_epochs, 0.0, 1000.0, low_open=True)
    window, log_every = check_int("window", window, 1), check_int("log_every", log_every, 1)
    n = loader.num_images
    budget = math.ceil(max_epochs * n / loader.batch_size)
    max_steps = budget if max_steps is None else min(budget, check_int("max_steps", max_steps, 1))
    errors: deque = deque(maxlen=window)  # (wrong, seen) of each of the last `window` batches
    reached: dict[str, Optional[dict[str, float]]] = {f"{t:g}": None for t in thresholds}
    curve: list[dict[str, Any]] = []
    last = {"step": 0, "images": 0, "seconds": 0.0}

    def on_step(s: Step) -> bool:
        errors.append((int((s.logits.argmax(1) != s.labels).sum()), len(s.labels)))
        last.update(step=s.step, images=s.images, seconds=s.seconds)
        full = len(errors) == window  # a half-empty window would be too noisy to trust
        running = sum(w for w, _ in errors) / sum(k for _, k in errors)
        if s.step % log_every == 0:
            curve.append({"step": s.step, "epoch": s.images / n, "seconds": s.seconds,
                          "train_error": running if full else None, "loss": float(s.loss)})
        if full:
            for t in thresholds:
                if reached[f"{t:g}"] is None and running <= t:
                    reached[f"{t:g}"] = {"step": s.step, "epoch": s.images / n, "seconds": s.seconds}
        return reached[f"{thresholds[-1]:g}"] is not None or s.step >= max_steps

    diverged = False
    try:
        fit(four_layer_net(activation, width), loader, None, epochs=math.ceil(max_steps / len(loader)),
            recipe=Recipe("figure1", lr=lr, momentum=momentum, init="torch"), device="cpu", fast=False, seed=seed,
            progress=False, on_step=on_step)
    except NonFiniteLossError:
        diverged = True
    return {"activation": activation, "lr": lr, "seed": seed, "steps": last["step"], "epochs": last["images"] / n,
            "seconds": last["seconds"], "diverged": diverged, "reached": reached, "curve": curve}


def _steps_to(run: dict[str, Any], threshold: float) -> float:
    r = run["reached"].get(f"{threshold:g}")
    return math.inf if r is None else r["step"]


def run(out: Union[str, Path, None] = None, lrs: Sequence[float] = (0.01, 0.03, 0.1),
        thresholds: Sequence[float] = (0.25, 0.15, 0.10), primary: float = 0.10, max_epochs: float = 8.0,
        batch_size: int = 128, width: int = 16, window: int = 50, log_every: int = 25,
        train_subset: Optional[int] = None, seed: int = 0, root: Union[str, Path, None] = None,
        progress: bool = True) -> dict[str, Any]:
    """The paper's Figure 1 on Fashion-MNIST: ReLU vs tanh, each at the best learning rate of `lrs`.

    "Best" means the one that reaches the `primary` training error in the fewest steps (the paper chose
    each network's learning rate "to make training as fast as possible"); a run is stopped once it has used
    as many steps as the best run of its activation so far (it can no longer win). Returns the JSON-ready
    record, written to `out` if given.
    """
    check_int("seed", seed, 0)
    if primary not in thresholds:
        raise ValueError(f"primary={primary!r} must be one of thresholds={tuple(thresholds)}")
    if not lrs:
        raise ValueError("lrs is empty: give at least one learning rate to try")
    start = time.perf_counter()
    # Fashion-MNIST at its native 28x28 (no resizing): cheap enough for a CPU.
    train, _, _ = fashion_mnist_loaders(batch_size=batch_size, size=28, device="cpu", train_subset=train_subset,
                                        test_subset=1, seed=seed, root=root)
    runs = []
    for act in ("relu", "tanh"):
        fewest: Optional[int] = None
        for lr in lrs:
            # A run that has taken as many steps as the best one so far cannot win: stop it there.
            one = train_to_thresholds(act, lr, train, thresholds, max_epochs=max_epochs, width=width, window=window,
                                      log_every=log_every, seed=seed, max_steps=fewest)
            got = one["reached"][f"{primary:g}"]
            one["stopped_early"] = fewest is not None and got is None and one["steps"] >= fewest
            runs.append(one)
            if got is not None:
                fewest = got["step"] if fewest is None else min(fewest, got["step"])
            if progress:
                result = (f"reached {primary:.0%} at epoch {got['epoch']:.2f}" if got else
                          "stopped: cannot beat the best" if one["stopped_early"] else f"did not reach {primary:.0%}")
                print(f"{act:4} lr={lr:<5g} {result} ({one['seconds']:.0f} s)", flush=True)
    settings = {"model": f"four_layer_net(width={width})", "dataset": "Fashion-MNIST 28x28, normalised",
                "train_images": train.num_images, "batch_size": batch_size, "optimizer": "SGD", "momentum": 0.9,
                "weight_decay": 0.0, "regularisation": "none", "init": "PyTorch default", "lrs": list(lrs),
                "thresholds": sorted(thresholds, reverse=True), "primary": primary, "max_epochs": max_epochs,
                "window_batches": window, "log_every": log_every, "seed": seed}
    question = "How much faster does a ReLU convnet reach a training-error level than a tanh one?"
    return save(make_record(NAME, question, settings, runs, "cpu", start), out)


def _final_error(run: dict[str, Any]) -> float:
    errs = [p["train_error"] for p in run["curve"] if p["train_error"] is not None]
    return errs[-1] if errs else math.inf


def best_lrs(record: dict[str, Any]) -> dict[str, float]:
    """Per activation, the learning rate that reached the primary error in the fewest steps (ties: lowest error)."""
    primary = record["settings"]["primary"]
    return {act: min((r for r in record["runs"] if r["activation"] == act),
                     key=lambda r: (_steps_to(r, primary), _final_error(r)))["lr"]
            for act in ("relu", "tanh")}


def best_runs(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The ReLU and the tanh run at their best learning rates."""
    return {act: next(r for r in record["runs"] if r["activation"] == act and r["lr"] == lr)
            for act, lr in best_lrs(record).items()}


def speedups(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per threshold: epochs and seconds per activation, and the tanh/ReLU ratios (a lower bound if tanh fell short)."""
    best = best_runs(record)
    out = {}
    for t in record["settings"]["thresholds"]:
        key = f"{t:g}"
        r, h = best["relu"]["reached"].get(key), best["tanh"]["reached"].get(key)
        row: dict[str, Any] = {"relu_epochs": r and r["epoch"], "tanh_epochs": h and h["epoch"],
                               "relu_seconds": r and r["seconds"], "tanh_seconds": h and h["seconds"]}
        if r is None:
            row.update(speedup_epochs=None, speedup_seconds=None, lower_bound=False)
        elif h is None:  # tanh ran out of budget: the factor is at least this
            row.update(speedup_epochs=best["tanh"]["epochs"] / r["epoch"],
                       speedup_seconds=best["tanh"]["seconds"] / r["seconds"], lower_bound=True)
        else:
            row.update(speedup_epochs=h["epoch"] / r["epoch"], speedup_seconds=h["seconds"] / r["seconds"],
                       lower_bound=False)
        out[key] = row
    return out


def verdict(record: dict[str, Any]) -> str:
    """The verdict on the paper's 6x at the primary threshold: one factor per seed, a t-interval, three words."""
    row = speedups(record)[f"{record['settings']['primary']:g}"]
    if row["speedup_epochs"] is None:
        return "inconclusive: the ReLU network never reached the primary training error within the budget"
    factors = [row["speedup_epochs"]]  # one seed per record so far: one factor
    bound = " (a lower bound: tanh ran out of budget)" if row["lower_bound"] else ""
    return verdict_line(f"ReLU's speed-up over tanh in epochs to {record['settings']['primary']:.0%} training error"
                        + bound, t_interval(factors), PAPER_SPEEDUP, null=1.0, unit="x")

"""Dropout in AlexNet's classifier on a small Fashion-MNIST subset: the generalisation gap, and iterations to converge.

The paper (section 4.2): dropout "roughly doubles the number of iterations required to converge". Each run
trains `dropout_classifier(p)` through `alexnet_lib.train.fit`; after every epoch it records the running
training loss with dropout active (the objective SGD descends), and the training and test loss and
accuracy in eval mode.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Optional, Sequence, Union

from torch import nn

from .._checks import check_int, check_number, check_probability
from ..loader import fashion_mnist_loaders
from ..layers import Dropout
from ..recipes import Recipe
from ..stats import t_interval, verdict_line
from ..train import fit
from .schema import make_record, save

NAME = "dropout"
#: The paper (section 4.2): dropout "roughly doubles the number of iterations required to converge".
PAPER_SLOWDOWN = 2.0


def dropout_classifier(p: float = 0.5, in_features: int = 784, hidden: int = 4096, num_classes: int = 10
                       ) -> nn.Sequential:
    """AlexNet's classifier (Linear-ReLU-Dropout twice, then Linear) fed flattened pixels.

    The same layers as `alexnet_d2l().classifier`, with the from-scratch `alexnet_lib.layers.Dropout`, and the
    first layer taking `in_features` (784 = 28x28 pixels) instead of 6,400 convolutional features.
    """
    check_probability("p", p)
    check_int("in_features", in_features, 1, 1_000_000)
    check_int("hidden", hidden, 1, 65536)
    check_int("num_classes", num_classes, 1, 100_000)
    drop = (lambda: [Dropout(p)]) if p > 0 else (lambda: [])
    return nn.Sequential(nn.Flatten(),
                         nn.Linear(in_features, hidden), nn.ReLU(), *drop(),
                         nn.Linear(hidden, hidden), nn.ReLU(), *drop(),
                         nn.Linear(hidden, num_classes))


def train_dropout(p: float, train: Any, test: Any, epochs: int = 60, lr: float = 0.01, momentum: float = 0.9,
                  hidden: int = 4096, seed: int = 0) -> dict[str, Any]:
    """Train `dropout_classifier(p)` with SGD+momentum (Xavier init); per epoch the losses and accuracies."""
    history = fit(dropout_classifier(p, hidden=hidden), train, test, epochs=check_int("epochs", epochs, 1, 10_000),
                  recipe=Recipe("dropout", lr=check_number("lr", lr, 0.0, 10.0, low_open=True), momentum=momentum,
                                init="xavier"),
                  device="cpu", fast=False, seed=seed, progress=False, evaluate_on={"train_eval": train})
    seconds, epochs_out = 0.0, []
    for e in history.epochs:
        seconds += e["train_seconds"]
        epochs_out.append({"epoch": e["epoch"], "step": e["steps"], "seconds": seconds,
                           "train_loss_running": e["train_loss"], "train_loss": e["train_eval_loss"],
                           "train_acc": e["train_eval_acc"], "test_loss": e["test_loss"], "test_acc": e["test_acc"]})
    return {"p": p, "lr": lr, "seed": seed, "epochs": epochs_out}


def run(out: Union[str, Path, None] = None, ps: Sequence[float] = (0.0, 0.5), train_subset: int = 1000,
        test_subset: int = 2000, epochs: int = 40, batch_size: int = 50, lr: float = 0.01, hidden: int = 4096,
        loss_threshold: float = 0.1, loss_thresholds: Sequence[float] = (0.5, 0.2, 0.1, 0.05), seed: int = 0,
        root: Union[str, Path, None] = None, progress: bool = True) -> dict[str, Any]:
    """Each p in `ps` on the same images, order and initial RNG state; the record, written to `out` if given.

    Convergence is the first iteration at which an epoch's loss is at or below `loss_threshold`;
    `summary` also reports every level in `loss_thresholds`.
    """
    check_number("loss_threshold", loss_threshold, 0.0, low_open=True, hint=" nats, e.g. 0.1")
    for p in ps:
        check_probability("p", p)
    start = time.perf_counter()
    train, test, _ = fashion_mnist_loaders(batch_size=batch_size, size=28, device="cpu",
                                           train_subset=check_int("train_subset", train_subset, 1),
                                           test_subset=check_int("test_subset", test_subset, 1), seed=seed, root=root)
    runs = []
    for p in ps:
        one = train_dropout(p, train, test, epochs=epochs, lr=lr, hidden=hidden, seed=seed)
        runs.append(one)
        if progress:
            last = one["epochs"][-1]
            print(f"p={p:g}: train acc {last['train_acc']:.3f}, test acc {last['test_acc']:.3f} "
                  f"({last['seconds']:.0f} s)", flush=True)
    settings = {"model": f"dropout_classifier(p, in_features=784, hidden={hidden})",
                "dataset": "Fashion-MNIST 28x28, normalised, flattened", "train_images": train.num_images,
                "test_images": test.num_images, "batch_size": batch_size, "epochs": epochs, "optimizer": "SGD",
                "lr": lr, "momentum": 0.9, "weight_decay": 0.0, "init": "xavier", "ps": list(ps),
                "loss_threshold": loss_threshold,
                "loss_thresholds": sorted({*loss_thresholds, loss_threshold}, reverse=True), "seed": seed}
    question = "What does dropout do to the generalisation gap, and how much does it slow convergence?"
    return save(make_record(NAME, question, settings, runs, "cpu", start), out)


def iterations_to_converge(run: dict[str, Any], loss_threshold: float, key: str = "train_loss") -> Optional[int]:
    """The iteration (step) at the end of the first epoch whose `key` is at or below `loss_threshold`; None if never.

    `key="train_loss"` is the eval-mode training loss (deterministic); "train_loss_running" is the loss with
    dropout active, whose noise floor makes a low threshold exaggerate the slowdown.
    """
    return next((e["step"] for e in run["epochs"] if e[key] <= loss_threshold), None)


def summary(record: dict[str, Any], key: str = "train_loss") -> dict[str, dict[str, Any]]:
    """Per p: final train/test accuracy, the gap, best test accuracy, and iterations to each loss threshold."""
    threshold = record["settings"]["loss_threshold"]
    out = {}
    for one in record["runs"]:
        last = one["epochs"][-1]
        out[f"{one['p']:g}"] = {
            "train_acc": last["train_acc"], "test_acc": last["test_acc"],
            "gap": last["train_acc"] - last["test_acc"],
            "best_test_acc": max(e["test_acc"] for e in one["epochs"]),
            "test_loss": last["test_loss"],
            "iterations": iterations_to_converge(one, threshold, key),
            "iterations_at": {f"{t:g}": iterations_to_converge(one, t, key)
                              for t in record["settings"]["loss_thresholds"]},
        }
    return out


def verdict(record: dict[str, Any], key: str = "train_loss") -> str:
    """The verdict on the paper's 2x: the slowdown at the main loss threshold, one factor per seed, three words."""
    s = summary(record, key)
    with_dropout = [k for k in s if k != "0"]
    if "0" not in s or not with_dropout:
        raise ValueError("the record needs a p=0 run and a run with dropout to compare")
    it0, it5 = s["0"]["iterations"], s[with_dropout[0]]["iterations"]
    level = record["settings"]["loss_threshold"]
    if not it0 or not it5:
        return f"inconclusive: {'p=0' if not it0 else 'the dropout run'} never reached {level} nats within the run"
    what = "the eval-mode training loss" if key == "train_loss" else "the training loss with dropout active"
    return verdict_line(f"dropout's slowdown in iterations until {what} is at most {level} nats",
                        t_interval([it5 / it0]), PAPER_SLOWDOWN, null=1.0, unit="x")

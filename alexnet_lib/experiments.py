"""The chapters' recorded experiments: the paper's Figure 1 (ReLU vs tanh) and its dropout claim, on Fashion-MNIST.

Each `run_*` function trains small networks on the CPU, returns a JSON-ready record with its settings and
provenance, and (with `out=`) writes it atomically. The chapters load the recorded JSON from `data/runs/`
and also call the same functions with a tiny budget, so every number they quote comes from this code.
"""

from __future__ import annotations

import json
import math
import numbers
import time
from pathlib import Path
from typing import Any, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import nn

from .activations import module as activation_module
from .data import fashion_mnist_loaders
from .layers import Dropout
from .model import alexnet_d2l, init_weights
from .runs import RUNS_DIR, run_path  # noqa: F401  (RUNS_DIR: where run_* records are written)
from .train import atomic_write_text, choose_precision, fit, get_recipe, provenance

#: The paper's Figure 1: ReLU reached 25% training error on CIFAR-10 "six times faster" than tanh.
PAPER_SPEEDUP = 6.0
#: The paper (section 4.2): dropout "roughly doubles the number of iterations required to converge".
PAPER_DROPOUT_SLOWDOWN = 2.0


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name}={value!r} must be a positive integer")
    return int(value)


def _fraction(name: str, value: object, closed_top: bool = False) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and 0 <= value and (
        value <= 1 if closed_top else value < 1)
    if not ok:
        raise ValueError(f"{name}={value!r} must be a number in [0, {'1]' if closed_top else '1)'}")
    return float(value)


def _loaders(train_subset: Optional[int], test_subset: Optional[int], batch_size: int, seed: int,
             root: Union[str, Path, None]):
    """Fashion-MNIST at its native 28x28 (no resizing): cheap enough for a CPU."""

    train, test, _ = fashion_mnist_loaders(batch_size=batch_size, size=28, device="cpu", train_subset=train_subset,
                                           test_subset=test_subset, seed=seed, root=root)
    return train, test


@torch.no_grad()
def _accuracy_and_loss(model: nn.Module, loader: Any) -> tuple[float, float]:
    """Eval-mode accuracy and mean cross-entropy of `model` over every batch of `loader`."""
    was = model.training
    model.eval()
    correct, loss, n = 0, 0.0, 0
    for x, y in loader:
        logits = model(x)
        correct += int((logits.argmax(1) == y).sum())
        loss += float(F.cross_entropy(logits, y, reduction="sum"))
        n += len(y)
    model.train(was)
    return correct / n, loss / n


# ============================================================================ ReLU versus tanh (Figure 1)


def four_layer_net(activation: str = "relu", width: int = 32) -> nn.Sequential:
    """A small four-layer convnet for 1x28x28 inputs: three conv+pool blocks and a linear classifier.

    Channels `width`, 2*width, 2*width; 5x5, 5x5, 3x3 kernels with 'same' padding; 2x2 max-pooling after each
    (28 -> 14 -> 7 -> 3); no normalisation and no dropout, as in the paper's Figure 1 ("no regularization").
    """
    _positive_int("width", width)
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

    The running training error is the error over the last `window` training batches, as the network sees
    them (the paper plots training error too). Stops once the lowest threshold is reached or after
    `max_epochs` (or `max_steps`, if smaller); returns the curve (logged every `log_every` steps) and, per
    threshold, the first step, epoch (fractional) and training seconds at which the running error was at or
    below it (None if never).
    """
    thresholds = sorted({_fraction("threshold", t) for t in thresholds}, reverse=True)
    if not thresholds:
        raise ValueError("thresholds is empty: give at least one training-error level, e.g. (0.25, 0.1)")
    if not (isinstance(lr, numbers.Real) and lr > 0):
        raise ValueError(f"lr={lr!r} must be a positive number")
    if not (isinstance(max_epochs, numbers.Real) and max_epochs > 0):
        raise ValueError(f"max_epochs={max_epochs!r} must be a positive number")
    window, log_every = _positive_int("window", window), _positive_int("log_every", log_every)
    torch.manual_seed(seed)
    model = four_layer_net(activation, width)  # PyTorch's default initialisation, identical for both
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    n = loader.num_images
    budget = math.ceil(max_epochs * n / loader.batch_size)
    max_steps = budget if max_steps is None else min(budget, _positive_int("max_steps", max_steps))
    errors: list[tuple[int, int]] = []  # (wrong, seen) of each of the last `window` batches
    wrong_sum = seen_sum = 0
    reached: dict[str, Optional[dict[str, float]]] = {f"{t:g}": None for t in thresholds}
    curve: list[dict[str, float]] = []
    step, images, seconds, diverged = 0, 0, 0.0, False
    epoch = 0
    model.train()
    while step < max_steps and not diverged:
        loader.set_epoch(epoch)
        for x, y in loader:
            t0 = time.perf_counter()
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            seconds += time.perf_counter() - t0
            step += 1
            images += len(y)
            loss_value = loss.item()
            if not math.isfinite(loss_value):
                diverged = True
                break
            wrong = int((logits.detach().argmax(1) != y).sum())
            errors.append((wrong, len(y)))
            wrong_sum, seen_sum = wrong_sum + wrong, seen_sum + len(y)
            if len(errors) > window:
                w_old, s_old = errors.pop(0)
                wrong_sum, seen_sum = wrong_sum - w_old, seen_sum - s_old
            running = wrong_sum / seen_sum
            full = len(errors) == window  # a half-empty window would be too noisy to trust
            if step % log_every == 0:
                curve.append({"step": step, "epoch": images / n, "seconds": seconds,
                              "train_error": running if full else None, "loss": loss_value})
            if full:
                for t in thresholds:
                    key = f"{t:g}"
                    if reached[key] is None and running <= t:
                        reached[key] = {"step": step, "epoch": images / n, "seconds": seconds}
            if reached[f"{thresholds[-1]:g}"] is not None or step >= max_steps:
                break
        if reached[f"{thresholds[-1]:g}"] is not None:
            break
        epoch += 1
    return {"activation": activation, "lr": lr, "steps": step, "epochs": images / n, "seconds": seconds,
            "diverged": diverged, "reached": reached, "curve": curve}


def _steps_to(run: dict[str, Any], threshold: float) -> float:
    r = run["reached"].get(f"{threshold:g}")
    return math.inf if r is None else r["step"]


def run_relu_tanh(out: Union[str, Path, None] = None, lrs: Sequence[float] = (0.01, 0.03, 0.1),
                  thresholds: Sequence[float] = (0.25, 0.15, 0.10), primary: float = 0.10,
                  max_epochs: float = 8.0, batch_size: int = 128, width: int = 16, window: int = 50,
                  log_every: int = 25, train_subset: Optional[int] = None, seed: int = 0,
                  root: Union[str, Path, None] = None, progress: bool = True) -> dict[str, Any]:
    """The paper's Figure 1 on Fashion-MNIST: ReLU vs tanh, each at the best learning rate of `lrs`.

    "Best" means the one that reaches the `primary` training error in the fewest steps (the paper chose
    each network's learning rate "to make training as fast as possible"); a run is stopped once it has used
    as many steps as the best run of its activation so far (it can no longer win). Returns the JSON-ready
    record, written to `out` if given.
    """
    if primary not in thresholds:
        raise ValueError(f"primary={primary!r} must be one of thresholds={tuple(thresholds)}")
    if not lrs:
        raise ValueError("lrs is empty: give at least one learning rate to try")
    start = time.perf_counter()
    train, _ = _loaders(train_subset, 1, batch_size, seed, root)
    runs = []
    for act in ("relu", "tanh"):
        fewest: Optional[int] = None
        for lr in lrs:
            # A run that has taken as many steps as the best one so far cannot win: stop it there.
            run = train_to_thresholds(act, lr, train, thresholds, max_epochs=max_epochs, width=width, window=window,
                                      log_every=log_every, seed=seed, max_steps=fewest)
            got = run["reached"][f"{primary:g}"]
            run["stopped_early"] = fewest is not None and got is None and run["steps"] >= fewest
            runs.append(run)
            if got is not None:
                fewest = got["step"] if fewest is None else min(fewest, got["step"])
            if progress:
                result = (f"reached {primary:.0%} at epoch {got['epoch']:.2f}" if got else
                          "stopped: cannot beat the best" if run["stopped_early"] else f"did not reach {primary:.0%}")
                print(f"{act:4} lr={lr:<5g} {result} ({run['seconds']:.0f} s)", flush=True)
    best = {}
    for act in ("relu", "tanh"):
        mine = [r for r in runs if r["activation"] == act]
        # Fewest steps to the primary threshold; ties (e.g. none reached) go to the lowest final error.
        best[act] = min(mine, key=lambda r: (_steps_to(r, primary), _final_error(r)))["lr"]
    record = {
        "experiment": "relu_tanh",
        "question": "How much faster does a ReLU convnet reach a training-error level than a tanh one?",
        "settings": {"model": f"four_layer_net(width={width})", "dataset": "Fashion-MNIST 28x28, normalised",
                     "train_images": train.num_images, "batch_size": batch_size, "optimizer": "SGD",
                     "momentum": 0.9, "weight_decay": 0.0, "regularisation": "none", "init": "PyTorch default",
                     "lrs": list(lrs), "thresholds": sorted(thresholds, reverse=True), "primary": primary,
                     "max_epochs": max_epochs, "window_batches": window, "log_every": log_every, "seed": seed},
        "best_lr": best,
        "runs": runs,
        "provenance": {**provenance(torch.device("cpu")), "seconds": time.perf_counter() - start},
    }
    if out is not None:
        atomic_write_text(Path(out), json.dumps(record, indent=1) + "\n")
    return record


def _final_error(run: dict[str, Any]) -> float:
    errs = [p["train_error"] for p in run["curve"] if p["train_error"] is not None]
    return errs[-1] if errs else math.inf


def best_runs(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The ReLU and the tanh run at their best learning rates, from a `run_relu_tanh` record."""
    return {act: next(r for r in record["runs"] if r["activation"] == act and r["lr"] == lr)
            for act, lr in record["best_lr"].items()}


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


def verdict(factor: Optional[float], claimed: float = PAPER_SPEEDUP, lower_bound: bool = False) -> str:
    """A one-phrase verdict on a measured factor against the paper's: within a factor of 1.5 counts as confirmed."""
    if factor is None:
        return "not measurable (neither network reached the threshold)"
    if lower_bound and factor >= claimed / 1.5:
        return f"confirmed (at least {factor:.1f}x against the paper's {claimed:g}x)"
    if claimed / 1.5 <= factor <= claimed * 1.5:
        return f"confirmed ({factor:.1f}x against the paper's {claimed:g}x)"
    if factor > claimed * 1.5:
        return f"confirmed in direction, larger in size ({factor:.1f}x against the paper's {claimed:g}x)"
    if factor > 1:
        return (f"only partly confirmed: {'at least ' if lower_bound else ''}{factor:.1f}x faster, "
                f"not {claimed:g}x")
    return f"not confirmed ({factor:.2f}x against the paper's {claimed:g}x)"


# ============================================================================ dropout


def dropout_classifier(p: float = 0.5, in_features: int = 784, hidden: int = 4096, num_classes: int = 10
                       ) -> nn.Sequential:
    """AlexNet's classifier (Linear-ReLU-Dropout twice, then Linear) fed flattened pixels.

    The same layers as `alexnet_d2l().classifier`, with the from-scratch `alexnet_lib.layers.Dropout`, and the
    first layer taking `in_features` (784 = 28x28 pixels) instead of 6,400 convolutional features.
    """
    _fraction("p", p)
    for name, value in (("in_features", in_features), ("hidden", hidden), ("num_classes", num_classes)):
        _positive_int(name, value)
    drop = (lambda: [Dropout(p)]) if p > 0 else (lambda: [])
    return nn.Sequential(nn.Flatten(),
                         nn.Linear(in_features, hidden), nn.ReLU(), *drop(),
                         nn.Linear(hidden, hidden), nn.ReLU(), *drop(),
                         nn.Linear(hidden, num_classes))


def train_dropout(p: float, train: Any, test: Any, epochs: int = 60, lr: float = 0.01, momentum: float = 0.9,
                  hidden: int = 4096, seed: int = 0) -> dict[str, Any]:
    """Train `dropout_classifier(p)` with SGD+momentum; per epoch: running training loss, train/test accuracy and loss.

    `train_loss_running` is the mean loss of the epoch's batches with dropout active (the objective SGD
    actually descends); `train_acc`/`train_loss` are measured afterwards in eval mode on the same images.
    """
    epochs = _positive_int("epochs", epochs)
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not lr > 0:
        raise ValueError(f"lr={lr!r} must be a positive number, e.g. 0.01")
    torch.manual_seed(seed)
    model = dropout_classifier(p, hidden=hidden)
    init_weights(model, "xavier", generator=torch.Generator().manual_seed(seed))
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    history, step, seconds = [], 0, 0.0
    for epoch in range(epochs):
        train.set_epoch(epoch)
        model.train()
        loss_sum, n = 0.0, 0
        t0 = time.perf_counter()
        for x, y in train:
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            loss_sum += loss.item() * len(y)
            n += len(y)
        seconds += time.perf_counter() - t0
        if not math.isfinite(loss_sum):
            raise ValueError(f"the loss became NaN/inf in epoch {epoch + 1} with lr={lr:g}; use a lower lr")
        train_acc, train_loss = _accuracy_and_loss(model, train)
        test_acc, test_loss = _accuracy_and_loss(model, test)
        history.append({"epoch": epoch + 1, "step": step, "seconds": seconds, "train_loss_running": loss_sum / n,
                        "train_loss": train_loss, "train_acc": train_acc, "test_loss": test_loss,
                        "test_acc": test_acc})
    return {"p": p, "lr": lr, "epochs": history}


def run_dropout(out: Union[str, Path, None] = None, ps: Sequence[float] = (0.0, 0.5), train_subset: int = 1000,
                test_subset: int = 2000, epochs: int = 40, batch_size: int = 50, lr: float = 0.01,
                hidden: int = 4096, loss_threshold: float = 0.1,
                loss_thresholds: Sequence[float] = (0.5, 0.2, 0.1, 0.05), seed: int = 0,
                root: Union[str, Path, None] = None, progress: bool = True) -> dict[str, Any]:
    """AlexNet's classifier on a small Fashion-MNIST subset with and without dropout; the record, written to `out`.

    Convergence is measured as the first iteration at which the epoch's running training loss (dropout
    active) is at or below `loss_threshold`; `dropout_summary` also reports every level in `loss_thresholds`.
    """
    if not (isinstance(loss_threshold, numbers.Real) and loss_threshold > 0):
        raise ValueError(f"loss_threshold={loss_threshold!r} must be a positive number of nats, e.g. 0.1")
    start = time.perf_counter()
    train, test = _loaders(_positive_int("train_subset", train_subset), _positive_int("test_subset", test_subset),
                           batch_size, seed, root)
    runs = []
    for p in ps:
        run = train_dropout(p, train, test, epochs=epochs, lr=lr, hidden=hidden, seed=seed)
        runs.append(run)
        if progress:
            last = run["epochs"][-1]
            print(f"p={p:g}: train acc {last['train_acc']:.3f}, test acc {last['test_acc']:.3f} "
                  f"({last['seconds']:.0f} s)", flush=True)
    record = {
        "experiment": "dropout",
        "question": "What does dropout do to the generalisation gap, and how much does it slow convergence?",
        "settings": {"model": f"dropout_classifier(p, in_features=784, hidden={hidden})",
                     "dataset": "Fashion-MNIST 28x28, normalised, flattened", "train_images": train.num_images,
                     "test_images": test.num_images, "batch_size": batch_size, "epochs": epochs,
                     "optimizer": "SGD", "lr": lr, "momentum": 0.9, "weight_decay": 0.0, "init": "xavier",
                     "ps": list(ps), "loss_threshold": loss_threshold,
                     "loss_thresholds": sorted({*loss_thresholds, loss_threshold}, reverse=True), "seed": seed},
        "runs": runs,
        "provenance": {**provenance(torch.device("cpu")), "seconds": time.perf_counter() - start},
    }
    if out is not None:
        atomic_write_text(Path(out), json.dumps(record, indent=1) + "\n")
    return record


def iterations_to_converge(run: dict[str, Any], loss_threshold: float, key: str = "train_loss_running"
                           ) -> Optional[int]:
    """The iteration (step) at the end of the first epoch whose `key` is at or below `loss_threshold`; None if never."""
    return next((e["step"] for e in run["epochs"] if e[key] <= loss_threshold), None)


def dropout_summary(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per p: final train/test accuracy, the generalisation gap, best test accuracy, and the iterations to
    converge (to the main loss threshold, and to each of `loss_thresholds` in `iterations_at`)."""
    threshold = record["settings"]["loss_threshold"]
    out = {}
    for run in record["runs"]:
        last = run["epochs"][-1]
        out[f"{run['p']:g}"] = {
            "train_acc": last["train_acc"], "test_acc": last["test_acc"],
            "gap": last["train_acc"] - last["test_acc"],
            "best_test_acc": max(e["test_acc"] for e in run["epochs"]),
            "test_loss": last["test_loss"],
            "iterations": iterations_to_converge(run, threshold),
            "iterations_at": {f"{t:g}": iterations_to_converge(run, t)
                              for t in record["settings"].get("loss_thresholds", [threshold])},
        }
    return out


def run_recipes(out: Union[str, Path, None] = None, recipes: Sequence[str] = ("paper", "d2l", "fast"),
                epochs: int = 2, train_subset: int = 4800, test_subset: int = 2000, batch_size: int = 128,
                size: int = 224, seed: int = 0, root: Union[str, Path, None] = None,
                progress: bool = True) -> dict[str, Any]:
    """alexnet_d2l at 224x224 trained with each recipe on the same images and budget; the record, written to `out`."""

    start = time.perf_counter()
    device = torch.device("cpu")
    precision = choose_precision(device)
    train, test, _ = fashion_mnist_loaders(batch_size=batch_size, size=size, device=device,
                                           train_subset=_positive_int("train_subset", train_subset),
                                           test_subset=_positive_int("test_subset", test_subset), seed=seed,
                                           root=root, channels_last=precision.channels_last)
    runs = []
    for name in recipes:
        recipe = get_recipe(name)
        history = fit(alexnet_d2l(), train, test, epochs=_positive_int("epochs", epochs), recipe=recipe,
                      device=device, seed=seed, progress=progress)
        runs.append({"recipe": name, "description": recipe.description, "epochs": history.epochs})
    record = {
        "experiment": "recipes",
        "question": "Which recipe trains AlexNet to the highest test accuracy on the same small budget?",
        "settings": {"model": "alexnet_d2l()", "size": size, "train_images": train.num_images,
                     "test_images": test.num_images, "batch_size": batch_size, "epochs": epochs, "seed": seed,
                     "precision": precision.label, "recipes": list(recipes)},
        "runs": runs,
        "provenance": {**provenance(device), "seconds": time.perf_counter() - start},
    }
    if out is not None:
        atomic_write_text(Path(out), json.dumps(record, indent=1) + "\n")
    return record


def load_run(path: Union[str, Path], experiment: Optional[str] = None) -> dict[str, Any]:
    """Read a recorded run from JSON, checking that it has settings, runs and provenance."""
    path = Path(path)
    try:
        record = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"{path} is not a readable recorded run ({e}); recreate it with the run_* function "
                         f"named in its chapter") from e
    missing = [k for k in ("experiment", "settings", "runs", "provenance") if k not in record]
    if missing:
        raise ValueError(f"{path} lacks {missing}: not a record written by alexnet_lib.experiments")
    if experiment is not None and record["experiment"] != experiment:
        raise ValueError(f"{path} records experiment {record['experiment']!r}, not {experiment!r}")
    return record


def recorded_run(name: str) -> dict[str, Any]:
    """A run recorded in `data/runs/<name>.json` (a clone's copy, else fetched from the repository), checked."""
    return load_run(run_path(name), name)
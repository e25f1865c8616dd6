"""Figures of recorded training runs: learning curves, ReLU against tanh, dropout, and the LRN/pooling ablations.

They read the records in `data/runs/` (see `alexnet_lib.records.load_record`) and never train anything.
"""

from __future__ import annotations

from typing import Optional, Sequence

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ._figures import DPI, axes_for, finish, style
from .plots import ACTIVATION_COLOURS, WINDOW_COLOURS

RUN_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")


def plot_curves(histories: Sequence[tuple[str, dict]], key: str = "test_acc", x: str = "epoch",
                ax: Optional[Axes] = None) -> Figure:
    """One line per (label, history dict) of `key` against `x` ('epoch' or 'seconds')."""
    fig, ax = axes_for(ax, (6, 3.5))
    for label, history in histories:
        epochs = history["epochs"]
        if not epochs or key not in epochs[0]:
            raise ValueError(f"history {label!r} has no {key!r}; available: {sorted(epochs[0]) if epochs else []}")
        if x == "seconds":
            xs, t = [], 0.0
            for e in epochs:
                t += e["seconds"]
                xs.append(t / 60)
        else:
            xs = [e["epoch"] for e in epochs]
        ax.plot(xs, [e[key] for e in epochs], marker="o", label=label)
    style(ax, "minutes of training" if x == "seconds" else "epoch", key.replace("_", " "), legend=True)
    return finish(fig)


def plot_relu_tanh(record: dict, x: str = "epoch") -> Figure:
    """Figure 1 redone: running training error of the best ReLU and tanh runs against epochs or seconds."""
    from .experiments.relu_tanh import best_runs  # imported here: the experiments are loaded only when plotted

    if x not in ("epoch", "seconds"):
        raise ValueError(f"x={x!r} must be 'epoch' or 'seconds'")
    fig, ax = plt.subplots(figsize=(6.5, 3.6), dpi=DPI)
    styles = {"relu": "-", "tanh": "--"}
    for act, run in best_runs(record).items():
        pts = [p for p in run["curve"] if p["train_error"] is not None]
        ax.plot([p[x] for p in pts], [p["train_error"] for p in pts], styles[act], color=ACTIVATION_COLOURS[act],
                label=f"{act} (lr {run['lr']:g})")
    for t in record["settings"]["thresholds"]:
        ax.axhline(t, color="grey", lw=0.7, ls=":")
        ax.text(ax.get_xlim()[1], t, f" {t:.0%}", va="center", fontsize=8, color="grey")
    ax.set_ylim(0, 0.5)
    style(ax, "epochs" if x == "epoch" else "training seconds", "training error (running)", legend=True)
    return finish(fig)


def plot_dropout(record: dict) -> Figure:
    """Two panels: train and test accuracy per epoch for each p; running training loss per iteration (log)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), dpi=DPI)
    for colour, run in zip(RUN_COLOURS, record["runs"]):
        epochs = run["epochs"]
        e = [r["epoch"] for r in epochs]
        left.plot(e, [r["train_acc"] for r in epochs], "-", color=colour, label=f"p={run['p']:g} train")
        left.plot(e, [r["test_acc"] for r in epochs], "--", color=colour, label=f"p={run['p']:g} test")
        right.semilogy([r["step"] for r in epochs], [r["train_loss_running"] for r in epochs], color=colour,
                       label=f"p={run['p']:g}")
    threshold = record["settings"].get("loss_threshold")
    if threshold:
        right.axhline(threshold, color="grey", ls=":", lw=0.8)
    style(left, "epoch", "accuracy", legend=True)
    style(right, "iterations (SGD steps)", "training loss (dropout active)", legend=True)
    return finish(fig)


def plot_ablation(record: dict, ax: Optional[Axes] = None, title: str = "") -> Figure:
    """Test accuracy of each variant, one dot per seed joined across variants (pairs share a seed), means as bars."""
    labels = list(record["settings"]["variants"])
    seeds = record["settings"]["seeds"]
    acc = {(r["variant"], r["seed"]): r["test_acc"] for r in record["runs"]}
    fig, ax = axes_for(ax, (5.5, 3.4))
    for i, label in enumerate(labels):
        values = [acc[(label, s)] for s in seeds]
        ax.bar(i, sum(values) / len(values), width=0.5, color=WINDOW_COLOURS[i % len(WINDOW_COLOURS)], alpha=0.35)
    for s in seeds:
        ax.plot(range(len(labels)), [acc[(label, s)] for label in labels], "o-", color="#636363", lw=0.8, ms=4)
    values = list(acc.values())
    spread = max(values) - min(values)
    ax.set_ylim(max(0.0, min(values) - max(spread, 0.01)), min(1.0, max(values) + max(spread, 0.01)))
    ax.set_xticks(range(len(labels)), labels, fontsize=9)
    style(ax, ylabel="test accuracy", grid="y",
          title=title or f"{len(seeds)} seed(s); lines join runs that share a seed")
    return finish(fig)

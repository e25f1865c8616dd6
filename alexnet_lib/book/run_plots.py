"""Figures of recorded runs: learning curves of training runs, and the curves and paired effects of experiments.

They read the records in `data/runs/` (see `alexnet_lib.engine.records.load_record`) and never train anything.
"""

from __future__ import annotations

from typing import Optional, Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..engine.records import History
from ..tables import Table
from ._figures import axes_for, finish, style

EXPERIMENT_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")


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


def plot_experiment_curves(record: dict, curve: str = "train_error", x: str = "step", levels: Sequence[float] = (),
                           log: bool = False, ax: Optional[Axes] = None) -> Figure:
    """One colour per arm: `curve` of every chosen run (one line per seed) against steps or epochs."""
    from ..experiments.runner import chosen_runs  # imported here: the experiments are loaded only when plotted

    if x not in ("step", "epoch", "seconds"):
        raise ValueError(f"x={x!r} must be 'step', 'epoch' or 'seconds'")
    runs = chosen_runs(record)
    arms = list(record["settings"]["arms"])
    fig, ax = axes_for(ax, (6.5, 3.6))
    for i, label in enumerate(arms):
        colour = EXPERIMENT_COLOURS[i % len(EXPERIMENT_COLOURS)]
        lr = record["settings"]["chosen_lr"][label]
        for j, seed in enumerate(record["settings"]["scale"]["seeds"]):
            pts = runs[(label, seed)]["curve"]
            if pts and curve not in pts[0]:
                raise ValueError(f"the record's curves have no {curve!r}; they have {sorted(pts[0])}")
            ax.plot([p[x] for p in pts], [p[curve] for p in pts], "-" if i % 2 == 0 else "--", color=colour, lw=1.2,
                    alpha=0.9, label=f"{label} (lr {lr:g})" if j == 0 else None)
    for level in levels:
        ax.axhline(level, color="grey", lw=0.7, ls=":")
    if log:
        ax.set_yscale("log")
    style(ax, {"step": "SGD steps", "epoch": "epochs", "seconds": "training seconds"}[x],
          curve.replace("_", " ") + " (eval mode, fixed training subset)", legend=True,
          title="one line per seed, at each arm's chosen learning rate")
    return finish(fig)


def plot_effects(record: dict, ax: Optional[Axes] = None) -> Figure:
    """Test accuracy of each arm, one dot per seed joined across arms (pairs share a seed), means as bars."""
    from ..experiments.runner import chosen_runs  # imported here: the experiments are loaded only when plotted

    runs = chosen_runs(record)
    labels = list(record["settings"]["arms"])
    seeds = record["settings"]["scale"]["seeds"]
    acc = {(label, s): runs[(label, s)]["test_acc"] for label in labels for s in seeds}
    fig, ax = axes_for(ax, (2.2 + 1.6 * len(labels), 3.4))
    for i, label in enumerate(labels):
        values = [acc[(label, s)] for s in seeds]
        ax.bar(i, sum(values) / len(values), width=0.5, color=EXPERIMENT_COLOURS[i % len(EXPERIMENT_COLOURS)],
               alpha=0.35)
    for s in seeds:
        ax.plot(range(len(labels)), [acc[(label, s)] for label in labels], "o-", color="#636363", lw=0.8, ms=4)
    values = list(acc.values())
    spread = max(values) - min(values)
    ax.set_ylim(max(0.0, min(values) - max(spread, 0.01)), min(1.0, max(values) + max(spread, 0.01)))
    ax.set_xticks(range(len(labels)), [label.replace(", ", ",\n") for label in labels], fontsize=8)
    style(ax, ylabel="test accuracy", grid="y", title=f"{len(seeds)} seed(s); lines join runs that share a seed")
    return finish(fig)


def _budgeted(histories: Sequence[dict]) -> list[History]:
    """The histories as History objects, each checked to be a finished run with a time budget."""
    runs = [History.from_dict(h, f"history {i}") for i, h in enumerate(histories)]
    for i, h in enumerate(runs):
        if not isinstance(h.config.get("budget"), dict) or h.final_test_acc is None:
            raise ValueError(f"history {i} is not a finished run with a time budget (train(minutes=...) records one)")
    return runs


def budget_table(histories: Sequence[dict]) -> Table:
    """One row per budgeted run: minutes, seed, steps, images, wall time, the share spent training, accuracies."""
    rows = []
    for h in sorted(_budgeted(histories), key=lambda h: (h.config["budget"]["minutes"], h.config["seed"])):
        plan, last = h.config["budget"], h.epochs[-1]
        full, rest = divmod(last["steps"], plan["steps_per_epoch"])  # an epoch's last batch may be short
        images = full * plan["train_images"] + min(rest * plan["batch_size"], plan["train_images"])
        rows.append((f"{plan['minutes']:g}", f"{h.config['seed']}", f"{last['steps']:,}", f"{images:,}",
                     f"{h.provenance['wall_seconds'] / 60:.1f}", f"{h.training_share:.0%}",
                     f"{last['val_acc']:.2%}" if "val_acc" in last else "n/a", f"{h.final_test_acc:.2%}"))
    return Table(("minutes", "seed", "steps", "images", "wall min", "training", "val acc", "test acc"), tuple(rows),
                 numeric=(0, 1, 2, 3, 4, 5, 6, 7))

"""Figures the chapters show: sliding windows, where parameters and compute live, training curves."""

from __future__ import annotations

from typing import Optional, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .activations import activation, derivative
from .experiments import best_runs
from .model import AlexNetConfig
from .pooling import pool_coverage
from .shapes import LayerTable, conv_arithmetic
from .towers import GROUPED, weighted_layers

PAD_COLOUR = "#d9d9d9"
INPUT_COLOUR = "#c6dbef"
UNUSED_COLOUR = "#e6550d"
WINDOW_COLOURS = ("#08519c", "#3182bd", "#6baed6", "#31a354")


def _finish(fig: Figure, title: str = "") -> Figure:
    """The common last step of a figure: an optional overall title, then a tight layout."""
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_windows(size: int, kernel: int, stride: int = 1, padding: int = 0, ax: Optional[Axes] = None,
                 title: Optional[str] = None, max_windows: int = 60) -> Figure:
    """Draw one row of a padded input and every window that slides over it, with the unused edge in orange."""
    arith = conv_arithmetic(size, kernel, stride, padding)  # validates, and raises a clear ValueError
    padded = size + 2 * padding
    fig = ax.figure if ax is not None else plt.figure(figsize=(9, 2.6), dpi=90)
    ax = ax if ax is not None else fig.add_subplot()
    for i in range(padded):
        real = padding <= i < padding + size
        unused = i >= padded - arith.remainder
        colour = UNUSED_COLOUR if unused else (INPUT_COLOUR if real else PAD_COLOUR)
        ax.add_patch(Rectangle((i, 0), 1, 1, facecolor=colour, edgecolor="white", linewidth=0.5 if padded < 80 else 0))
    # Stack windows in a few lanes so that overlapping windows stay distinguishable.
    lanes = min(4, max(1, -(-kernel // stride)))
    shown = min(arith.output, max_windows)
    for j in range(shown):
        start = j * stride
        lane = j % lanes
        ax.add_patch(Rectangle((start + 0.1, 1.3 + 0.55 * lane), kernel - 0.2, 0.4,
                               facecolor=WINDOW_COLOURS[lane % len(WINDOW_COLOURS)], alpha=0.85))
    ax.set_xlim(-0.5, padded + 0.5)
    ax.set_ylim(-0.2, 1.5 + 0.55 * lanes)
    ax.set_yticks([])
    ax.set_xlabel("position along one side of the padded input")
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    verdict = "exact" if arith.exact else f"{arith.remainder} left over"
    more = f" (first {shown} drawn)" if shown < arith.output else ""
    ax.set_title(title or f"W={size}, K={kernel}, S={stride}, P={padding} → {arith.output} windows{more} · {verdict}",
                 fontsize=10)
    handles = [Rectangle((0, 0), 1, 1, facecolor=c) for c in (INPUT_COLOUR, PAD_COLOUR, UNUSED_COLOUR)]
    ax.legend(handles, ["input", "padding", "never covered"], loc="upper right", fontsize=8, ncol=3,
              frameon=False, bbox_to_anchor=(1, -0.35))
    fig.tight_layout()
    return fig


def _kind(layer_type: str) -> Optional[str]:
    """'conv' or 'fc' for the layers that hold parameters and do multiply-accumulates."""
    return {"Conv2d": "conv", "Linear": "fc"}.get(layer_type)


def plot_params_macs(table: LayerTable, title: str = "") -> Figure:
    """Two bar charts, parameters and multiply-accumulates per layer, convolutions and FC layers coloured apart."""
    rows = [r for r in table if _kind(r.type)]
    if not rows:
        raise ValueError("the table has no Conv2d or Linear layers to chart; pass layer_table(model, shape) "
                         "of a model that has some")
    names = [r.name for r in rows]
    colours = ["#3182bd" if _kind(r.type) == "conv" else "#e6550d" for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4), dpi=90)
    for ax, values, label, total in ((left, [r.params / 1e6 for r in rows], "parameters (millions)",
                                      table.total_params),
                                     (right, [r.macs / 1e6 for r in rows], "multiply-accumulates per image (millions)",
                                      table.total_macs)):
        ax.bar(range(len(rows)), values, color=colours)
        ax.set_xticks(range(len(rows)), names, rotation=45, ha="right", fontsize=8)
        ax.set_ylabel(label, fontsize=9)
        ax.set_title(f"total {total / 1e6:,.1f} M", fontsize=10)
    handles = [Rectangle((0, 0), 1, 1, facecolor=c) for c in ("#3182bd", "#e6550d")]
    left.legend(handles, ["convolution", "fully connected"], fontsize=8, frameon=False)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def plot_curves(histories: Sequence[tuple[str, dict]], key: str = "test_acc", x: str = "epoch",
                ax: Optional[Axes] = None) -> Figure:
    """One line per (label, history dict) of `key` against `x` ('epoch' or 'seconds')."""
    fig = ax.figure if ax is not None else plt.figure(figsize=(6, 3.5), dpi=90)
    ax = ax if ax is not None else fig.add_subplot()
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
    ax.set_xlabel("minutes of training" if x == "seconds" else "epoch")
    ax.set_ylabel(key.replace("_", " "))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- chapter: ReLU versus tanh

ACTIVATION_COLOURS = {"relu": "#d62728", "tanh": "#1f77b4", "sigmoid": "#2ca02c"}


def plot_activations(names: Sequence[str] = ("relu", "tanh", "sigmoid"), lo: float = -5.0, hi: float = 5.0
                     ) -> Figure:
    """Two panels: each activation and its derivative on [lo, hi]."""


    if not lo < hi:
        raise ValueError(f"lo={lo} must be smaller than hi={hi}")
    x = torch.linspace(lo, hi, 401)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2), dpi=90)
    for name in names:
        colour = ACTIVATION_COLOURS.get(name)
        left.plot(x, activation(name)(x), label=name, color=colour)
        right.plot(x, derivative(name)(x), label=name, color=colour)
    for ax, title in ((left, "f(x)"), (right, "f'(x)")):
        ax.axhline(0, color="grey", lw=0.6)
        ax.axvline(0, color="grey", lw=0.6)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("x")
        ax.grid(alpha=0.3)
    left.set_ylim(-1.5, 3)
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_gradient_norms(profiles: dict, ax: Optional[Axes] = None, title: str = "",
                        highlight: Optional[str] = None) -> Figure:
    """Gradient norm per layer (log scale) for each {activation: norms}; `highlight` draws one bold, the rest faint."""
    if not profiles:
        raise ValueError("profiles is empty: pass {activation name: gradient_norms(...)}")
    fig = ax.figure if ax is not None else plt.figure(figsize=(6, 3.4), dpi=90)
    ax = ax if ax is not None else fig.add_subplot()
    for name, norms in profiles.items():
        faint = highlight is not None and name != highlight
        # A zero norm cannot be drawn on a log axis; clip it to the float32 floor so the line stays visible.
        ax.semilogy(range(1, len(norms) + 1), [max(v, 1e-38) for v in norms], marker="o", markersize=3,
                    label=name, color=ACTIVATION_COLOURS.get(name), alpha=0.3 if faint else 1.0,
                    lw=1 if faint else 2)
    ax.set_xlabel("layer (1 = next to the input)")
    ax.set_ylabel("gradient norm")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_relu_tanh(record: dict, x: str = "epoch") -> Figure:
    """Figure 1 redone: running training error of the best ReLU and tanh runs against epochs or seconds."""

    if x not in ("epoch", "seconds"):
        raise ValueError(f"x={x!r} must be 'epoch' or 'seconds'")
    fig, ax = plt.subplots(figsize=(6.5, 3.6), dpi=90)
    styles = {"relu": "-", "tanh": "--"}
    for act, run in best_runs(record).items():
        pts = [p for p in run["curve"] if p["train_error"] is not None]
        ax.plot([p[x] for p in pts], [p["train_error"] for p in pts], styles[act], color=ACTIVATION_COLOURS[act],
                label=f"{act} (lr {run['lr']:g})")
    for t in record["settings"]["thresholds"]:
        ax.axhline(t, color="grey", lw=0.7, ls=":")
        ax.text(ax.get_xlim()[1], t, f" {t:.0%}", va="center", fontsize=8, color="grey")
    ax.set_xlabel("epochs" if x == "epoch" else "training seconds")
    ax.set_ylabel("training error (running)")
    ax.set_ylim(0, 0.5)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- chapter: dropout


def plot_dropout(record: dict) -> Figure:
    """Two panels: train and test accuracy per epoch for each p; running training loss per iteration (log)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), dpi=90)
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
    for colour, run in zip(colours, record["runs"]):
        epochs = run["epochs"]
        e = [r["epoch"] for r in epochs]
        left.plot(e, [r["train_acc"] for r in epochs], "-", color=colour, label=f"p={run['p']:g} train")
        left.plot(e, [r["test_acc"] for r in epochs], "--", color=colour, label=f"p={run['p']:g} test")
        right.semilogy([r["step"] for r in epochs], [r["train_loss_running"] for r in epochs], color=colour,
                       label=f"p={run['p']:g}")
    threshold = record["settings"].get("loss_threshold")
    if threshold:
        right.axhline(threshold, color="grey", ls=":", lw=0.8)
    left.set_xlabel("epoch")
    left.set_ylabel("accuracy")
    right.set_xlabel("iterations (SGD steps)")
    right.set_ylabel("training loss (dropout active)")
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_dropout_mask(before: "object", after: "object", title: str = "") -> Figure:
    """Two heat maps of the same activations, before and after dropout (dropped units show as 0)."""
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.2), dpi=90)
    vmax = float(max(before.max(), after.max()))
    for ax, values, label in ((axes[0], before, "before dropout"), (axes[1], after, "after dropout")):
        ax.imshow(values, cmap="viridis", vmin=0, vmax=vmax)
        ax.set_title(label, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    return _finish(fig, title)


# ----------------------------------------------------------------------------- chapter: local response normalisation


def plot_lrn_profile(before: Sequence[float], after: Sequence[float], k: float = 2.0, beta: float = 0.75,
                     ax: Optional[Axes] = None, title: str = "") -> Figure:
    """Bars of one pixel's activations across channels before and after LRN, with the constant-k-only level."""
    if len(before) != len(after) or len(before) == 0:
        raise ValueError(f"before and after must be non-empty and of equal length, got {len(before)} and {len(after)}")
    fig = ax.figure if ax is not None else plt.figure(figsize=(8, 3.0), dpi=90)
    ax = ax if ax is not None else fig.add_subplot()
    channels = range(len(before))
    ax.bar([c - 0.2 for c in channels], before, width=0.4, color="#bdbdbd", label="before LRN (a)")
    ax.bar([c + 0.2 for c in channels], after, width=0.4, color="#3182bd", label="after LRN (b)")
    # With no neighbours' activity the divisor is k**beta; the gap to this line is the inhibition.
    ax.scatter([c + 0.2 for c in channels], [v / k ** beta for v in before], marker="_", s=120, color="#e6550d",
               zorder=3, label="a / k^β (divisor without any activity)")
    ax.set_xticks(list(channels))
    ax.set_xlabel("channel")
    ax.set_ylabel("activation")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8, frameon=False)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_lrn_maps(image: "object", before: "object", after: "object", channels: Sequence[int],
                  title: str = "", after_label: str = "after") -> Figure:
    """The input image, then for each chosen channel its activation map before LRN (top) and after (bottom)."""
    if len(channels) == 0:
        raise ValueError("channels must name at least one channel to show")

    # numpy copies: matplotlib's implicit tensor conversion is deprecated
    image, before, after = (np.asarray(v.detach().cpu() if hasattr(v, "detach") else v) for v in (image, before, after))
    cols = len(channels) + 1
    fig, axes = plt.subplots(2, cols, figsize=(1.7 * cols, 3.6), dpi=90)
    axes[0][0].imshow(image, cmap="gray")
    axes[0][0].set_title("input", fontsize=9)
    axes[1][0].axis("off")
    for col, ch in enumerate(channels, start=1):
        # One colour scale per channel, shared by before and after, so the shrinkage is visible.
        vmax = float(max(before[ch].max(), 1e-12))
        for row, values, label in ((0, before[ch], "before"), (1, after[ch], after_label)):
            axes[row][col].imshow(values, cmap="viridis", vmin=0, vmax=vmax)
            axes[row][col].set_title(f"ch {ch} {label}", fontsize=9)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    return _finish(fig, title)


def plot_ablation(record: dict, ax: Optional[Axes] = None, title: str = "") -> Figure:
    """Test accuracy of each variant, one dot per seed joined across variants (pairs share a seed), means as bars."""
    labels = list(record["settings"]["variants"])
    seeds = record["settings"]["seeds"]
    acc = {(r["variant"], r["seed"]): r["test_acc"] for r in record["runs"]}
    fig = ax.figure if ax is not None else plt.figure(figsize=(5.5, 3.4), dpi=90)
    ax = ax if ax is not None else fig.add_subplot()
    for i, label in enumerate(labels):
        values = [acc[(label, s)] for s in seeds]
        ax.bar(i, sum(values) / len(values), width=0.5, color=WINDOW_COLOURS[i % len(WINDOW_COLOURS)], alpha=0.35)
    for s in seeds:
        ax.plot(range(len(labels)), [acc[(label, s)] for label in labels], "o-", color="#636363", lw=0.8, ms=4)
    values = [acc[key] for key in acc]
    spread = max(values) - min(values)
    ax.set_ylim(max(0.0, min(values) - max(spread, 0.01)), min(1.0, max(values) + max(spread, 0.01)))
    ax.set_xticks(range(len(labels)), labels, fontsize=9)
    ax.set_ylabel("test accuracy")
    ax.grid(alpha=0.3, axis="y")
    ax.set_title(title or f"{len(seeds)} seed(s); lines join runs that share a seed", fontsize=10)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- chapter: overlapping pooling


def plot_pool_coverage(size: int, window: int, stride: int, ax: Optional[Axes] = None,
                       title: Optional[str] = None) -> Figure:
    """Pooling windows sliding over one row, each input cell labelled with how many windows read it."""

    counts = pool_coverage(size, window, stride)  # validates with a clear ValueError
    fig = plot_windows(size, window, stride, 0, ax=ax, title=title or
                       f"pooling z={window}, s={stride} on W={size}: {sum(c > 0 for c in counts)} of {size} "
                       f"inputs read, {sum(c > 1 for c in counts)} by two or more windows")
    ax = fig.axes[0]
    for i, c in enumerate(counts):
        ax.text(i + 0.5, 0.5, str(c), ha="center", va="center", fontsize=8 if size <= 40 else 5,
                color="black" if c else "white")
    return fig


def plot_pool_grids(size: int = 9, settings: Sequence[tuple[int, int]] = ((3, 2), (2, 2))) -> Figure:
    """For each (window, stride): a 2-D grid of how many pooling windows read each input pixel."""

    fig, axes = plt.subplots(1, len(settings), figsize=(3.2 * len(settings), 3.2), dpi=90, squeeze=False)
    for ax, (z, s) in zip(axes[0], settings):
        row = pool_coverage(size, z, s)
        grid = [[a * b for b in row] for a in row]
        ax.imshow(grid, cmap="Blues", vmin=0, vmax=4)
        for i in range(size):
            for j in range(size):
                ax.text(j, i, str(grid[i][j]), ha="center", va="center", fontsize=8,
                        color="white" if grid[i][j] >= 3 else "black")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"z={z}, s={s}: {sum(1 for r in grid for v in r if v > 1)} pixels read twice or more",
                     fontsize=9)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- chapter: the whole network


def plot_params_macs_compare(tables: "dict", title: str = "") -> Figure:
    """Parameters and MACs per layer (conv1..5, FC1..3) of several networks as grouped bars, one colour each."""
    per_net = weighted_layers(tables)
    n_layers = len(next(iter(per_net.values())))
    first = next(iter(per_net.values()))
    n_conv = sum(_kind(r.type) == "conv" for r in first)
    labels = [f"conv{i + 1}" if i < n_conv else f"FC{i - n_conv + 1}" for i in range(n_layers)]
    colours = ["#3182bd", "#e6550d", "#31a354", "#756bb1"]
    width = 0.8 / len(per_net)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4), dpi=90)
    for j, (name, rows) in enumerate(per_net.items()):
        xs = [i - 0.4 + width * (j + 0.5) for i in range(n_layers)]
        total = tables[name]
        left.bar(xs, [r.params / 1e6 for r in rows], width=width, color=colours[j % len(colours)],
                 label=f"{name} ({total.total_params / 1e6:.1f} M)")
        right.bar(xs, [r.macs / 1e6 for r in rows], width=width, color=colours[j % len(colours)],
                  label=f"{name} ({total.total_macs / 1e6:.0f} M)")
    for ax, label in ((left, "parameters (millions)"), (right, "multiply-accumulates per image (millions)")):
        ax.set_xticks(range(n_layers), labels, fontsize=8)
        ax.set_ylabel(label, fontsize=9)
        ax.grid(alpha=0.3, axis="y")
        ax.legend(fontsize=8, frameon=False)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def plot_towers(config: "object" = None) -> Figure:
    """The paper's two-GPU network as two towers of boxes; red arrows mark the layers that read both GPUs."""

    c = AlexNetConfig(groups=2) if config is None else config
    if not isinstance(c, AlexNetConfig) or c.groups != 2:
        raise ValueError("config must be an AlexNetConfig with groups=2 (the two-GPU split); "
                         "leave it out for the paper's network")
    sizes = c.feature_sizes
    side = (sizes[0], sizes[2], sizes[4], sizes[5], sizes[6])
    columns = [f"conv{i + 1}\n{side[i]}×{side[i]}" for i in range(5)] + ["FC1", "FC2", "FC3"]
    halves = [ch // 2 for ch in c.channels] + [c.hidden // 2, c.hidden // 2]
    # A layer reads the other GPU when it is not grouped: conv1 reads the whole image on both GPUs,
    # conv3 and every fully connected layer read both halves of the layer below.
    crosses = [i not in GROUPED and i > 0 for i in range(5)] + [True, True, True]
    fig, ax = plt.subplots(figsize=(10, 3.3), dpi=90)
    box_w, box_h, ys = 0.62, 0.5, (1.3, 0.0)
    ax.add_patch(Rectangle((-box_w / 2, ys[1]), box_w, ys[0] + box_h - ys[1], facecolor="#f0f0f0",
                           edgecolor="black"))
    ax.text(0, (ys[0] + ys[1] + box_h) / 2, f"image\n{c.in_channels}×{c.input_size}\n×{c.input_size}",
            ha="center", va="center", fontsize=8)
    n = len(columns)
    for i in range(n):
        x = i + 1
        ax.text(x, ys[0] + box_h + 0.12, columns[i], ha="center", va="bottom", fontsize=8)
        last = i == n - 1
        for gpu, y in enumerate(ys):
            if last:  # the 1000-way output: drawn once, fed by both GPUs
                if gpu == 0:
                    ax.add_patch(Rectangle((x - box_w / 2, ys[1]), box_w, ys[0] + box_h - ys[1],
                                           facecolor="#fdd0a2", edgecolor="black"))
                    ax.text(x, (ys[0] + ys[1] + box_h) / 2, f"{c.num_classes}\nclasses", ha="center",
                            va="center", fontsize=8)
            else:
                colour = "#c6dbef" if i < 5 else "#fdd0a2"
                ax.add_patch(Rectangle((x - box_w / 2, y), box_w, box_h, facecolor=colour, edgecolor="black"))
                ax.text(x, y + box_h / 2, str(halves[i]), ha="center", va="center", fontsize=9)
        for gpu, y in enumerate(ys):
            src_y = y + box_h / 2
            if i == 0:  # from the shared image box
                ax.annotate("", (x - box_w / 2, src_y), (box_w / 2, src_y),
                            arrowprops=dict(arrowstyle="->", color="black", lw=1))
                continue
            dst_y = (ys[0] + ys[1] + box_h) / 2 if last else src_y
            ax.annotate("", (x - box_w / 2, dst_y), (x - 1 + box_w / 2, src_y),
                        arrowprops=dict(arrowstyle="->", color="black", lw=1))
            if crosses[i] and not last:
                other = ys[1 - gpu] + box_h / 2
                ax.annotate("", (x - box_w / 2, src_y), (x - 1 + box_w / 2, other),
                            arrowprops=dict(arrowstyle="->", color="#d62728", lw=1.2))
    for gpu, y in enumerate(ys):
        ax.text(-0.5, y + box_h / 2, f"GPU {gpu + 1}", ha="right", va="center", fontsize=9, fontweight="bold")
    ax.set_xlim(-1.2, n + 0.6)
    ax.set_ylim(-0.2, ys[0] + box_h + 0.55)
    ax.axis("off")
    ax.set_title("Numbers are channels (or neurons) per GPU; red arrows cross between the GPUs", fontsize=10)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- chapter: training


def plot_confusion(confusion: "object", classes: Sequence[str], title: str = "") -> Figure:
    """The confusion matrix as a heat map, rows normalised to the share of each true class."""

    c = torch.as_tensor(confusion, dtype=torch.float64)
    if c.dim() != 2 or c.shape[0] != c.shape[1] or c.shape[0] != len(classes):
        raise ValueError(f"confusion must be a square matrix with one row per class ({len(classes)}); "
                         f"got shape {tuple(c.shape)}")
    share = c / c.sum(1, keepdim=True).clamp_min(1)
    fig, ax = plt.subplots(figsize=(6.4, 5.4), dpi=80)
    im = ax.imshow(share.numpy(), cmap="Blues", vmin=0, vmax=1)
    for i in range(len(classes)):
        for j in range(len(classes)):
            if c[i, j] > 0:
                ax.text(j, i, f"{int(c[i, j])}", ha="center", va="center", fontsize=7,
                        color="white" if share[i, j] > 0.5 else "black")
    ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(classes)), classes, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.colorbar(im, ax=ax, fraction=0.046, label="share of the true class")
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_image_grid(images: "object", titles: Sequence[str], columns: int = 8, size: float = 1.2,
                    title: str = "") -> Figure:
    """Small grey images (N, H, W) in a grid, each with a short caption."""
    if len(images) != len(titles) or len(images) == 0:
        raise ValueError(f"give one title per image and at least one image; got {len(images)} images and "
                         f"{len(titles)} titles")
    rows = -(-len(images) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(columns * size, rows * (size + 0.35)), dpi=80, squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, caption in zip(axes.flat, images, titles):
        ax.imshow(image, cmap="gray_r")  # dark garments on white read better than the raw white-on-black
        ax.set_title(caption, fontsize=7)
    return _finish(fig, title)


def plot_filters(weight: "object", columns: int = 16, title: str = "") -> Figure:
    """First-layer kernels (out, in, k, k) as a grid, each scaled to its own range (the paper's Figure 3)."""

    w = torch.as_tensor(weight, dtype=torch.float32)
    if w.dim() != 4:
        raise ValueError(f"weight must be a conv weight of shape (out, in, k, k); got {tuple(w.shape)}")
    w = w.mean(1)  # one grey picture per kernel (Fashion-MNIST has one channel anyway)
    lo = w.flatten(1).min(1).values[:, None, None]
    hi = w.flatten(1).max(1).values[:, None, None]
    w = (w - lo) / (hi - lo).clamp_min(1e-12)
    rows = -(-len(w) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 0.55, rows * 0.55), dpi=80, squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, kernel in zip(axes.flat, w):
        ax.imshow(kernel.numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout(pad=0.2)
    return fig


def plot_neighbours(queries: "object", neighbours: "object", title: str = "") -> Figure:
    """Each query image (first column) followed by its nearest neighbours (the paper's Figure 4, right)."""
    if len(queries) != len(neighbours) or len(queries) == 0:
        raise ValueError("give one row of neighbour images per query image, and at least one query")
    cols = 1 + len(neighbours[0])
    fig, axes = plt.subplots(len(queries), cols, figsize=(cols * 0.95, len(queries) * 0.95), dpi=80, squeeze=False)
    for r, (query, row) in enumerate(zip(queries, neighbours)):
        for c, image in enumerate([query, *row]):
            ax = axes[r, c]
            ax.imshow(image, cmap="gray_r")
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                for side in ax.spines.values():
                    side.set_color("#e6550d")
                    side.set_linewidth(2)
    axes[0, 0].set_title("test image", fontsize=8)
    axes[0, 1].set_title("nearest training images →", fontsize=8, loc="left")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout(pad=0.3)
    return fig

"""Figures of the chapters' ideas: sliding windows, where parameters and compute live, activations, LRN, pooling,
the two towers, and what a trained network sees. Figures of recorded training runs live in `run_plots`.

Nothing here imports the training engine, the data or the experiments: the explorers draw with these.
"""

from __future__ import annotations

from typing import Optional, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..net.activations import activation, derivative
from ..net.layers import PAPER_LRN
from ..net.model import AlexNetConfig
from ..net.shapes import LayerTable, conv_arithmetic
from ..toolkits.architecture import weighted_layers
from ..toolkits.pooling import pool_coverage
from ._figures import DPI, as_numpy, axes_for, colour_key, finish, no_ticks, style

PAD_COLOUR = "#d9d9d9"
INPUT_COLOUR = "#c6dbef"
UNUSED_COLOUR = "#e6550d"
WINDOW_COLOURS = ("#08519c", "#3182bd", "#6baed6", "#31a354")
CONV_COLOUR, FC_COLOUR, CROSS_COLOUR = "#3182bd", "#e6550d", "#d62728"
ACTIVATION_COLOURS = {"relu": "#d62728", "tanh": "#1f77b4", "sigmoid": "#2ca02c"}


def _kind(layer_type: str) -> Optional[str]:
    """'conv' or 'fc' for the layers that hold parameters and do multiply-accumulates."""
    return {"Conv2d": "conv", "Linear": "fc"}.get(layer_type)


# ----------------------------------------------------------------------------- chapter: output size


def plot_windows(size: int, kernel: int, stride: int = 1, padding: int = 0, ax: Optional[Axes] = None,
                 title: Optional[str] = None, max_windows: int = 60) -> Figure:
    """Draw one row of a padded input and every window that slides over it, with the unused edge in orange.

    Each cell is a patch with gid 'input', 'padding' or 'unused'; each window one with gid 'window'.
    """
    arith = conv_arithmetic(size, kernel, stride, padding)  # validates, and raises a clear ValueError
    padded = size + 2 * padding
    fig, ax = axes_for(ax, (9, 2.6))
    for i in range(padded):
        kind = ("unused" if i >= padded - arith.remainder else
                "input" if padding <= i < padding + size else "padding")
        colour = {"unused": UNUSED_COLOUR, "input": INPUT_COLOUR, "padding": PAD_COLOUR}[kind]
        ax.add_patch(Rectangle((i, 0), 1, 1, facecolor=colour, edgecolor="white", linewidth=0.5 if padded < 80 else 0,
                               gid=kind))
    # Stack windows in a few lanes so that overlapping windows stay distinguishable.
    lanes = min(4, max(1, -(-kernel // stride)))
    shown = min(arith.output, max_windows)
    for j in range(shown):
        lane = j % lanes
        ax.add_patch(Rectangle((j * stride + 0.1, 1.3 + 0.55 * lane), kernel - 0.2, 0.4, gid="window",
                               facecolor=WINDOW_COLOURS[lane % len(WINDOW_COLOURS)], alpha=0.85))
    ax.set_xlim(-0.5, padded + 0.5)
    ax.set_ylim(-0.2, 1.5 + 0.55 * lanes)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    verdict = "exact" if arith.exact else f"{arith.remainder} left over"
    more = f" (first {shown} drawn)" if shown < arith.output else ""
    style(ax, "position along one side of the padded input", grid=None,
          title=title or f"W={size}, K={kernel}, S={stride}, P={padding} → {arith.output} windows{more} · {verdict}")
    colour_key(ax, (INPUT_COLOUR, PAD_COLOUR, UNUSED_COLOUR), ["input", "padding", "never covered"],
               loc="upper right", ncol=3, bbox_to_anchor=(1, -0.35))
    return finish(fig)


def _grouped_bars(axes: Sequence[Axes], series: dict[str, Sequence], labels: Sequence[str],
                  colours: Sequence[str], legend: dict[str, Sequence[str]]) -> None:
    """Parameters (left) and MACs (right) per layer, one bar group per layer and one bar per series."""
    width = 0.8 / len(series)
    for j, (name, rows) in enumerate(series.items()):
        xs = [i - 0.4 + width * (j + 0.5) for i in range(len(labels))]
        colour = colours[j % len(colours)] if len(series) > 1 else [CONV_COLOUR if _kind(r.type) == "conv" else
                                                                     FC_COLOUR for r in rows]
        for ax, field, label in zip(axes, ("params", "macs"), legend.get(name, ("", ""))):
            ax.bar(xs, [getattr(r, field) / 1e6 for r in rows], width=width, color=colour, label=label or None)
    for ax, label in zip(axes, ("parameters (millions)", "multiply-accumulates per image (millions)")):
        ax.set_xticks(range(len(labels)), labels, fontsize=8, **({"rotation": 45, "ha": "right"}
                                                                  if len(series) == 1 else {}))
        ax.set_ylabel(label, fontsize=9)


def plot_params_macs(table: LayerTable, title: str = "") -> Figure:
    """Two bar charts, parameters and multiply-accumulates per layer, convolutions and FC layers coloured apart."""
    if not isinstance(table, LayerTable):
        raise ValueError(f"table must be a LayerTable from shapes.layer_table, got {type(table).__name__}")
    rows = [r for r in table if _kind(r.type)]
    if not rows:
        raise ValueError("the table has no Conv2d or Linear layers to chart; pass layer_table(model, shape) "
                         "of a model that has some")
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4), dpi=DPI)
    _grouped_bars((left, right), {"net": rows}, [r.name for r in rows], (), {})
    left.set_title(f"total {table.total_params / 1e6:,.1f} M", fontsize=10)
    right.set_title(f"total {table.total_macs / 1e6:,.1f} M", fontsize=10)
    colour_key(left, (CONV_COLOUR, FC_COLOUR), ["convolution", "fully connected"])
    return finish(fig, title)


# ----------------------------------------------------------------------------- chapter: ReLU versus tanh


def plot_activations(names: Sequence[str] = ("relu", "tanh", "sigmoid"), lo: float = -5.0, hi: float = 5.0
                     ) -> Figure:
    """Two panels: each activation and its derivative on [lo, hi]; each curve's label is its activation's name."""
    if not lo < hi:
        raise ValueError(f"lo={lo} must be smaller than hi={hi}")
    x = torch.linspace(lo, hi, 401)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2), dpi=DPI)
    for name in names:
        colour = ACTIVATION_COLOURS.get(name)
        left.plot(x.numpy(), activation(name)(x).numpy(), label=name, color=colour)
        right.plot(x.numpy(), derivative(name)(x).numpy(), label=name, color=colour)
    for ax, title in ((left, "f(x)"), (right, "f'(x)")):
        ax.axhline(0, color="grey", lw=0.6)
        ax.axvline(0, color="grey", lw=0.6)
        style(ax, "x", title=title)
    left.set_ylim(-1.5, 3)
    right.legend(fontsize=8)
    return finish(fig)


def plot_gradient_norms(profiles: dict, ax: Optional[Axes] = None, title: str = "",
                        highlight: Optional[str] = None) -> Figure:
    """Gradient norm per layer (log scale) for each {activation: norms}; `highlight` draws one bold, the rest faint."""
    if not profiles:
        raise ValueError("profiles is empty: pass {activation name: gradient_norms(...)}")
    fig, ax = axes_for(ax, (6, 3.4))
    for name, norms in profiles.items():
        faint = highlight is not None and name != highlight
        # A zero norm cannot be drawn on a log axis; clip it to the float32 floor so the line stays visible.
        ax.semilogy(range(1, len(norms) + 1), [max(v, 1e-38) for v in norms], marker="o", markersize=3,
                    label=name, color=ACTIVATION_COLOURS.get(name), alpha=0.3 if faint else 1.0,
                    lw=1 if faint else 2)
    style(ax, "layer (1 = next to the input)", "gradient norm", title, legend=True)
    return finish(fig)


# ----------------------------------------------------------------------------- chapter: dropout


def plot_lrn_profile(before: Sequence[float], after: Sequence[float], k: float = PAPER_LRN.k,
                     beta: float = PAPER_LRN.beta,
                     ax: Optional[Axes] = None, title: str = "") -> Figure:
    """Bars of one pixel's activations across channels before and after LRN, with the constant-k-only level."""
    if len(before) != len(after) or len(before) == 0:
        raise ValueError(f"before and after must be non-empty and of equal length, got {len(before)} and {len(after)}")
    fig, ax = axes_for(ax, (8, 3.0))
    channels = range(len(before))
    ax.bar([c - 0.2 for c in channels], before, width=0.4, color="#bdbdbd", label="before LRN (a)")
    ax.bar([c + 0.2 for c in channels], after, width=0.4, color="#3182bd", label="after LRN (b)")
    # With no neighbours' activity the divisor is k**beta; the gap to this line is the inhibition.
    ax.scatter([c + 0.2 for c in channels], [v / k ** beta for v in before], marker="_", s=120, color="#e6550d",
               zorder=3, label="a / k^β (divisor without any activity)")
    ax.set_xticks(list(channels))
    style(ax, "channel", "activation", title, grid="y")
    ax.legend(fontsize=8, frameon=False)
    return finish(fig)


def plot_lrn_maps(image: "object", before: "object", after: "object", channels: Sequence[int],
                  title: str = "", after_label: str = "after") -> Figure:
    """The input image, then for each chosen channel its activation map before LRN (top) and after (bottom)."""
    if len(channels) == 0:
        raise ValueError("channels must name at least one channel to show")
    image, before, after = as_numpy(image), as_numpy(before), as_numpy(after)
    cols = len(channels) + 1
    fig, axes = plt.subplots(2, cols, figsize=(1.7 * cols, 3.6), dpi=DPI)
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
        no_ticks(ax)
    return finish(fig, title)


# ----------------------------------------------------------------------------- chapter: overlapping pooling


def plot_pool_coverage(size: int, window: int, stride: int, ax: Optional[Axes] = None,
                       title: Optional[str] = None) -> Figure:
    """Pooling windows sliding over one row, each input cell labelled with how many windows read it."""
    counts = pool_coverage(size, window, stride)  # validates with a clear ValueError
    fig = plot_windows(size, window, stride, 0, ax=ax, title=title or
                       f"pooling z={window}, s={stride} on W={size}: {sum(c > 0 for c in counts)} of {size} "
                       f"inputs read, {sum(c > 1 for c in counts)} by two or more windows")
    ax = ax if ax is not None else fig.axes[0]
    for i, c in enumerate(counts):
        ax.text(i + 0.5, 0.5, str(c), ha="center", va="center", fontsize=8 if size <= 40 else 5,
                color="black" if c else "white")
    return fig


def plot_pool_grids(size: int = 9, settings: Sequence[tuple[int, int]] = ((3, 2), (2, 2))) -> Figure:
    """For each (window, stride): a 2-D grid of how many pooling windows read each input pixel."""
    fig, axes = plt.subplots(1, len(settings), figsize=(3.2 * len(settings), 3.2), dpi=DPI, squeeze=False)
    for ax, (z, s) in zip(axes[0], settings):
        row = pool_coverage(size, z, s)
        grid = [[a * b for b in row] for a in row]
        ax.imshow(grid, cmap="Blues", vmin=0, vmax=4)
        for i in range(size):
            for j in range(size):
                ax.text(j, i, str(grid[i][j]), ha="center", va="center", fontsize=8,
                        color="white" if grid[i][j] >= 3 else "black")
        no_ticks(ax)
        ax.set_title(f"z={z}, s={s}: {sum(1 for r in grid for v in r if v > 1)} pixels read twice or more",
                     fontsize=9)
    return finish(fig)


# ----------------------------------------------------------------------------- chapter: the whole network


def plot_params_macs_compare(tables: "dict", title: str = "") -> Figure:
    """Parameters and MACs per layer (conv1..5, FC1..3) of several networks as grouped bars, one colour each."""
    per_net = weighted_layers(tables)
    first = next(iter(per_net.values()))
    n_conv = sum(_kind(r.type) == "conv" for r in first)
    labels = [f"conv{i + 1}" if i < n_conv else f"FC{i - n_conv + 1}" for i in range(len(first))]
    legend = {name: (f"{name} ({t.total_params / 1e6:.1f} M)", f"{name} ({t.total_macs / 1e6:.0f} M)")
              for name, t in tables.items()}
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4), dpi=DPI)
    # With one network, _grouped_bars colours by layer kind; give it a palette per network otherwise.
    _grouped_bars((left, right), per_net, labels, (CONV_COLOUR, FC_COLOUR, "#31a354", "#756bb1"), legend)
    for ax in (left, right):
        style(ax, grid="y")
        ax.legend(fontsize=8, frameon=False)
    return finish(fig, title)


def _box(ax: Axes, x: float, y: float, width: float, height: float, colour: str, text: str, gid: str,
         fontsize: int = 8) -> None:
    """A labelled box centred on x, from y up."""
    ax.add_patch(Rectangle((x - width / 2, y), width, height, facecolor=colour, edgecolor="black", gid=gid))
    ax.text(x, y + height / 2, text, ha="center", va="center", fontsize=fontsize, gid=gid)


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float], colour: str = "black") -> None:
    ax.annotate("", end, start, arrowprops=dict(arrowstyle="->", color=colour, lw=1.2 if colour != "black" else 1))


def plot_towers(config: "object" = None) -> Figure:
    """The paper's two-GPU network as two towers of boxes; red arrows mark the layers that read both GPUs.

    Geometry comes from `config.layers`: one column per convolution (its output size from `config.size_after`),
    and a convolution crosses between the GPUs when its spec is not grouped (`spec.groups == 1`). Boxes carry the
    gid 'conv', 'fc', 'image' or 'output'.
    """
    c = AlexNetConfig(groups=2) if config is None else config
    if not isinstance(c, AlexNetConfig) or c.groups != 2:
        raise ValueError("config must be an AlexNetConfig with groups=2 (the two-GPU split); "
                         "leave it out for the paper's network")
    convs = [spec for spec in c.layers if spec.kind == "conv"]
    columns = [(f"{s.name}\n{c.size_after(s.name)}×{c.size_after(s.name)}", s.out_channels // 2, "conv",
                # The first convolution reads the shared image; a later one reads the other GPU unless grouped.
                i > 0 and s.groups == 1) for i, s in enumerate(convs)]
    columns += [(f"FC{i}", c.hidden // 2, "fc", True) for i in (1, 2)]  # a dense layer reads both halves
    fig, ax = plt.subplots(figsize=(10, 3.3), dpi=DPI)
    box_w, box_h, ys = 0.62, 0.5, (1.3, 0.0)
    full_h, middle = ys[0] + box_h - ys[1], (ys[0] + ys[1] + box_h) / 2
    _box(ax, 0, ys[1], box_w, full_h, "#f0f0f0", f"image\n{c.in_channels}×{c.input_size}\n×{c.input_size}", "image")
    for x, (label, half, kind, crosses) in enumerate(columns, start=1):
        ax.text(x, ys[0] + box_h + 0.12, label, ha="center", va="bottom", fontsize=8)
        for gpu, y in enumerate(ys):
            _box(ax, x, y, box_w, box_h, INPUT_COLOUR if kind == "conv" else "#fdd0a2", str(half), kind, 9)
            _arrow(ax, (x - 1 + box_w / 2, y + box_h / 2), (x - box_w / 2, y + box_h / 2))  # from its own GPU
            if crosses:
                _arrow(ax, (x - 1 + box_w / 2, ys[1 - gpu] + box_h / 2), (x - box_w / 2, y + box_h / 2), CROSS_COLOUR)
    out = len(columns) + 1  # the output layer: drawn once, fed by both GPUs
    ax.text(out, ys[0] + box_h + 0.12, "FC3", ha="center", va="bottom", fontsize=8)
    _box(ax, out, ys[1], box_w, full_h, "#fdd0a2", f"{c.num_classes}\nclasses", "output")
    for gpu, y in enumerate(ys):
        _arrow(ax, (out - 1 + box_w / 2, y + box_h / 2), (out - box_w / 2, middle))
        ax.text(-0.5, y + box_h / 2, f"GPU {gpu + 1}", ha="right", va="center", fontsize=9, fontweight="bold")
    ax.set_xlim(-1.2, out + 0.6)
    ax.set_ylim(-0.2, ys[0] + box_h + 0.55)
    ax.axis("off")
    ax.set_title("Numbers are channels (or neurons) per GPU; red arrows cross between the GPUs", fontsize=10)
    return finish(fig)


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
    style(ax, "predicted", "true", title, grid=None)
    fig.colorbar(im, ax=ax, fraction=0.046, label="share of the true class")
    return finish(fig)


def _grid(rows: int, columns: int, cell: tuple[float, float]) -> tuple[Figure, np.ndarray]:
    """A rows × columns grid of blank image axes."""
    fig, axes = plt.subplots(rows, columns, figsize=(columns * cell[0], rows * cell[1]), dpi=80, squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    return fig, axes


def plot_image_grid(images: "object", titles: Sequence[str], columns: int = 8, size: float = 1.2,
                    title: str = "") -> Figure:
    """Small grey images (N, H, W) in a grid, each with a short caption."""
    if len(images) != len(titles) or len(images) == 0:
        raise ValueError(f"give one title per image and at least one image; got {len(images)} images and "
                         f"{len(titles)} titles")
    fig, axes = _grid(-(-len(images) // columns), columns, (size, size + 0.35))
    for ax, image, caption in zip(axes.flat, images, titles):
        ax.imshow(as_numpy(image), cmap="gray_r")  # dark garments on white read better than the raw white-on-black
        ax.set_title(caption, fontsize=7)
    return finish(fig, title)


def plot_filters(weight: "object", columns: int = 16, title: str = "") -> Figure:
    """First-layer kernels (out, in, k, k) as a grid, each scaled to its own range (the paper's Figure 3)."""
    w = torch.as_tensor(weight, dtype=torch.float32)
    if w.dim() != 4:
        raise ValueError(f"weight must be a conv weight of shape (out, in, k, k); got {tuple(w.shape)}")
    w = w.mean(1)  # one grey picture per kernel (Fashion-MNIST has one channel anyway)
    lo = w.flatten(1).min(1).values[:, None, None]
    hi = w.flatten(1).max(1).values[:, None, None]
    w = (w - lo) / (hi - lo).clamp_min(1e-12)
    fig, axes = _grid(-(-len(w) // columns), columns, (0.55, 0.55))
    for ax, kernel in zip(axes.flat, w):
        ax.imshow(kernel.numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    return finish(fig, title, pad=0.2)


def plot_neighbours(queries: "object", neighbours: "object", title: str = "") -> Figure:
    """Each query image (first column) followed by its nearest neighbours (the paper's Figure 4, right)."""
    if len(queries) != len(neighbours) or len(queries) == 0:
        raise ValueError("give one row of neighbour images per query image, and at least one query")
    cols = 1 + len(neighbours[0])
    fig, axes = plt.subplots(len(queries), cols, figsize=(cols * 0.95, len(queries) * 0.95), dpi=80, squeeze=False)
    for r, (query, row) in enumerate(zip(queries, neighbours)):
        for c, image in enumerate([query, *row]):
            ax = axes[r, c]
            ax.imshow(as_numpy(image), cmap="gray_r")
            no_ticks(ax)
            if c == 0:
                for side in ax.spines.values():
                    side.set_color(UNUSED_COLOUR)
                    side.set_linewidth(2)
    axes[0, 0].set_title("test image", fontsize=8)
    if cols > 1:
        axes[0, 1].set_title("nearest training images →", fontsize=8, loc="left")
    return finish(fig, title, pad=0.3)

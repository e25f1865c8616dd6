"""What every figure shares: its axes, its look, a colour key, and its last step. Used by `plots` and `run_plots`."""

from __future__ import annotations

from typing import Optional, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

DPI = 90


def axes_for(ax: Optional[Axes], figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """The axes to draw on: `ax` when the caller gives one, else the single axes of a new figure."""
    if ax is not None:
        return ax.figure, ax
    fig = plt.figure(figsize=figsize, dpi=DPI)
    return fig, fig.add_subplot()


def style(ax: Axes, xlabel: str = "", ylabel: str = "", title: str = "", grid: Optional[str] = "both",
          legend: bool = False) -> None:
    """Labels, a faint grid (`grid` names the axis, or None) and a small legend: the look every panel shares."""
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    if grid:
        ax.grid(alpha=0.3, axis=grid)
    if legend:
        ax.legend(fontsize=8)


def no_ticks(ax: Axes) -> None:
    """An image panel: no ticks on either axis."""
    ax.set_xticks([])
    ax.set_yticks([])


def colour_key(ax: Axes, colours: Sequence[str], labels: Sequence[str], **legend: object) -> None:
    """A legend of plain colour swatches."""
    handles = [Rectangle((0, 0), 1, 1, facecolor=c) for c in colours]
    ax.legend(handles, labels, fontsize=8, frameon=False, **legend)


def finish(fig: Figure, title: str = "", pad: Optional[float] = None) -> Figure:
    """The common last step of a figure: an optional overall title, then a tight layout."""
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout(**({} if pad is None else {"pad": pad}))
    return fig


def as_numpy(values: object) -> np.ndarray:
    """A numpy copy of a tensor or array (matplotlib's implicit tensor conversion is deprecated)."""
    return np.asarray(values.detach().cpu() if hasattr(values, "detach") else values)

"""LeNet-5 beside AlexNet, layer by layer: a static figure and an explorer for the "Before and after AlexNet" chapter.

`plot_lenet_alexnet` draws the parameters, multiply-adds or output values of every convolution and fully
connected layer of both networks on one logarithmic axis; `LeNetAlexNetExplorer` redraws it for the input
sizes its sliders choose. Built like the explorers of `alexnet_lib.book.explorers` (the same base class), so it works
headlessly in tests and with ipywidgets 7 and 8.
"""

from __future__ import annotations

import html
import math
from typing import Optional

import ipywidgets as w
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from .._checks import check_choice
from ..net.model import AlexNetConfig
from ..net.shapes import LayerRow, LayerTable, layer_table
from ..toolkits.lenet import alexnet_shapes, lenet5
from ._figures import DPI, colour_key, finish, style
from .explorers import Explorer, _int_slider
from .plots import CONV_COLOUR, FC_COLOUR

#: What the bars can show, and how to read it from a row of `shapes.layer_table`.
QUANTITIES = {
    "parameters": lambda row: row.params,
    "multiply-adds": lambda row: row.macs,
    "output values": lambda row: math.prod(row.output_shape),
}

#: The names the two papers give their weighted layers, in order.
LENET_NAMES = ("C1", "C3", "C5", "F6", "output")
ALEXNET_NAMES = ("conv1", "conv2", "conv3", "conv4", "conv5", "FC1", "FC2", "FC3")


def lenet_table(input_size: int = 32, c1_padding: int = 0) -> LayerTable:
    """`shapes.layer_table` of LeNet-5 built for a 1 x input_size x input_size image."""
    return layer_table(lenet5(input_size=input_size, c1_padding=c1_padding), (1, input_size, input_size))


def alexnet_table(input_size: int = 227) -> LayerTable:
    """`shapes.layer_table` of the paper's AlexNet (two-GPU groups) for a 3 x input_size x input_size image."""
    return alexnet_shapes(AlexNetConfig(groups=2, input_size=input_size))


def weighted_rows(table: LayerTable, names: tuple) -> list[tuple[str, LayerRow]]:
    """The Conv2d and Linear rows of a layer table, each under its paper name."""
    if not isinstance(table, LayerTable):
        raise ValueError(f"table must be a LayerTable from shapes.layer_table, got {type(table).__name__}")
    rows = [r for r in table if r.type in ("Conv2d", "Linear")]
    if len(rows) != len(names):
        raise ValueError(f"the table has {len(rows)} convolutions and linear layers, but {len(names)} names were "
                         f"given ({', '.join(names)})")
    return list(zip(names, rows))


def _short(value: int) -> str:
    """156, 48.1 k, 37.8 M, 1.6 G: a bar's label."""
    for scale, unit in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if value >= scale:
            return f"{value / scale:.3g}{unit}"
    return f"{value:,}"


def plot_lenet_alexnet(lenet: LayerTable, alexnet: LayerTable, quantity: str = "parameters",
                       title: str = "") -> Figure:
    """Two panels on one log axis: `quantity` for each weighted layer of LeNet-5 (left) and AlexNet (right).

    Each bar is labelled with its value and the layer's output shape; convolutions and fully connected layers
    are coloured apart. Bars carry the gid 'conv' or 'fc'.
    """
    read = QUANTITIES[check_choice("quantity", quantity, QUANTITIES)]
    panels = (("LeNet-5", weighted_rows(lenet, LENET_NAMES), lenet),
              ("AlexNet", weighted_rows(alexnet, ALEXNET_NAMES), alexnet))
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), dpi=DPI, sharex=True)
    values = [read(r) for _, rows, _ in panels for _, r in rows]
    for ax, (name, rows, table) in zip(axes, panels):
        labels = [f"{label}  {'×'.join(map(str, r.output_shape))}" for label, r in rows]
        for y, (_, r) in enumerate(rows):
            kind = "conv" if r.type == "Conv2d" else "fc"
            ax.barh(y, max(read(r), 1), color=CONV_COLOUR if kind == "conv" else FC_COLOUR, gid=kind)
            ax.text(max(read(r), 1) * 1.15, y, _short(read(r)), va="center", fontsize=8)
        ax.set_yticks(range(len(rows)), labels, fontsize=8)
        ax.invert_yaxis()  # the input end of the network at the top
        ax.set_xscale("log")
        total = sum(read(r) for _, r in rows)
        shape = "×".join(map(str, table.input_shape))
        style(ax, xlabel=f"{quantity} (log scale)", title=f"{name}, input {shape}: {total:,} in all", grid="x")
    # Room on the right for the largest bar's label, and a shared decade grid from 1 upwards.
    axes[0].set_xlim(0.8, max(values) * 12)
    # LeNet-5's bars are short, so the key fits in the lower right of its panel.
    colour_key(axes[0], (CONV_COLOUR, FC_COLOUR), ["convolution", "fully connected"], loc="lower right")
    return finish(fig, title)


class LeNetAlexNetExplorer(Explorer):
    """Sliders for LeNet-5's input size and C1 padding and for AlexNet's input size, and a dropdown choosing what
    the bars show; every weighted layer's output shape and count for both networks, or a red message.

    Controls are public (`lenet_size`, `c1_padding`, `alexnet_size`, `quantity`); after each change
    `lenet`, `alexnet` (the two layer tables), `ratios` (AlexNet's totals over LeNet-5's), `result` and
    `error` hold the current state.
    """

    def __init__(self, lenet_size: int = 32, c1_padding: int = 0, alexnet_size: int = 227,
                 quantity: str = "parameters", draw: bool = True) -> None:
        self.lenet_size = _int_slider("lenet_size", lenet_size, 16, 64, "LeNet-5 input", label_width="120px")
        self.c1_padding = _int_slider("c1_padding", c1_padding, 0, 8, "C1 padding", label_width="120px")
        self.alexnet_size = _int_slider("alexnet_size", alexnet_size, 48, 320, "AlexNet input", label_width="120px")
        self.quantity = w.Dropdown(options=list(QUANTITIES), value=check_choice("quantity", quantity, QUANTITIES),
                                   description="bars show", style={"description_width": "120px"})
        self.lenet: Optional[LayerTable] = None
        self.alexnet: Optional[LayerTable] = None
        self.ratios: dict[str, float] = {}
        controls = (self.lenet_size, self.c1_padding, self.alexnet_size, self.quantity)
        self._build(controls, controls, draw)

    def _compute(self) -> str:
        """Both layer tables for the current sizes; the library's ValueError names a layer that does not fit."""
        try:
            lenet = lenet_table(self.lenet_size.value, self.c1_padding.value)
        except ValueError as e:
            raise ValueError(f"LeNet-5: {e}") from None
        try:
            alexnet = alexnet_table(self.alexnet_size.value)
        except ValueError as e:
            raise ValueError(f"AlexNet: {e}") from None
        self.lenet, self.alexnet = lenet, alexnet
        self.ratios = {"parameters": alexnet.total_params / lenet.total_params,
                       "multiply-adds": alexnet.total_macs / lenet.total_macs}
        return (f"LeNet-5: {_fc_input(lenet)} values reach F6, {lenet.total_params:,} parameters, "
                f"{lenet.total_macs:,} multiply-adds; AlexNet: {_fc_input(alexnet)} reach FC1, "
                f"{alexnet.total_params:,} parameters, {alexnet.total_macs:,} multiply-adds; AlexNet has "
                f"{self.ratios['parameters']:,.0f}× the parameters and {self.ratios['multiply-adds']:,.0f}× the "
                f"multiply-adds")

    def _reset(self) -> None:
        self.lenet = self.alexnet = None
        self.ratios = {}

    def _message(self) -> str:
        return html.escape(self.result)

    def _figure(self) -> Figure:
        return plot_lenet_alexnet(self.lenet, self.alexnet, self.quantity.value)


def _fc_input(table: LayerTable) -> str:
    """The last feature map before the first fully connected layer (what gets flattened), as 'C×H×W'."""
    shape: tuple = ()
    for row in table:
        if row.type == "Linear":
            break
        if len(row.output_shape) == 3:
            shape = row.output_shape
    return "×".join(map(str, shape))


__all__ = ["QUANTITIES", "LENET_NAMES", "ALEXNET_NAMES", "lenet_table", "alexnet_table", "weighted_rows",
           "plot_lenet_alexnet", "LeNetAlexNetExplorer"]

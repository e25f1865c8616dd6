"""LeNet-5 beside AlexNet, layer by layer: the explorer of the "Before and after AlexNet" chapter.

`LeNetAlexNetExplorer` draws, in the reader's browser (`alexnet_lib.book.live`), the parameters, multiply-adds or
output values of every convolution and fully connected layer of both networks on one logarithmic axis, for the
input sizes its sliders choose; `reference` reads the same numbers from the layer tables of the real networks.
"""

from __future__ import annotations

from typing import Any

from ..net.model import AlexNetConfig, shape_only
from ..net.shapes import LayerRow, LayerTable, layer_specs, layer_table
from ..toolkits.lenet import alexnet_shapes, lenet5
from .live import Control, LiveExplorer

#: What the explorer's bars can show.
QUANTITIES = ("parameters", "multiply-adds", "output values")

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


class LeNetAlexNetExplorer(LiveExplorer):
    """Sliders for LeNet-5's input size and C1 padding and for AlexNet's input size, and a choice of what the
    bars show; every weighted layer's output shape and count for both networks, or a red message."""

    kind = "layers"
    controls = (Control("lenet_size", "LeNet-5 input", "int", 16, 64), Control("c1_padding", "C1 padding", "int", 0, 8),
                Control("alexnet_size", "AlexNet input", "int", 48, 320),
                Control("quantity", "bars show", "choice", options=QUANTITIES))

    def __init__(self, lenet_size: int = 32, c1_padding: int = 0, alexnet_size: int = 227,
                 quantity: str = "parameters") -> None:
        super().__init__(lenet_size=lenet_size, c1_padding=c1_padding, alexnet_size=alexnet_size, quantity=quantity)

    def data(self) -> dict[str, Any]:
        return {"lenet": named_specs(layer_specs(lenet5()), LENET_NAMES), "lenet_channels": 1,
                "alexnet": named_specs(layer_specs(shape_only(AlexNetConfig(groups=2))), ALEXNET_NAMES),
                "alexnet_channels": 3}

    def reference(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Both networks' weighted layers [name, output shape, parameters, multiply-adds] and totals."""
        try:
            lenet = lenet_table(settings["lenet_size"], settings["c1_padding"])
            alexnet = alexnet_table(settings["alexnet_size"])
        except ValueError as e:
            return {"error": str(e)}
        rows = {name: [[label, list(r.output_shape), r.params, r.macs] for label, r in weighted_rows(table, names)]
                for name, table, names in (("lenet", lenet, LENET_NAMES), ("alexnet", alexnet, ALEXNET_NAMES))}
        return {**rows, "lenet_params": lenet.total_params, "lenet_macs": lenet.total_macs,
                "alexnet_params": alexnet.total_params, "alexnet_macs": alexnet.total_macs}


def named_specs(specs: list[dict], names: tuple) -> list[dict]:
    """`specs` with the paper's name of each weighted layer as its label."""
    weighted = iter(names)
    return [{**s, "label": next(weighted)} if s["type"] in ("conv", "linear") else s for s in specs]


__all__ = ["QUANTITIES", "LENET_NAMES", "ALEXNET_NAMES", "lenet_table", "alexnet_table", "weighted_rows",
           "LeNetAlexNetExplorer", "named_specs"]

"""The whole-network chapter's explorer: AlexNet on one GPU or split over two, for any input size.

`TowersExplorer` shows, in the reader's browser (`alexnet_lib.book.live`), each layer's parameters (each GPU's
half) and the values one image sends between the GPUs, with totals; `reference` gives the same numbers from
`alexnet_lib.toolkits.architecture.gpu_traffic` and the layer tables of the real networks.
"""

from __future__ import annotations

from typing import Any

from ..net.model import AlexNetConfig, shape_only
from ..net.shapes import layer_specs
from ..toolkits.architecture import gpu_traffic
from ..toolkits.lenet import alexnet_shapes
from .history import ALEXNET_NAMES, named_specs
from .live import Control, LiveExplorer

#: The three ways the explorer can lay the network out.
SPLITS = ("one GPU", "two GPUs, the paper's groups", "two GPUs, no groups")


def _config(split: str, input_size: int) -> tuple[AlexNetConfig, int]:
    """The paper's AlexNet for `split` at `input_size`, and how many GPUs it is spread over."""
    groups = 2 if split == SPLITS[1] else 1
    return AlexNetConfig(groups=groups, input_size=input_size), 1 if split == SPLITS[0] else 2


class TowersExplorer(LiveExplorer):
    """Input size, the split over GPUs and the batch; parameters, multiply-adds and traffic between the GPUs."""

    kind = "towers"
    controls = (Control("input_size", "input size", "int", 64, 320),
                Control("split", "layout", "choice", options=SPLITS),
                Control("batch", "batch", "int", 1, 256))

    def __init__(self, input_size: int = 227, split: str = SPLITS[1], batch: int = 128) -> None:
        super().__init__(input_size=input_size, split=split, batch=batch)

    def data(self) -> dict[str, Any]:
        specs = {name: named_specs(layer_specs(shape_only(AlexNetConfig(groups=g))), ALEXNET_NAMES)
                 for name, g in (("plain", 1), ("grouped", 2))}
        return {**specs, "channels": 3, "splits": list(SPLITS)}

    def reference(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Total parameters and multiply-adds, the values crossing per image, and per layer [name, params, MACs,
        crossing]."""
        try:
            config, gpus = _config(settings["split"], settings["input_size"])
        except ValueError as e:
            return {"error": str(e)}
        table = alexnet_shapes(config)
        weighted = [r for r in table if r.type in ("Conv2d", "Linear")]
        traffic = [values for _, values in gpu_traffic(config, gpus)]
        return {"params": table.total_params, "macs": table.total_macs, "crossing": sum(traffic),
                "layers": [[name, r.params, r.macs, t] for name, r, t in zip(ALEXNET_NAMES, weighted, traffic)]}


__all__ = ["SPLITS", "TowersExplorer"]

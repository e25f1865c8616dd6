"""AlexNet with one convolution taken out: what it loses in parameters and multiply-adds (the paper's section 7).

Section 7 reports that removing any of the middle convolutional layers costs about 2 points of top-1 accuracy
(`paper_results.DEPTH_LOSS`); this module counts. Taking a convolution out is
more than subtracting its weights: the next layer now reads the maps of the layer before, so its input
channels change, and without conv5 the first fully connected layer reads conv4's 384 maps instead of 256.
The networks are built on PyTorch's meta device (shapes, no storage) and counted by `shapes.layer_table`,
so every count comes from a forward pass the network really runs; the depth experiment
(`alexnet_lib.experiments.depth`) builds the same networks with weights and trains them.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Optional, Sequence

import torch
from torch import nn

from .._checks import check_bool, check_choice
from ..net.layers import LocalResponseNorm
from ..net.model import AlexNet, AlexNetConfig, paper_config
from ..net.shapes import LayerTable, layer_table
from ..tables import Table

#: The convolutions that can be taken out: every one but conv1, which is what turns the image into maps.
REMOVABLE = ("conv2", "conv3", "conv4", "conv5")
#: The layers between the first and the last convolution: the paper's "middle layers", as read here.
MIDDLE = ("conv2", "conv3", "conv4")


def without_conv(name: str, config: Optional[AlexNetConfig] = None, meta: bool = True) -> nn.Sequential:
    """The AlexNet of `config` (the paper's two-GPU network by default) with convolution `name` removed.

    The convolution goes with its ReLU and, after conv2, its LRN; the pooling layers stay, so every map
    keeps its size (conv2 to conv5 pad to keep it). The next convolution is rebuilt to read the channels it
    now receives, with its own groups; without conv5, FC1 is rebuilt for conv4's maps. With `meta` it is
    built on the meta device, shapes but no weights, for counting with `shapes.layer_table`; without, it is a
    network to train (the depth experiment's).
    """
    c = paper_config(config)
    check_choice("name", name, REMOVABLE, hint=" (conv1 turns the image into maps; the others can go)")
    check_bool("meta", meta)
    with torch.device("meta") if meta else contextlib.nullcontext():
        net = AlexNet(c)
        layers = list(net.features)
        convs = [i for i, m in enumerate(layers) if isinstance(m, nn.Conv2d)]
        at = convs[int(name[-1]) - 1]
        end = at + 1  # the convolution's own ReLU and LRN go with it; a pooling layer stays
        while end < len(layers) and isinstance(layers[end], (nn.ReLU, LocalResponseNorm, nn.LocalResponseNorm)):
            end += 1
        channels = layers[convs[convs.index(at) - 1]].out_channels  # what the removed layer read
        kept = layers[:at] + layers[end:]
        classifier = list(net.classifier)
        following = next((m for m in layers[end:] if isinstance(m, nn.Conv2d)), None)
        if following is not None:
            new = nn.Conv2d(channels, following.out_channels, following.kernel_size, following.stride,
                            following.padding, groups=following.groups)
            kept[kept.index(following)] = new
        else:  # conv5 removed: FC1 reads conv4's maps
            fc1 = classifier[next(i for i, m in enumerate(classifier) if isinstance(m, nn.Linear))]
            side = c.avgpool if c.avgpool is not None else c.feature_size
            classifier[classifier.index(fc1)] = nn.Linear(channels * side * side, fc1.out_features)
        head = [net.avgpool] if net.avgpool is not None else []
        return nn.Sequential(*kept, *head, nn.Flatten(), *classifier)


def _table(model: nn.Module, c: AlexNetConfig) -> LayerTable:
    return layer_table(model, (c.in_channels, c.input_size, c.input_size))


@dataclass(frozen=True)
class Removal:
    """What taking one convolution out of AlexNet changes: the removed layer, what rewires, and the counts."""

    layer: str
    rewired: str
    parameters: int
    macs: int
    parameters_saved: int  # negative when the network grows
    macs_saved: int


def removal(name: str, config: Optional[AlexNetConfig] = None) -> Removal:
    """The counts of AlexNet without convolution `name`, and what it saves against the whole network."""
    c = paper_config(config)
    with torch.device("meta"):
        whole = _table(AlexNet(c), c)
    cut = _table(without_conv(name, c), c)
    i = REMOVABLE.index(name)
    spec = {s.name: s for s in c.layers}
    reads = spec[f"conv{i + 1}"].out_channels  # what the removed layer read: the maps of the one before
    if name == "conv5":
        side = c.avgpool if c.avgpool is not None else c.feature_size
        rewired = (f"FC1 reads {spec['conv4'].out_channels}×{side}×{side} values instead of "
                   f"{spec['conv5'].out_channels}×{side}×{side}")
    else:
        nxt, before = f"conv{i + 3}", f"conv{i + 1}"
        was = spec[nxt].in_channels
        rewired = (f"{nxt} reads {before}'s {reads} maps, as many as before" if reads == was else
                   f"{nxt} reads {before}'s {reads} maps instead of {was}")
    return Removal(name, rewired, cut.total_params, cut.total_macs, whole.total_params - cut.total_params,
                   whole.total_macs - cut.total_macs)


def removals(config: Optional[AlexNetConfig] = None) -> list[Removal]:
    """`removal` of every convolution that can be taken out, conv2 to conv5."""
    return [removal(name, config) for name in REMOVABLE]


def removal_table(config: Optional[AlexNetConfig] = None, layers: Sequence[str] = REMOVABLE) -> Table:
    """One row per removed convolution of `layers`: the parameters and multiply-adds left, the change, what rewires."""
    c = paper_config(config)
    if isinstance(layers, str) or not layers:
        raise ValueError(f"layers={layers!r} must be a non-empty list of convolutions, e.g. ['conv2', 'conv4']")
    for name in layers:
        check_choice("layers", name, REMOVABLE)
    with torch.device("meta"):
        whole = _table(AlexNet(c), c)
    rows = [("none", f"{whole.total_params:,}", "", f"{whole.total_macs:,}", "", "")]
    for r in (removal(name, c) for name in layers):
        rows.append((r.layer + (" (middle)" if r.layer in MIDDLE else ""), f"{r.parameters:,}",
                     f"{-r.parameters_saved:+,}", f"{r.macs:,}", f"{-r.macs_saved:+,}", r.rewired))
    return Table(("removed", "parameters", "change", "multiply-adds", "change", "what rewires"), tuple(rows),
                 numeric=(1, 2, 3, 4))


__all__ = ["REMOVABLE", "MIDDLE", "without_conv", "Removal", "removal", "removals", "removal_table"]

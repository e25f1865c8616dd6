"""Overlapping pooling, taken apart: which inputs each window sees, sizes and receptive fields through AlexNet."""

from __future__ import annotations

from dataclasses import dataclass

from .._checks import check_int
from ..net.model import AlexNetConfig
from ..net.shapes import pool_output_size
from ..tables import Table

#: The paper's overlapping pooling (z=3, s=2) and the traditional non-overlapping one (z=s=2).
OVERLAPPING = (3, 2)
NON_OVERLAPPING = (2, 2)


def pool_coverage(size: int, window: int, stride: int, ceil_mode: bool = False) -> list[int]:
    """How many pooling windows (no padding) read each of the `size` input positions along one side.

    With `ceil_mode` (PyTorch's), a last window that hangs over the edge is kept and reads what is there.
    """
    out = pool_output_size(size, window, stride, ceil_mode=ceil_mode)  # validates and raises a clear ValueError
    counts = [0] * size
    for j in range(out):
        for i in range(j * stride, min(size, j * stride + window)):
            counts[i] += 1
    return counts


def overlap(window: int, stride: int) -> int:
    """How many positions two neighbouring windows share: window - stride, or 0 when they do not touch."""
    check_int("window", window, 1)
    check_int("stride", stride, 1)
    return max(0, window - stride)


@dataclass(frozen=True)
class RFRow:
    """One layer of AlexNet's feature extractor: its output side, the jump between outputs, the receptive field."""

    name: str
    kernel: int
    stride: int
    padding: int
    output: int
    jump: int
    receptive_field: int


def receptive_fields(config: AlexNetConfig) -> list[RFRow]:
    """Output size, jump and receptive field (in input pixels) after each conv and pool layer of `config`."""
    if not isinstance(config, AlexNetConfig):
        raise ValueError(f"config={config!r} must be an AlexNetConfig, e.g. alexnet_fashion().config")
    rows, jump, rf = [], 1, 1
    for spec, out in zip(config.layers, config.feature_sizes):
        # Each extra kernel tap reaches `jump` input pixels further; strides multiply the jump.
        rf += (spec.kernel - 1) * jump
        jump *= spec.stride
        rows.append(RFRow(spec.name, spec.kernel, spec.stride, spec.padding, out, jump, rf))
    return rows


def compare_pooling(input_size: int = 227) -> Table:
    """Side by side, for AlexNet with 3/2 and with 2/2 pooling: output size and receptive field per layer."""
    a = receptive_fields(AlexNetConfig(input_size=input_size, pool_kernel=3, pool_stride=2))
    b = receptive_fields(AlexNetConfig(input_size=input_size, pool_kernel=2, pool_stride=2))
    rows = tuple((ra.name, ra.output, ra.receptive_field, rb.output, rb.receptive_field) for ra, rb in zip(a, b))
    return Table(("layer", "z=3, s=2: size", "RF", "z=2, s=2: size", "RF"), rows, numeric=(1, 2, 3, 4))


__all__ = ["OVERLAPPING", "NON_OVERLAPPING", "pool_coverage", "overlap", "RFRow", "receptive_fields",
           "compare_pooling", "unread_widths"]


def unread_widths(widths: range, window: int, stride: int) -> list[int]:
    """The input widths among `widths` for which some input position is read by no pooling window."""
    return [W for W in widths if W >= window and 0 in pool_coverage(W, window, stride)]

"""Convolution arithmetic: output sizes, dropped edge pixels, and a layer-by-layer table of a real model."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Iterator, Optional, Union

import torch
from torch import nn

from .._checks import check_bool, check_int
from ..tables import Table

Size2 = Union[int, tuple, str, None]

# ----------------------------------------------------------------------------- validation


def _check_args(size: object, kernel: object, stride: object, padding: object,
                dilation: object) -> tuple[int, int, int, int, int]:
    """Validate the five window arguments shared by convolution and pooling."""
    # Bounded well above any image, so a typo fails here and not as a memory error later.
    return (check_int("size", size, 1, 1_000_000), check_int("kernel", kernel, 1, 1_000_000),
            check_int("stride", stride, 1, 1_000_000), check_int("padding", padding, 0, 1_000_000),
            check_int("dilation", dilation, 1, 1_000_000))


def _check_fits(size: int, kernel: int, padding: int, dilation: int) -> None:
    """Raise if the (dilated) kernel is wider than the padded input, as PyTorch does for convolutions."""
    effective = dilation * (kernel - 1) + 1
    padded = size + 2 * padding
    if effective <= padded:
        return
    if dilation == 1:
        raise ValueError(f"kernel={kernel} is larger than the padded input (size={size} + 2*padding={padding} "
                         f"→ {padded}); use kernel <= {padded} or add padding")
    raise ValueError(f"kernel={kernel} with dilation={dilation} spans {effective} pixels (dilation*(kernel-1)+1), "
                     f"more than the padded input (size={size} + 2*padding={padding} → {padded}); "
                     f"use a smaller kernel or dilation, or add padding")


# ----------------------------------------------------------------------------- formulas


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output width of a convolution: floor((W + 2P - D(K-1) - 1) / S) + 1, PyTorch's rule."""
    size, kernel, stride, padding, dilation = _check_args(size, kernel, stride, padding, dilation)
    _check_fits(size, kernel, padding, dilation)
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def conv_remainder(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Rows (or columns) at the far edge of the padded input that no window reaches: (W+2P-D(K-1)-1) mod S."""
    size, kernel, stride, padding, dilation = _check_args(size, kernel, stride, padding, dilation)
    _check_fits(size, kernel, padding, dilation)
    return (size + 2 * padding - dilation * (kernel - 1) - 1) % stride


def pool_output_size(size: int, kernel: int, stride: Optional[int] = None, padding: int = 0, dilation: int = 1,
                     ceil_mode: bool = False) -> int:
    """Output width of MaxPool2d/AvgPool2d, including PyTorch's rules for `ceil_mode` and padding."""
    if stride is None:
        stride = kernel  # MaxPool2d's default: windows side by side, no overlap
    size, kernel, stride, padding, dilation = _check_args(size, kernel, stride, padding, dilation)
    check_bool("ceil_mode", ceil_mode)
    if padding > kernel // 2:
        # PyTorch's own limit: more padding would let a window see nothing but padding.
        raise ValueError(f"padding={padding} is too large for pooling with kernel={kernel}; "
                         f"use padding <= {kernel // 2} (PyTorch requires padding <= kernel // 2)")
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if not ceil_mode:
        _check_fits(size, kernel, padding, dilation)
        return span // stride + 1
    out = -(-span // stride) + 1  # ceiling division that also rounds negative spans the way PyTorch does
    # PyTorch drops a last window that would start in the right padding (or beyond the input).
    if (out - 1) * stride >= size + padding:
        out -= 1
    if out < 1:
        raise ValueError(f"kernel={kernel} (dilation={dilation}) with stride={stride}, padding={padding} and "
                         f"ceil_mode=True leaves no window on an input of size={size}; use a smaller kernel "
                         f"or add padding")
    return out


@dataclass(frozen=True)
class ConvArithmetic:
    """One convolution's arithmetic along one axis: output size and the input rows it leaves unused."""

    size: int
    kernel: int
    stride: int
    padding: int
    dilation: int
    output: int
    remainder: int

    @property
    def exact(self) -> bool:
        """True when the windows tile the padded input with nothing left over."""
        return self.remainder == 0

    @property
    def dropped_input(self) -> int:
        """How many of the `remainder` unused rows are real input rather than bottom/right padding."""
        return max(0, self.remainder - self.padding)


def conv_arithmetic(size: int, kernel: int, stride: int = 1, padding: int = 0,
                    dilation: int = 1) -> ConvArithmetic:
    """Output size and remainder of a convolution in one record."""
    output = conv_output_size(size, kernel, stride, padding, dilation)
    remainder = conv_remainder(size, kernel, stride, padding, dilation)
    return ConvArithmetic(int(size), int(kernel), int(stride), int(padding), int(dilation), output, remainder)


# ----------------------------------------------------------------------------- layer table


@dataclass(frozen=True)
class LayerRow:
    """One executed leaf module: its settings, output shape (no batch), parameters and MACs per image."""

    name: str
    type: str
    kernel: Size2
    stride: Size2
    padding: Size2
    output_shape: tuple
    params: int
    macs: int


def _square(value: object) -> Size2:
    """An int for square settings ((3, 3) → 3), a tuple otherwise; strings such as 'same' pass through."""
    if isinstance(value, (tuple, list)):
        value = tuple(int(v) for v in value)
        return value[0] if len(set(value)) == 1 else value
    if isinstance(value, str) or value is None:
        return value
    return int(value)


def _pair(value: object) -> tuple[int, int]:
    """(h, w) from an int or a pair."""
    if isinstance(value, (tuple, list)):
        return int(value[0]), int(value[1])
    return int(value), int(value)


def _window(module: nn.Module) -> tuple[Size2, Size2, Size2]:
    """Kernel, stride and padding of a convolution or fixed-window pooling layer; Nones for anything else."""
    if isinstance(module, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
        stride = module.stride if module.stride is not None else module.kernel_size
        return _square(module.kernel_size), _square(stride), _square(module.padding)
    return None, None, None


class FormulaMismatch(RuntimeError):
    """The probe went wrong (the formula disagrees with PyTorch, or a layer it cannot read): not a bad argument."""


def _cross_check(name: str, module: nn.Module, in_hw: tuple[int, int], out_hw: tuple[int, int]) -> None:
    """Raise RuntimeError if the formula disagrees with what the forward pass produced."""
    if isinstance(module, nn.Conv2d):
        if isinstance(module.padding, str):
            return  # 'same'/'valid' padding is resolved inside PyTorch; nothing independent to compare
        expected = tuple(conv_output_size(in_hw[i], _pair(module.kernel_size)[i], _pair(module.stride)[i],
                                          _pair(module.padding)[i], _pair(module.dilation)[i]) for i in range(2))
    elif isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
        stride = module.stride if module.stride is not None else module.kernel_size
        dilation = module.dilation if isinstance(module, nn.MaxPool2d) else 1
        expected = tuple(pool_output_size(in_hw[i], _pair(module.kernel_size)[i], _pair(stride)[i],
                                          _pair(module.padding)[i], _pair(dilation)[i], bool(module.ceil_mode))
                         for i in range(2))
    else:
        return
    if expected != tuple(out_hw):
        raise FormulaMismatch(f"{name} ({type(module).__name__}): the formula gives {expected} from input {in_hw} "
                           f"but the forward pass produced {tuple(out_hw)}")


def _macs(module: nn.Module, output: torch.Tensor) -> int:
    """Multiply-accumulates per image; only convolutions and linear layers count."""
    per_image = output.numel() // output.shape[0]
    if isinstance(module, nn.Conv2d):
        kh, kw = _pair(module.kernel_size)
        return per_image * (module.in_channels // module.groups) * kh * kw
    if isinstance(module, nn.Linear):
        return per_image * module.in_features
    return 0


def _fmt_size(value: Size2) -> str:
    """'11', '3×5' or '' for a kernel/stride/padding cell."""
    if value is None:
        return ""
    if isinstance(value, tuple):
        return "×".join(str(v) for v in value)
    return str(value)


def _fmt_shape(shape: tuple) -> str:
    """'96×55×55' for an output shape without the batch dimension."""
    return "×".join(str(v) for v in shape)


class LayerTable:
    """Every leaf layer of a model in execution order, with output shapes, parameters and MACs per image."""

    HEADERS = ("name", "type", "kernel", "stride", "padding", "output", "params", "MACs")

    def __init__(self, rows: list[LayerRow], input_shape: tuple) -> None:
        self.rows: list[LayerRow] = list(rows)
        self.input_shape: tuple = tuple(input_shape)

    @property
    def total_params(self) -> int:
        """Parameters over all rows (each shared parameter counted once)."""
        return sum(r.params for r in self.rows)

    @property
    def total_macs(self) -> int:
        """Multiply-accumulates for one image."""
        return sum(r.macs for r in self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[LayerRow]:
        return iter(self.rows)

    def __getitem__(self, index: int) -> LayerRow:
        return self.rows[index]

    def _cells(self) -> list[tuple[str, ...]]:
        """Each row as display strings, in HEADERS order."""
        return [(r.name, r.type, _fmt_size(r.kernel), _fmt_size(r.stride), _fmt_size(r.padding),
                 _fmt_shape(r.output_shape), f"{r.params:,}", f"{r.macs:,}") for r in self.rows]

    def table(self) -> Table:
        """The rows as a printable Table with a totals line."""
        totals = ("total", f"input {_fmt_shape(self.input_shape)}", "", "", "", "",
                  f"{self.total_params:,}", f"{self.total_macs:,}")
        return Table(self.HEADERS, tuple(self._cells()), numeric=(2, 3, 4, 6, 7), footer=totals)

    def to_text(self) -> str:
        """An aligned monospace table with a totals line."""
        return self.table().to_text()

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return (f"LayerTable({len(self.rows)} rows, input_shape={self.input_shape}, "
                f"total_params={self.total_params:,}, total_macs={self.total_macs:,})")

    def _repr_html_(self) -> str:
        """A plain HTML table with a totals row; deterministic so notebook outputs compare verbatim."""
        return self.table()._repr_html_()


def _check_input_shape(input_shape: object) -> tuple[int, ...]:
    """(C, H, W) or (N, C, H, W) of positive ints."""
    if (not isinstance(input_shape, (tuple, list, torch.Size)) or len(input_shape) not in (3, 4)
            or any(isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1 for v in input_shape)):
        raise ValueError(f"input_shape={input_shape!r} must be (channels, height, width) or "
                         f"(batch, channels, height, width) of positive integers, e.g. (1, 224, 224)")
    # One probe image: a few megabytes at most, never the terabytes a typo could ask for.
    if math.prod(input_shape[-3:]) > 64 * 4096 * 4096 or (len(input_shape) == 4 and input_shape[0] > 64):
        raise ValueError(f"input_shape={input_shape!r} is too large for a probe: at most 64 images of "
                         f"64 x 4096 x 4096 values")
    return tuple(int(v) for v in input_shape)


def layer_specs(model: nn.Module) -> list[dict]:
    """Each leaf layer of `model` in the order it was built, as plain numbers: what a browser needs to redo
    `layer_table`'s arithmetic for any input size (convolutions, pools and linear layers; the rest keep shapes)."""
    if not isinstance(model, nn.Module):
        raise ValueError(f"model={model!r} must be a torch.nn.Module")
    specs: list[dict] = []
    for name, m in model.named_modules():
        if list(m.children()):
            continue
        if isinstance(m, nn.Conv2d):
            (k, k2), (s, s2), (p, p2) = _pair(m.kernel_size), _pair(m.stride), _pair(m.padding)
            if (k, s, p) != (k2, s2, p2) or _pair(m.dilation) != (1, 1):
                raise ValueError(f"{name}: only square, undilated convolutions can be described")
            specs.append({"name": name, "type": "conv", "in": m.in_channels, "out": m.out_channels, "kernel": k,
                          "stride": s, "padding": p, "groups": m.groups, "bias": m.bias is not None})
        elif isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
            k, s, p = (_pair(v)[0] for v in (m.kernel_size, m.stride or m.kernel_size, m.padding))
            specs.append({"name": name, "type": "pool", "kernel": k, "stride": s, "padding": p,
                          "ceil_mode": bool(m.ceil_mode)})
        elif isinstance(m, nn.Linear):
            specs.append({"name": name, "type": "linear", "out": m.out_features, "bias": m.bias is not None})
        elif any(True for _ in m.parameters(recurse=False)) or isinstance(m, nn.AdaptiveAvgPool2d):
            raise ValueError(f"{name} ({type(m).__name__}) cannot be described as a plain layer")
        else:
            specs.append({"name": name, "type": "same"})
    return specs


def layer_table(model: nn.Module, input_shape: tuple) -> LayerTable:
    """Run one forward pass of zeros through `model` and record every leaf layer it executes."""
    if not isinstance(model, nn.Module):
        raise ValueError(f"model={model!r} must be a torch.nn.Module")
    shape = _check_input_shape(input_shape)
    if len(shape) == 3:
        shape = (1, *shape)
    first = next(model.parameters(), None)
    x = torch.zeros(shape, device=first.device if first is not None else None,
                    dtype=first.dtype if first is not None and first.is_floating_point() else None)

    names = {m: (n or type(m).__name__) for n, m in model.named_modules() if not list(m.children())}
    rows: list[LayerRow] = []
    counted: set[int] = set()  # a parameter shared by two layers (or a layer called twice) counts once

    def hook(module: nn.Module, inputs: tuple, output: object) -> None:
        name = names[module]
        if not isinstance(output, torch.Tensor):
            raise FormulaMismatch(f"{name} ({type(module).__name__}) returned {type(output).__name__}; "
                                  f"layer_table needs leaf layers that return one tensor")
        if inputs and isinstance(inputs[0], torch.Tensor) and inputs[0].dim() == 4 and output.dim() == 4:
            _cross_check(name, module, tuple(inputs[0].shape[-2:]), tuple(output.shape[-2:]))
        params = 0
        for p in module.parameters(recurse=False):
            if id(p) not in counted:
                counted.add(id(p))
                params += p.numel()
        kernel, stride, padding = _window(module)
        rows.append(LayerRow(name, type(module).__name__, kernel, stride, padding,
                             tuple(output.shape[1:]), params, _macs(module, output)))

    handles = [m.register_forward_hook(hook) for m in names]
    was_training = model.training
    try:
        model.eval()  # dropout and batch statistics must not depend on this probe
        with torch.no_grad():
            model(x)
    except RuntimeError as e:
        if isinstance(e, FormulaMismatch):
            raise
        raise ValueError(f"the model cannot run on input_shape={input_shape!r} ({str(e).splitlines()[0]}); give the "
                         f"shape of one input the model accepts, e.g. (1, 224, 224) for alexnet_d2l()") from None
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()

    table = LayerTable(rows, _check_input_shape(input_shape))
    expected = sum(p.numel() for p in model.parameters())
    if table.total_params != expected:
        raise RuntimeError(f"the table counts {table.total_params:,} parameters but the model has {expected:,}: "
                           f"some parameters live outside the leaf layers the forward pass ran")
    return table

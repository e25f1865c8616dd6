"""The whole network: AlexNet variants side by side, and the paper's two-GPU split taken apart into towers."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Mapping, Optional

import torch
from torch import nn

from .._checks import check_int
from ..net.model import AlexNet, AlexNetConfig, count_parameters, paper_config, shape_only
from ..net.shapes import LayerTable, _pair, layer_table
from ..tables import Table

# ----------------------------------------------------------------------------- the network written out


#: Layers that only reshape: a plain nn.Sequential needs an nn.Flatten where AlexNet.forward calls torch.flatten.
_RESHAPES = (nn.Flatten, nn.Identity)


def _leaf_layers(model: nn.Module) -> list[nn.Module]:
    return [m for m in model.modules() if not list(m.children()) and not isinstance(m, _RESHAPES)]


def _settings(layer: nn.Module) -> tuple:
    """(type name, public settings, parameter shapes), with what does not change the function left out."""
    # inplace changes memory, not the function; the running mode is not a setting.
    public = {k: v for k, v in vars(layer).items() if not k.startswith("_") and k not in ("training", "inplace")}
    if isinstance(layer, nn.LocalResponseNorm):
        public["alpha"] = layer.alpha / layer.size  # PyTorch averages the squares; the paper (and ours) sums them
    return type(layer).__name__, public, [tuple(p.shape) for p in layer.parameters()]


def layer_differences(mine: nn.Module, reference: nn.Module) -> list[str]:
    """Where two networks differ, layer by layer in order (type, settings, parameter shapes); [] if nowhere."""
    for name, m in (("mine", mine), ("reference", reference)):
        if not isinstance(m, nn.Module):
            raise ValueError(f"{name}={m!r} must be a torch.nn.Module, e.g. alexnet_paper()")
    a, b = _leaf_layers(mine), _leaf_layers(reference)
    found = []
    for i, (x, y) in enumerate(zip(a, b)):
        # The type's name and public settings, so PyTorch's LocalResponseNorm and the course's own compare equal.
        sx, sy = _settings(x), _settings(y)
        if sx[0] != sy[0]:
            found.append(f"layer {i + 1}: {sx[0]} where the reference has {sy[0]}")
        elif sx != sy:
            keys = [k for k in sorted(set(sx[1]) | set(sy[1])) if sx[1].get(k) != sy[1].get(k)]
            mine_, ref_ = (", ".join(f"{k}={d.get(k)}" for k in keys) or f"parameters {shapes}"
                           for d, shapes in ((sx[1], sx[2]), (sy[1], sy[2])))
            found.append(f"layer {i + 1} ({sx[0]}): {mine_} where the reference has {ref_}")
    if len(a) != len(b):
        found.append(f"{len(a)} layers where the reference has {len(b)}")
    return found


@torch.no_grad()
def same_function(mine: nn.Module, reference: nn.Module, input_shape: tuple = (2, 3, 227, 227)) -> float:
    """The largest output difference on a random batch once a copy of `mine` has `reference`'s weights, in order."""
    if layer_differences(mine, reference):
        raise ValueError("the networks differ layer by layer (see layer_differences); their outputs cannot match")
    mine = copy.deepcopy(mine)  # the learner's network keeps its own weights
    for p, q in zip(mine.parameters(), reference.parameters()):
        p.copy_(q)
    x = torch.randn(*input_shape, generator=torch.Generator().manual_seed(0))
    was = reference.training
    mine.eval(), reference.eval()
    try:
        out = mine(x)
        return float((out - reference(x)).abs().max())
    except RuntimeError as e:
        raise ValueError(f"your network fails on a batch of shape {tuple(input_shape)} ({str(e).splitlines()[0]}); "
                         f"a plain nn.Sequential needs an nn.Flatten() before its first nn.Linear") from None
    finally:
        reference.train(was)


# ----------------------------------------------------------------------------- three AlexNets side by side


def _convs(model: AlexNet) -> list[nn.Conv2d]:
    return [m for m in model.features if isinstance(m, nn.Conv2d)]


def _dropout_places(model: AlexNet) -> str:
    """Which fully connected layers get dropout on their inputs, read from the classifier itself."""
    places, pending, fc = [], None, 0
    for m in model.classifier:
        if isinstance(m, nn.Dropout):
            pending = m.p
        elif isinstance(m, nn.Linear):
            fc += 1
            if pending is not None:
                places.append((fc, pending))
            pending = None
    if not places:
        return "none"
    ps = {p for _, p in places}
    return "inputs of " + ", ".join(f"FC{i}" for i, _ in places) + (f" (p={ps.pop():g})" if len(ps) == 1 else "")


def model_facts(model: AlexNet) -> dict:
    """Every architectural fact compare_models shows, read from the built model (not only from its config)."""
    if not isinstance(model, AlexNet):
        raise ValueError(f"model must be an alexnet_lib.net.model.AlexNet (e.g. alexnet_paper()), got "
                         f"{type(model).__name__}")
    c = model.config
    convs = _convs(model)
    conv1 = convs[0]
    table = layer_table(model, (c.in_channels, c.input_size, c.input_size))
    side = c.feature_size
    return {
        "input": f"{c.in_channels}×{c.input_size}×{c.input_size}",
        "conv channels": "-".join(str(m.out_channels) for m in convs),
        "conv1 kernel/stride/pad": f"{conv1.kernel_size[0]}/{conv1.stride[0]}/{conv1.padding[0]}",
        "groups (conv1..5)": "-".join(str(m.groups) for m in convs),
        "LRN": "after conv1, conv2" if c.lrn else "none",
        "map after pool3": f"{c.channels[4]}×{side}×{side}",
        "adaptive avg pool": f"to {c.avgpool}×{c.avgpool}" if c.avgpool is not None else "none",
        "flatten features": f"{c.flatten_features:,}",
        "FC widths": "-".join(str(m.out_features) for m in model.classifier if isinstance(m, nn.Linear)),
        "dropout": _dropout_places(model),
        "classes": f"{c.num_classes:,}",
        "weight init": c.init,
        "parameters": f"{table.total_params:,}",
        "MACs per image": f"{table.total_macs:,}",
    }


def compare_models(models: Mapping[str, AlexNet]) -> Table:
    """One row per architectural choice, one column per named model: what differs between AlexNets."""
    if not isinstance(models, Mapping) or not models:
        raise ValueError("models must be a non-empty dict of name -> AlexNet, e.g. "
                         "{'paper': alexnet_paper(), 'torchvision': alexnet_torchvision()}")
    facts = {name: model_facts(model) for name, model in models.items()}
    keys = list(next(iter(facts.values())))
    rows = tuple((key, *(facts[name][key] for name in facts)) for key in keys)
    return Table(("", *facts), rows)


def weighted_layers(tables: Mapping[str, LayerTable]) -> dict[str, list]:
    """Each network's Conv2d and Linear rows, checked: LayerTables of networks with the same number of them."""
    if not isinstance(tables, Mapping) or not tables:
        raise ValueError("tables must be a non-empty dict of name -> layer_table(model, input_shape)")
    per_net = {}
    for name, table in tables.items():
        if not isinstance(table, LayerTable):
            raise ValueError(f"tables[{name!r}] must be a LayerTable from shapes.layer_table, got "
                             f"{type(table).__name__}")
        per_net[name] = [r for r in table if r.type in ("Conv2d", "Linear")]
    if len({len(rows) for rows in per_net.values()}) != 1:
        raise ValueError(f"the networks have different numbers of Conv2d/Linear layers "
                         f"({ {n: len(r) for n, r in per_net.items()} }); compare networks of the same depth")
    return per_net


def compare_layers(tables: Mapping[str, LayerTable]) -> Table:
    """The convolutions and fully connected layers of several networks, row by row: output shape and parameters."""
    per_net = weighted_layers(tables)
    first = next(iter(per_net.values()))
    n_conv = sum(r.type == "Conv2d" for r in first)
    rows = []
    for i in range(len(first)):
        label = f"conv{i + 1}" if i < n_conv else f"FC{i - n_conv + 1}"
        cells = [label]
        for layers in per_net.values():
            cells += ["×".join(str(v) for v in layers[i].output_shape), f"{layers[i].params:,}"]
        rows.append(tuple(cells))
    rows.append(("total", *(c for t in tables.values() for c in ("", f"{t.total_params:,}"))))
    headers = ("layer", *(h for name in per_net for h in (f"{name} output", f"{name} params")))
    return Table(headers, tuple(rows), numeric=tuple(range(2, len(headers), 2)))


# ----------------------------------------------------------------------------- a grouped convolution as two towers


def _check_grouped(conv: object) -> nn.Conv2d:
    """`conv` if it is an nn.Conv2d with groups=2, else a ValueError saying what to pass."""
    if not isinstance(conv, nn.Conv2d):
        raise ValueError(f"conv must be an nn.Conv2d with groups=2, got {type(conv).__name__}")
    if conv.groups != 2:
        raise ValueError(f"conv has groups={conv.groups}; only a groups=2 convolution splits into two towers "
                         f"(in the paper net these are conv2, conv4 and conv5: model.features[4], [10], [12])")
    return conv


def split_grouped_conv(conv: nn.Conv2d) -> tuple[nn.Conv2d, nn.Conv2d]:
    """Two ordinary convolutions (towers), each on half the input channels, with the grouped conv's weights copied."""
    conv = _check_grouped(conv)
    half_in, half_out = conv.in_channels // 2, conv.out_channels // 2
    towers = []
    for t in range(2):
        tower = nn.Conv2d(half_in, half_out, conv.kernel_size, stride=conv.stride, padding=conv.padding,
                          dilation=conv.dilation, bias=conv.bias is not None, padding_mode=conv.padding_mode,
                          device=conv.weight.device, dtype=conv.weight.dtype)
        # A grouped weight is (out, in/groups, k, k): group t owns output rows t*half_out ... (t+1)*half_out - 1.
        rows = slice(t * half_out, (t + 1) * half_out)
        with torch.no_grad():
            tower.weight.copy_(conv.weight[rows])
            if conv.bias is not None:
                tower.bias.copy_(conv.bias[rows])
        towers.append(tower)
    return towers[0], towers[1]


def _check_tower(name: str, tower: object) -> nn.Conv2d:
    if not isinstance(tower, nn.Conv2d) or tower.groups != 1:
        raise ValueError(f"{name} must be an ordinary nn.Conv2d (groups=1), got {tower!r}")
    return tower


def towers_forward(x: torch.Tensor, tower_a: nn.Conv2d, tower_b: nn.Conv2d) -> torch.Tensor:
    """Run each tower on its own half of the channels of x and concatenate the outputs, as two GPUs would."""
    a, b = _check_tower("tower_a", tower_a), _check_tower("tower_b", tower_b)
    if not isinstance(x, torch.Tensor) or x.dim() not in (3, 4):
        got = f"shape {tuple(x.shape)}" if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"x must be a tensor (N, C, H, W) or (C, H, W); got {got}")
    dim = x.dim() - 3  # the channel axis, with or without a batch axis
    if x.shape[dim] != a.in_channels + b.in_channels:
        raise ValueError(f"x has {x.shape[dim]} channels but the towers take {a.in_channels} + {b.in_channels} = "
                         f"{a.in_channels + b.in_channels}; pass the input of the grouped convolution they came from")
    x_a, x_b = torch.split(x, [a.in_channels, b.in_channels], dim=dim)
    return torch.cat([a(x_a), b(x_b)], dim=dim)


def merge_towers(tower_a: nn.Conv2d, tower_b: nn.Conv2d) -> nn.Conv2d:
    """The groups=2 convolution equivalent to two towers: the inverse of split_grouped_conv."""
    a, b = _check_tower("tower_a", tower_a), _check_tower("tower_b", tower_b)
    same = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "padding_mode")
    differ = [f"{k} ({getattr(a, k)} vs {getattr(b, k)})" for k in same if getattr(a, k) != getattr(b, k)]
    if (a.bias is None) != (b.bias is None):
        differ.append("bias (one has it, the other not)")
    if differ:
        raise ValueError(f"the towers must be mirror images to form one grouped convolution; they differ in "
                         f"{', '.join(differ)}")
    conv = nn.Conv2d(2 * a.in_channels, 2 * a.out_channels, a.kernel_size, stride=a.stride, padding=a.padding,
                     dilation=a.dilation, groups=2, bias=a.bias is not None, padding_mode=a.padding_mode,
                     device=a.weight.device, dtype=a.weight.dtype)
    with torch.no_grad():
        conv.weight.copy_(torch.cat([a.weight, b.weight]))
        if a.bias is not None:
            conv.bias.copy_(torch.cat([a.bias, b.bias]))
    return conv


def max_tower_difference(conv: nn.Conv2d, x: torch.Tensor) -> float:
    """max |conv(x) - towers_forward(x, *split_grouped_conv(conv))|: zero up to rounding when the split is exact."""
    towers = split_grouped_conv(conv)
    with torch.no_grad():
        split = towers_forward(x, *towers)  # first, so a wrong input gets towers_forward's ValueError
        return float((conv(x) - split).abs().max())


# ----------------------------------------------------------------------------- what the split saves and costs


def conv_params(in_channels: int, out_channels: int, kernel: int, groups: int = 1, bias: bool = True) -> int:
    """Weights and biases of a square-kernel convolution: out × (in/groups) × k² (+ out)."""
    c_in, c_out = check_int("in_channels", in_channels, 1), check_int("out_channels", out_channels, 1)
    k, g = check_int("kernel", kernel, 1), check_int("groups", groups, 1)
    if c_in % g or c_out % g:
        raise ValueError(f"in_channels={c_in} and out_channels={c_out} must both be divisible by groups={g}")
    return c_out * (c_in // g) * k * k + (c_out if bias else 0)


def conv_macs(in_channels: int, out_channels: int, kernel: int, out_size: int, groups: int = 1) -> int:
    """Multiply-accumulates per image: every one of out × size² outputs reads (in/groups) × k² inputs."""
    weights = conv_params(in_channels, out_channels, kernel, groups, bias=False)
    return weights * check_int("out_size", out_size, 1) ** 2


@dataclass(frozen=True)
class ConvCost:
    """One convolution's parameters and MACs per image, without the two-GPU groups (full) and with them (split)."""

    layer: str
    groups: int
    params_full: int
    params_split: int
    macs_full: int
    macs_split: int


def grouping_costs(config: Optional[AlexNetConfig] = None) -> list[ConvCost]:
    """Each of the five convolutions costed with groups=1 and with the config's groups (the paper's by default)."""
    c = paper_config(config)
    costs = []
    for spec, size in zip(c.layers, c.feature_sizes):
        if spec.kind != "conv":
            continue
        args = (spec.in_channels, spec.out_channels, spec.kernel)
        costs.append(ConvCost(spec.name, spec.groups, conv_params(*args, 1), conv_params(*args, spec.groups),
                              conv_macs(*args, size, 1), conv_macs(*args, size, spec.groups)))
    return costs


def grouping_savings(config: Optional[AlexNetConfig] = None) -> Table:
    """grouping_costs as a table, with a total line and the share of parameters the groups save."""
    costs = grouping_costs(config)
    total = ConvCost("all five", 0, *(sum(getattr(x, f) for x in costs)
                                      for f in ("params_full", "params_split", "macs_full", "macs_split")))
    rows = tuple((x.layer, str(x.groups) if x.groups else "", f"{x.params_full:,}", f"{x.params_split:,}",
                  f"{x.macs_full:,}", f"{x.macs_split:,}", f"{1 - x.params_split / x.params_full:.0%}",
                  f"{1 - x.macs_split / x.macs_full:.0%}")
                 for x in (*costs, total))
    return Table(("layer", "groups", "params, one GPU", "params, split", "MACs, one GPU", "MACs, split",
                  "params saved", "MACs saved"), rows, numeric=(1, 2, 3, 4, 5, 6, 7))


@dataclass(frozen=True)
class Crossing:
    """One place where the two GPUs exchange activations in the forward pass."""

    layer: str
    what: str
    values_per_gpu: int  # what each GPU sends to the other, per image

    @property
    def values(self) -> int:
        """Both directions together, per image."""
        return 2 * self.values_per_gpu


def gpu_traffic(config: AlexNetConfig, gpus: int) -> list[tuple[str, int]]:
    """(layer, values one image sends between the GPUs before that layer, forward pass) for every convolution
    and linear layer of the AlexNet `config` builds, spread over `gpus` GPUs (1 or 2).

    On two GPUs each holds half of every layer's units (as the paper's Figure 2 draws it). A layer whose units
    read all of its input (an ungrouped convolution or a fully connected layer) needs the other GPU's half
    first, so both halves cross: its whole input. A grouped convolution (groups=2) reads only its own GPU's
    half; the first layer reads the image, which both GPUs hold. The backward pass sends as many gradients back.
    """
    if not isinstance(config, AlexNetConfig):
        raise ValueError(f"config must be an AlexNetConfig, e.g. AlexNetConfig(groups=2), got {type(config).__name__}")
    check_int("gpus", gpus, 1, 2, hint=" (1: one GPU, 2: the paper's split)")
    model = shape_only(config)
    table = layer_table(model, (config.in_channels, config.input_size, config.input_size))
    out, previous = [], config.in_channels * config.input_size ** 2
    for row in table:
        module = model.get_submodule(row.name)
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            reads_all = not isinstance(module, nn.Conv2d) or module.groups == 1
            out.append((row.name, previous if gpus == 2 and out and reads_all else 0))
        previous = math.prod(row.output_shape)
    return out


def cross_gpu_crossings(config: Optional[AlexNetConfig] = None) -> list[Crossing]:
    """Where the paper's two GPUs swap activations, assuming (as its Figure 2 draws) half of every layer per GPU."""
    c = paper_config(config)
    if c.groups != 2:
        raise ValueError(f"config has groups={c.groups}: a one-GPU network has no cross-GPU traffic; "
                         f"use groups=2 (the paper's split)")
    side = c.size_after("pool2")  # the input of conv3
    what = {"conv3": f"pool2 output, {c.channels[1] // 2}×{side}×{side} per GPU",
            "FC1": f"flattened pool3 output, {c.flatten_features // 2:,} per GPU",
            "FC2": f"FC1 output, {c.hidden // 2:,} per GPU", "FC3": f"FC2 output, {c.hidden // 2:,} per GPU"}
    names = ("conv1", "conv2", "conv3", "conv4", "conv5", "FC1", "FC2", "FC3")
    return [Crossing(name, what[name], values // 2)
            for name, (_, values) in zip(names, gpu_traffic(c, 2)) if values]


def cross_gpu_traffic(config: Optional[AlexNetConfig] = None, batch: int = 128, bytes_per_value: int = 4) -> Table:
    """The activations the split sends between GPUs per image and per batch (forward pass; backward mirrors it)."""
    batch, nbytes = check_int("batch", batch, 1), check_int("bytes_per_value", bytes_per_value, 1)
    crossings = cross_gpu_crossings(config)
    rows = [(x.layer, x.what, f"{x.values:,}", f"{x.values * batch * nbytes / 1e6:,.1f}") for x in crossings]
    total = sum(x.values for x in crossings)
    rows.append(("total", "", f"{total:,}", f"{total * batch * nbytes / 1e6:,.1f}"))
    return Table(("layer", "each GPU receives", "values per image (both ways)", f"MB per batch of {batch}"),
                 tuple(rows), numeric=(2, 3))


def allreduce_bytes(parameters: int, gpus: int = 2, bytes_per_value: int = 4) -> int:
    """Bytes each GPU sends per step to average gradients with a ring all-reduce: 2(n-1)/n × the model size."""
    p, n = check_int("parameters", parameters, 1), check_int("gpus", gpus, 2)
    b = check_int("bytes_per_value", bytes_per_value, 1)
    return 2 * (n - 1) * p * b // n


# ----------------------------------------------------------------------------- input sizes and small designs


def input_widths_for(side: int, config: Optional[AlexNetConfig] = None) -> range:
    """The input widths W (up to 4096) for which the network's last pooling layer gives a side x side map.

    The widths that give one size form a run (each layer's output grows with its input), so a range holds them.
    """
    check_int("side", side, 1, 4096)
    config = config if config is not None else AlexNetConfig()
    widths = [W for W in range(1, 4097) if config._fits(W) and config._walk(W)[-1] == side]
    if not widths:
        raise ValueError(f"no input width up to 4096 gives a {side}x{side} map after the last pooling layer")
    return range(widths[0], widths[-1] + 1)


@dataclass(frozen=True)
class DesignReport:
    """What a small network is made of: its size, where its parameters are, and what it outputs."""

    parameters: int
    linear_share: float
    convs: int
    overlapping_pool: bool
    relu: bool
    dropout: bool
    output_shape: tuple


def design_report(model: nn.Module, input_shape: tuple = (2, 1, 28, 28)) -> DesignReport:
    """Count a model's parameters, their share in nn.Linear layers and its layer kinds; run it on zeros in eval mode.

    The model's own training/eval mode is restored afterwards; a model that cannot take such a batch is a
    ValueError that says what went wrong in it.
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model={model!r} must be a torch.nn.Module, e.g. the nn.Sequential your build() returns")
    was_training = model.training
    model.eval()
    try:  # first, so lazy layers (nn.LazyLinear) have their parameters before they are counted
        with torch.no_grad():
            out = model(torch.zeros(input_shape))
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # the learner's model, even one that calls exit(): say what it was given and said
        raise ValueError(f"the model cannot take a batch of shape {tuple(input_shape)}: "
                         f"{type(e).__name__}: {e}") from None
    finally:
        model.train(was_training)
    params = count_parameters(model)
    linear = sum(p.numel() for m in model.modules() if isinstance(m, nn.Linear) for p in m.parameters())
    pools = [m for m in model.modules() if isinstance(m, nn.MaxPool2d)]
    overlapping = any(_pair(m.kernel_size)[0] > _pair(m.stride if m.stride is not None else m.kernel_size)[0]
                      for m in pools)
    return DesignReport(params, linear / params if params else 0.0,
                        sum(isinstance(m, nn.Conv2d) for m in model.modules()), overlapping,
                        any(isinstance(m, nn.ReLU) for m in model.modules()),
                        any(isinstance(m, nn.Dropout) for m in model.modules()),
                        tuple(out.shape) if isinstance(out, torch.Tensor) else ())

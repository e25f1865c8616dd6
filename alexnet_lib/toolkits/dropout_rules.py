"""Dropout at test time: the exact average over every mask against the paper's rule of scaling the weights."""

from __future__ import annotations

import itertools
from typing import Callable

import torch
from torch import nn

from .._checks import check_choice, check_int, check_probability

#: Small networks that a dropout layer feeds, by name: where the paper's rule is exact and where it is not.
NET_NAMES = ("linear", "two_linear", "relu", "softmax")
#: The exact average enumerates 2**inputs masks: keep it quick.
MAX_INPUTS = 16


def rule_net(name: str, inputs: int = 8, seed: int = 0) -> Callable[[torch.Tensor], torch.Tensor]:
    """What follows the dropped units: a linear layer, two, a linear layer and ReLU, or one and softmax (seeded)."""
    check_choice("name", name, NET_NAMES)
    check_int("inputs", inputs, 1, MAX_INPUTS)
    g = torch.Generator().manual_seed(check_int("seed", seed, 0))
    with torch.random.fork_rng(devices=[]):  # nn.Linear's own initial draw must not move the caller's RNG
        first = nn.Linear(inputs, 4).double()
        second = nn.Linear(4, 3).double()
    with torch.no_grad():
        for layer in (first, second):
            layer.weight.copy_(torch.randn(layer.weight.shape, generator=g, dtype=torch.float64))
            layer.bias.copy_(torch.randn(layer.bias.shape, generator=g, dtype=torch.float64))
    nets = {"linear": first, "two_linear": nn.Sequential(first, second),
            "relu": nn.Sequential(first, nn.ReLU()), "softmax": nn.Sequential(first, nn.Softmax(dim=-1))}
    return nets[name]


def _check_input(x: object) -> torch.Tensor:
    """`x` as a 1-D float64 tensor of at most MAX_INPUTS values, else a ValueError."""
    try:
        t = torch.as_tensor(x, dtype=torch.float64) if not isinstance(x, (str, bytes)) else None
    except (TypeError, ValueError, RuntimeError):
        t = None
    if t is None or t.dim() != 1 or not 1 <= len(t) <= MAX_INPUTS:
        raise ValueError(f"x must be a 1-D sequence of 1 to {MAX_INPUTS} numbers, the inputs of the net "
                         f"(rule_net(..., inputs=len(x)))")
    return t


def mask_average(net: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, p: float) -> torch.Tensor:
    """The exact expected output of `net` over plain (unscaled) dropout masks on the 1-D input `x`."""
    check_probability("p", p)
    x = _check_input(x)
    total = torch.zeros(())
    for bits in itertools.product((0.0, 1.0), repeat=len(x)):
        mask = torch.tensor(bits, dtype=torch.float64)
        kept = int(mask.sum())
        weight = (1 - p) ** kept * p ** (len(x) - kept)
        with torch.no_grad():
            total = total + weight * net(x * mask)
    return total


def weight_scaled(net: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, p: float) -> torch.Tensor:
    """The paper's test-time output: every unit present, its outgoing weights multiplied by 1 - p."""
    check_probability("p", p)
    with torch.no_grad():
        return net(_check_input(x) * (1 - p))


def _gaps(name: str, p: float, seed: int) -> torch.Tensor:
    """Paper-rule minus mask-average over every output, for a few seeded inputs of the net called `name`."""
    net = rule_net(name, seed=seed)
    g = torch.Generator().manual_seed(seed + 1)
    xs = torch.randn(4, 8, generator=g, dtype=torch.float64) * 2
    return torch.cat([(weight_scaled(net, x, p) - mask_average(net, x, p)).flatten() for x in xs])


def rule_gap(name: str, p: float = 0.5, seed: int = 0) -> float:
    """The largest difference between the paper's rule and the exact mask average, over a few seeded inputs."""
    return float(_gaps(name, p, seed).abs().max())


def gap_signs(name: str, p: float = 0.5, seed: int = 0) -> set[int]:
    """The signs (-1, 0, 1) that paper-rule minus mask-average takes over every output, on the seeded inputs."""
    diffs = _gaps(name, p, seed)
    return {int(s) for s in torch.where(diffs.abs() < 1e-12, torch.zeros_like(diffs), diffs.sign())}

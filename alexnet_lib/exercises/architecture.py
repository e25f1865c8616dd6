"""Checkers for the whole-network chapter: a small design for 28×28, a grouped convolution's towers, FC1's input."""

from __future__ import annotations

import copy
from typing import Any, Callable

import torch
from torch import nn

from ..net.model import AlexNetConfig
from ..toolkits.architecture import design_report, towers_forward
from ._common import Wrong, case_rng, checker, describe, exactly, run_cases, show

#: The budget of the design exercise, and the input it must take: one Fashion-MNIST image at its own 28×28.
DESIGN_BUDGET, DESIGN_INPUT = 60_000, (2, 1, 28, 28)


@checker
def check_small_design(build: Callable[[], Any]) -> bool:
    """Exercise: `build()` returns an AlexNet-style nn.Module for 1×28×28 inputs and 10 classes within the budget,
    with at most half of its parameters in fully connected layers."""
    def judge(net: Any) -> None:
        if not isinstance(net, nn.Module):
            raise Wrong(f"returned {show(net)}; return the network, an nn.Module (e.g. nn.Sequential(...))")
        try:
            report = design_report(net, DESIGN_INPUT)
        except ValueError as e:  # a design that cannot run on a 28×28 image: design_report says why
            raise Wrong(str(e)) from None
        if report.output_shape != (DESIGN_INPUT[0], 10):
            raise Wrong(f"gives shape {report.output_shape} for a batch of {DESIGN_INPUT[0]} images; it must give "
                        f"10 scores per image")
        missing = [what for what, ok in (("two convolutions", report.convs >= 2), ("ReLU", report.relu),
                                         ("an overlapping max-pool (kernel larger than stride)",
                                          report.overlapping_pool), ("dropout", report.dropout)) if not ok]
        if missing:
            raise Wrong(f"lacks AlexNet's ingredients: {', '.join(missing)}")
        if report.parameters > DESIGN_BUDGET:
            raise Wrong(f"has {report.parameters:,} parameters, over the budget of {DESIGN_BUDGET:,}: look at the "
                        f"layer whose weights grow with the flattened size")
        if report.linear_share > 0.5:
            raise Wrong(f"keeps {report.linear_share:.0%} of its parameters in nn.Linear layers; put at most half "
                        f"there (shrink what reaches the first fully connected layer)")

    return run_cases(build, "check_small_design(build)", [("build()", (), judge)],
                     "your network takes 28×28 images to 10 scores with AlexNet's ingredients, within the budget, "
                     "and at most half of its parameters in fully connected layers")


def _tower_cases() -> list[tuple[nn.Conv2d, torch.Tensor]]:
    """Grouped convolutions of different shapes (the paper's conv2 among them), with inputs, all seeded."""
    gen = torch.Generator().manual_seed(0)
    cases = []
    for c_in, c_out, k, stride, padding, size in ((96, 256, 5, 1, 2, 27), (8, 6, 3, 2, 0, 9), (4, 10, 3, 1, 1, 5)):
        with torch.random.fork_rng(devices=[]):  # building a layer draws from the learner's global RNG
            conv = nn.Conv2d(c_in, c_out, k, stride=stride, padding=padding, groups=2)
        with torch.no_grad():  # seeded weights, the same on every run
            conv.weight.copy_(0.1 * torch.randn(conv.weight.shape, generator=gen))
            conv.bias.copy_(torch.randn(conv.bias.shape, generator=gen))
        cases.append((conv, torch.randn(2, c_in, size, size, generator=gen)))
    return cases


def _towers_judge(conv: nn.Conv2d, x: torch.Tensor) -> Callable[[Any], None]:
    """A judge for make_towers(copy of conv): two ordinary convolutions whose outputs together are conv(x)."""
    with torch.no_grad():
        want = conv(x)
    half_in, half_out = conv.in_channels // 2, conv.out_channels // 2

    def verdict(got: Any) -> None:
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise Wrong(f"should return two convolutions (tower_a, tower_b), got {show(got)}")
        for name, tower in zip(("tower_a", "tower_b"), got):
            if not isinstance(tower, nn.Conv2d) or tower.groups != 1:
                raise Wrong(f"{name} must be an ordinary nn.Conv2d (groups=1), got {show(tower)}")
            if (tower.in_channels, tower.out_channels) != (half_in, half_out):
                raise Wrong(f"{name} maps {tower.in_channels} -> {tower.out_channels} channels; each tower takes "
                            f"half the inputs ({half_in}) and makes half the outputs ({half_out})")
        with torch.no_grad():
            try:
                out = towers_forward(x, *got)
            except Exception as e:  # a learner's tower that cannot run becomes a hint
                raise Wrong(f"running the towers failed: {describe(e)}") from None
        if out.shape != want.shape:
            raise Wrong(f"the towers give shape {tuple(out.shape)}, the grouped conv {tuple(want.shape)}; "
                        f"copy kernel_size, stride and padding")
        diff = float((out.to(torch.float64) - want.to(torch.float64)).abs().max())
        if not diff <= 1e-5:
            a_weight = got[0].weight
            swapped = (a_weight.shape == conv.weight[half_out:].shape and a_weight.dtype == conv.weight.dtype
                       and torch.allclose(a_weight, conv.weight[half_out:]))
            tip = ("the halves are swapped: tower_a gets the first half of the output channels" if swapped else
                   "copy conv.weight[:out//2] and conv.bias[:out//2] into tower_a, the rest into tower_b")
            raise Wrong(f"the towers' outputs differ from the grouped convolution's (by up to {diff:.3g}); {tip}")
    return verdict


@checker
def check_make_towers(fn: Callable[[nn.Conv2d], Any]) -> bool:
    """Exercise: `fn(conv)` turns a groups=2 convolution into two ordinary nn.Conv2d towers with the same output.

    The learner's function gets a copy of each convolution, so nothing it does to it changes the reference.
    """
    cases = ((f"make_towers(Conv2d({conv.in_channels}, {conv.out_channels}, {conv.kernel_size[0]}, "
              f"stride={conv.stride[0]}, padding={conv.padding[0]}, groups=2))", (copy.deepcopy(conv),),
              _towers_judge(conv, x)) for conv, x in _tower_cases())
    return run_cases(fn, "check_make_towers(make_towers)", cases,
                     "your two towers reproduce the grouped convolution on all three shapes")


FLATTEN_CASES = (227, 224, 256, 195, 320)


@checker
def check_flatten_size(fn: Callable[[int], Any]) -> bool:
    """Exercise: `fn(W)` gives how many numbers enter FC1 of the paper's network for a W×W input."""
    def judge(size: int) -> Callable[[Any], None]:
        config = AlexNetConfig(input_size=size)
        want, side = config.flatten_features, config.feature_size
        return lambda got: exactly(got, want, "a count is whole: use // for every division", lambda value: (
            "multiply by the 256 channels of conv5" if value == side * side else
            "walk all eight layers: conv1 (11, stride 4, no padding), pool (3, 2), conv2 (5, pad 2), pool, "
            "conv3-5 (3, pad 1), pool; then channels × side × side"))

    drawn = case_rng().sample([w for w in range(100, 1001) if w not in FLATTEN_CASES], 3)  # new at each check
    return run_cases(fn, "check_flatten_size(flatten_size)",
                     ((f"flatten_size({size})", (size,), judge(size)) for size in (*FLATTEN_CASES, *drawn)),
                     f"your sizes match the network's for all {len(FLATTEN_CASES)} input widths and 3 drawn at "
                     f"random: every layer's floor, and conv5's 256 channels, counted")

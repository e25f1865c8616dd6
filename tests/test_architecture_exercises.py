"""The whole-network chapter's exercise checkers: ✅ and ❌ verdicts, never a traceback (figures: test_plots)."""

import numpy as np
import pytest
import torch
from torch import nn

from alexnet_lib import exercises
from alexnet_lib.architecture import split_grouped_conv
from alexnet_lib.model import AlexNetConfig
from tests.single_thread import one_thread  # noqa: F401


def conv_params(c_in, c_out, k, g):
    return c_out * (c_in // g) * k * k + c_out


def flatten_size(W):
    side = (W - 11) // 4 + 1
    for _ in range(3):  # the three 3/2 poolings; the convolutions in between keep the size
        side = (side - 3) // 2 + 1
    return 256 * side * side


def test_check_grouped_conv_params(capsys):
    assert exercises.check_grouped_conv_params(conv_params)
    assert "✅" in capsys.readouterr().out
    assert not exercises.check_grouped_conv_params(lambda a, b, k, g: b * (a // g) * k * k)
    assert "add the biases" in capsys.readouterr().out
    assert not exercises.check_grouped_conv_params(lambda a, b, k, g: b * a * k * k + b)
    assert "ungrouped count" in capsys.readouterr().out
    assert not exercises.check_grouped_conv_params(lambda a, b, k, g: b * a * k * k / (g + 0.7) + b)
    assert "whole" in capsys.readouterr().out
    # The same numbers in any numeric type are right: a float division that happens to be exact, numpy, tensors.
    for right in (lambda a, b, k, g: b * a * k * k / g + b, lambda a, b, k, g: np.int64(conv_params(a, b, k, g)),
                  lambda a, b, k, g: torch.tensor(float(conv_params(a, b, k, g)), dtype=torch.float64)):
        assert exercises.check_grouped_conv_params(right)
    assert capsys.readouterr().out.count("✅") == 3


def test_check_make_towers(capsys):
    assert exercises.check_make_towers(split_grouped_conv)
    assert "✅" in capsys.readouterr().out
    assert not exercises.check_make_towers(lambda c: split_grouped_conv(c)[::-1])
    assert "swapped" in capsys.readouterr().out
    assert not exercises.check_make_towers(lambda c: (nn.Conv2d(c.in_channels // 2, c.out_channels // 2, c.kernel_size,
                                                                c.stride, c.padding),) * 2)
    assert "copy conv.weight" in capsys.readouterr().out
    assert not exercises.check_make_towers(lambda c: tuple(nn.Conv2d(c.in_channels // 2, c.out_channels // 2,
                                                                     c.kernel_size) for _ in range(2)))
    assert "stride and padding" in capsys.readouterr().out
    assert not exercises.check_make_towers(lambda c: (c, c))
    assert "groups=1" in capsys.readouterr().out
    assert not exercises.check_make_towers(lambda c: nn.Conv2d(c.in_channels, c.out_channels, c.kernel_size))
    assert "two convolutions" in capsys.readouterr().out
    assert not exercises.check_make_towers(lambda c: tuple(t.double() for t in split_grouped_conv(c)))
    assert "running the towers failed" in capsys.readouterr().out
    assert exercises.check_make_towers(lambda c: list(split_grouped_conv(c)))
    assert "✅" in capsys.readouterr().out


def _nan_towers(conv):
    a, b = split_grouped_conv(conv)
    with torch.no_grad():
        b.weight.fill_(float("nan"))
    return a, b


def _emptied(conv):  # zeroes the grouped conv it was given, then splits it: right for the zeroed conv only
    with torch.no_grad():
        conv.weight.zero_()
        conv.bias.zero_()
    return split_grouped_conv(conv)


def test_check_make_towers_is_not_fooled(capsys):
    assert not exercises.check_make_towers(_nan_towers)  # a NaN difference is not "within 1e-5"
    assert not exercises.check_make_towers(_emptied)  # changing the given conv does not change the reference
    assert capsys.readouterr().out.count("❌") == 2


def test_check_make_towers_does_not_reseed_the_global_rng():
    draws = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        exercises.check_make_towers(split_grouped_conv)
        draws.append(torch.rand(3))
    assert not torch.equal(*draws)


def test_check_flatten_size(capsys):
    assert exercises.check_flatten_size(flatten_size)
    out = capsys.readouterr().out
    assert "✅" in out and "9,216" not in out and "9216" not in out  # the chapter's question
    assert not exercises.check_flatten_size(lambda W: 9216)
    assert "walk all eight layers" in capsys.readouterr().out
    assert not exercises.check_flatten_size(lambda W: flatten_size(W) // 256)
    assert "multiply by the 256 channels" in capsys.readouterr().out
    assert exercises.check_flatten_size(lambda W: flatten_size(W) / 1)  # 9216.0 is 9216
    assert "✅" in capsys.readouterr().out
    assert not exercises.check_flatten_size(lambda W: flatten_size(W) / 7)
    assert "whole" in capsys.readouterr().out
    for W in exercises.FLATTEN_CASES:
        assert flatten_size(W) == AlexNetConfig(input_size=W).flatten_features


@pytest.mark.parametrize("check", [exercises.check_grouped_conv_params, exercises.check_make_towers,
                                   exercises.check_flatten_size])
def test_checkers_never_raise(check, capsys):
    def boom(*args):
        raise NotImplementedError()

    assert not check(boom)
    assert "NotImplementedError" in capsys.readouterr().out
    assert not check(42)
    assert "pass your function itself" in capsys.readouterr().out
    assert not check(lambda *args: 1 / 0)
    assert "ZeroDivisionError" in capsys.readouterr().out
    assert not check(lambda *args: exit())  # noqa: F821
    assert "exit()" in capsys.readouterr().out

"""The whole-network chapter's exercise checkers: ✅ and ❌ verdicts, never a traceback (figures: test_plots.py)."""

import pytest
import torch
from torch import nn

from alexnet_lib import exercises
from alexnet_lib.net.model import AlexNetConfig
from alexnet_lib.toolkits.architecture import design_report, split_grouped_conv
from tests.single_thread import one_thread  # noqa: F401


def build():
    return nn.Sequential(nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
                         nn.Flatten(), nn.Dropout(0.5), nn.Linear(256, 64), nn.ReLU(), nn.Linear(64, 10))


def flatten_size(W):
    side = (W - 11) // 4 + 1
    for _ in range(3):  # the three 3/2 poolings; the convolutions in between keep the size
        side = (side - 3) // 2 + 1
    return 256 * side * side


def test_check_small_design(capsys):
    assert exercises.check_small_design(build)
    assert "✅" in capsys.readouterr().out
    wide = lambda: nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(3, 2), nn.Conv2d(8, 8, 3), nn.ReLU(),
                                 nn.Flatten(), nn.Dropout(), nn.Linear(8 * 10 * 10, 10))
    cases = [(lambda: nn.Sequential(*list(build())[:-1]), "10 scores"),  # 64 outputs
             (lambda: nn.Sequential(*[m for m in build() if not isinstance(m, nn.Dropout)]), "dropout"),
             (lambda: nn.Sequential(*[nn.MaxPool2d(2, 2) if isinstance(m, nn.MaxPool2d) else m for m in build()][:-5],
                                    nn.Flatten(), nn.Dropout(), nn.Linear(64 * 3 * 3, 10)), "overlapping"),
             (wide, "nn.Linear"),  # 8,010 of 8,674 parameters in the linear layer
             (lambda: nn.Sequential(nn.Conv2d(1, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
                                    nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.Dropout(),
                                    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10)), "over the budget"),
             (lambda: nn.Sequential(nn.Conv2d(3, 8, 3), nn.Flatten()), "cannot take a batch of shape (2, 1, 28, 28)"),
             (lambda: "a network", "return the network")]
    for fn, hint in cases:
        assert not exercises.check_small_design(fn)
        out = capsys.readouterr().out
        assert out.startswith("❌") and hint in out, (hint, out)


def test_design_report_counts_and_restores_the_mode():
    net = build().train()
    report = design_report(net)
    assert report.parameters == 40_650 and report.convs == 3 and report.overlapping_pool and report.dropout
    assert abs(report.linear_share - (256 * 64 + 64 + 650) / 40_650) < 1e-12 and report.output_shape == (2, 10)
    assert net.training  # run in eval mode, given back in training mode
    with pytest.raises(ValueError, match="must be a torch.nn.Module"):
        design_report("my net")
    with pytest.raises(ValueError, match=r"cannot take a batch of shape \(2, 1, 28, 28\): RuntimeError: mat1"):
        design_report(nn.Linear(3, 4))


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


@pytest.mark.parametrize("check", [exercises.check_small_design, exercises.check_make_towers,
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

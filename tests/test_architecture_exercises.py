"""The whole-network chapter's exercise checkers (✅ and ❌ verdicts, never a traceback) and its figures."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from alexnet_lib import exercises, plots  # noqa: E402
from alexnet_lib.model import AlexNetConfig, alexnet_d2l, alexnet_paper  # noqa: E402
from alexnet_lib.shapes import layer_table  # noqa: E402
from alexnet_lib.towers import split_grouped_conv  # noqa: E402


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
    assert not exercises.check_grouped_conv_params(lambda a, b, k, g: b * a * k * k / g + b)
    assert "return an int" in capsys.readouterr().out


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
    assert "✅" in out and "9,216 for 227" in out
    assert not exercises.check_flatten_size(lambda W: 9216)
    assert "walk all eight layers" in capsys.readouterr().out
    assert not exercises.check_flatten_size(lambda W: flatten_size(W) // 256)
    assert "multiply by the 256 channels" in capsys.readouterr().out
    assert not exercises.check_flatten_size(lambda W: flatten_size(W) / 1)
    assert "return an int" in capsys.readouterr().out
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


def test_plot_towers_and_comparison():
    fig = plots.plot_towers()
    assert fig.dpi <= 90 and len(fig.axes) == 1
    tables = {"paper": layer_table(alexnet_paper(), (3, 227, 227)), "d2l": layer_table(alexnet_d2l(), (1, 224, 224))}
    fig = plots.plot_params_macs_compare(tables, title="t")
    assert fig.dpi <= 90 and len(fig.axes) == 2
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == [f"conv{i}" for i in range(1, 6)] + \
        ["FC1", "FC2", "FC3"]
    with pytest.raises(ValueError, match="groups=2"):
        plots.plot_towers(AlexNetConfig(groups=1))
    with pytest.raises(ValueError, match="non-empty dict"):
        plots.plot_params_macs_compare({})
    with pytest.raises(ValueError, match="LayerTable"):
        plots.plot_params_macs_compare({"paper": alexnet_paper()})

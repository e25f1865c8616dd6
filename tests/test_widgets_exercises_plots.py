"""The output-size explorer driven headlessly, the exercise checkers' verdicts, and the figures."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402

from alexnet_lib import exercises, plots  # noqa: E402
from alexnet_lib.model import alexnet_d2l  # noqa: E402
from alexnet_lib.shapes import layer_table  # noqa: E402
from alexnet_lib.widgets import OutputSizeExplorer  # noqa: E402


def test_explorer_default_is_alexnet_conv1_then_pool():
    ex = OutputSizeExplorer(draw=False)
    assert ex.output_size == 27  # 227 → conv1 55 → pool 3/2 → 27
    assert "= 55" in ex.result and "(exact)" in ex.result and ex.error == ""


def test_explorer_follows_the_sliders_and_matches_pytorch():
    ex = OutputSizeExplorer(draw=False)
    ex.use_pool.value = False
    for W, K, S, P in [(224, 11, 4, 0), (224, 11, 4, 2), (13, 3, 1, 1), (31, 5, 3, 2)]:
        ex.size.value, ex.kernel.value, ex.stride.value, ex.padding.value = W, K, S, P
        real = torch.nn.Conv2d(1, 1, K, S, P)(torch.zeros(1, 1, W, W)).shape[-1]
        assert ex.output_size == real
    ex.size.value, ex.kernel.value, ex.stride.value, ex.padding.value = 224, 11, 4, 0
    assert "1 left over" in ex.result


def test_explorer_shows_a_red_message_not_a_traceback():
    ex = OutputSizeExplorer(draw=False)
    ex.size.value, ex.padding.value, ex.kernel.value = 5, 0, 11
    assert ex.output_size is None and "kernel=11 is larger than the padded input" in ex.error
    assert "color:#b30000" in ex.message.value and "Impossible setting" in ex.message.value
    ex.size.value = 227  # recovering clears the message
    assert ex.error == "" and ex.output_size == 27


def test_explorer_pooling_error_is_named():
    ex = OutputSizeExplorer(draw=False)
    ex.size.value, ex.kernel.value, ex.stride.value = 12, 11, 4  # conv gives 1, a 3-wide pool cannot fit
    assert ex.error.startswith("pooling:") and ex.output_size is None


def test_explorer_draws_into_its_output():
    ex = OutputSizeExplorer(size=13, kernel=3, stride=2, padding=1)
    assert bytes(ex.figure.value).startswith(b"\x89PNG")
    ex.kernel.value = 15  # impossible on 13 + 2: the drawing goes away with the error
    assert bytes(ex.figure.value) == b"" and ex.error


def test_check_output_size(capsys):
    assert exercises.check_output_size(lambda W, K, S, P: (W - K + 2 * P) // S + 1)
    assert "✅" in capsys.readouterr().out
    assert not exercises.check_output_size(lambda W, K, S, P: (W - K + 2 * P) / S + 1)
    assert "floor division" in capsys.readouterr().out
    assert not exercises.check_output_size(lambda W, K, S, P: round((W - K + 2 * P) / S) + 1)
    assert "PyTorch floors" in capsys.readouterr().out


def test_checkers_never_raise(capsys):
    def boom(*args):
        raise NotImplementedError()

    for check in (exercises.check_output_size, exercises.check_exact_sizes, exercises.check_fc_share):
        assert not check(boom)
        assert "NotImplementedError" in capsys.readouterr().out
        assert not check(42)
        assert "pass your function itself" in capsys.readouterr().out
    assert not exercises.check_output_size(lambda W, K: 0)
    assert "TypeError" in capsys.readouterr().out
    assert not exercises.check_exact_sizes(lambda lo, hi: "abc")
    assert not exercises.check_fc_share(lambda m: "abc")
    assert capsys.readouterr().out.count("❌") == 2


def test_check_exact_sizes(capsys):
    assert exercises.check_exact_sizes(lambda lo, hi: [w for w in range(lo, hi) if (w - 11) % 4 == 0])
    assert "227" in capsys.readouterr().out
    assert not exercises.check_exact_sizes(lambda lo, hi: [w for w in range(lo, hi) if w % 4 == 0])
    assert "leaves" in capsys.readouterr().out
    assert not exercises.check_exact_sizes(lambda lo, hi: [w for w in range(lo, hi - 1) if (w - 11) % 4 == 0])
    assert "misses" in capsys.readouterr().out


def test_check_fc_share(capsys):
    def share(model):
        fc = sum(p.numel() for m in model.modules() if isinstance(m, torch.nn.Linear) for p in m.parameters())
        return fc / sum(p.numel() for p in model.parameters())

    assert exercises.check_fc_share(share)
    assert "96.2%" in capsys.readouterr().out
    assert not exercises.check_fc_share(lambda m: 100 * share(m))
    assert "percent" in capsys.readouterr().out
    assert not exercises.check_fc_share(lambda m: 0.5)
    assert "not it" in capsys.readouterr().out


def test_plot_windows_marks_the_uncovered_edge():
    fig = plots.plot_windows(224, 11, 4, 0)
    ax = fig.axes[0]
    orange = [p for p in ax.patches if p.get_facecolor()[:3] == matplotlib.colors.to_rgb(plots.UNUSED_COLOUR)]
    assert len(orange) == 1  # (224 - 11) % 4 == 1 column never covered
    assert "54 windows" in ax.get_title()
    with pytest.raises(ValueError, match="kernel=11"):
        plots.plot_windows(5, 11, 4, 0)


def test_plot_params_macs():
    fig = plots.plot_params_macs(layer_table(alexnet_d2l(), (1, 224, 224)))
    assert len(fig.axes) == 2 and len(fig.axes[0].patches) == 8  # 5 convs + 3 linear
    with pytest.raises(ValueError, match="no Conv2d or Linear"):
        plots.plot_params_macs(layer_table(torch.nn.ReLU(), (1, 4, 4)))


def test_plot_curves():
    h = {"epochs": [{"epoch": 1, "seconds": 60.0, "test_acc": 0.8}, {"epoch": 2, "seconds": 60.0, "test_acc": 0.9}]}
    fig = plots.plot_curves([("run", h)], x="seconds")
    assert list(fig.axes[0].lines[0].get_xdata()) == [1.0, 2.0]
    with pytest.raises(ValueError, match="no 'train_acc'"):
        plots.plot_curves([("run", h)], key="train_acc")

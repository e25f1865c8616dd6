"""The pooling chapter's library code: coverage, receptive fields, the explorer, the figures and the checkers."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from alexnet_lib import exercises
from alexnet_lib.book import plots  # noqa: E402
from alexnet_lib.net.model import AlexNetConfig, alexnet_fashion  # noqa: E402
from alexnet_lib.net.shapes import layer_table  # noqa: E402
from alexnet_lib.toolkits.pooling import (  # noqa: E402
    compare_pooling,
    overlap,
    pool_coverage,
    receptive_fields,
)


def _coverage_by_torch(W, z, s, ceil_mode=False):
    """Count reads by pooling the one-hot of each input: it reaches the output once per window containing it."""
    counts = []
    for i in range(W):
        x = torch.zeros(1, 1, W)
        x[0, 0, i] = 1
        counts.append(int(F.max_pool1d(x, z, s, ceil_mode=ceil_mode).sum()))
    return counts


@pytest.mark.parametrize("W,z,s", [(13, 3, 2), (13, 2, 2), (55, 3, 2), (10, 4, 1), (9, 2, 3), (3, 3, 2), (16, 3, 2),
                                   (16, 2, 2), (15, 2, 2), (8, 3, 2)])
@pytest.mark.parametrize("ceil_mode", [False, True])
def test_coverage_agrees_with_torch(W, z, s, ceil_mode):
    assert pool_coverage(W, z, s, ceil_mode) == _coverage_by_torch(W, z, s, ceil_mode)


def test_coverage_and_overlap_values():
    assert pool_coverage(7, 3, 2) == [1, 1, 2, 1, 2, 1, 1]
    assert pool_coverage(7, 2, 2) == [1, 1, 1, 1, 1, 1, 0]
    assert (overlap(3, 2), overlap(2, 2), overlap(2, 3)) == (1, 0, 0)
    with pytest.raises(ValueError):
        pool_coverage(2, 3, 2)
    with pytest.raises(ValueError):
        overlap(0, 1)


def test_receptive_fields_and_sizes_through_alexnet():
    a = receptive_fields(AlexNetConfig(pool_kernel=3, pool_stride=2))
    b = receptive_fields(AlexNetConfig(pool_kernel=2, pool_stride=2))
    # Odd inputs make both poolings give the same sizes, so only the receptive fields differ.
    assert [r.output for r in a] == [r.output for r in b] == [55, 27, 27, 13, 13, 13, 13, 6]
    assert [r.receptive_field for r in a] == [11, 19, 51, 67, 99, 131, 163, 195]
    assert [r.receptive_field for r in b] == [11, 15, 47, 55, 87, 119, 151, 167]
    assert a[-1].jump == b[-1].jump == 32
    sizes = [row.output_shape[-1] for row in layer_table(alexnet_fashion(pool_kernel=2), (1, 227, 227))
             if row.type in ("Conv2d", "MaxPool2d")]
    assert sizes == [r.output for r in b]
    assert "195" in compare_pooling(227).to_text() and "167" in compare_pooling(227).to_text()
    with pytest.raises(ValueError):
        receptive_fields("alexnet")


def test_pool_figures():
    fig = plots.plot_pool_coverage(13, 3, 2)
    assert "5 by two or more windows" in fig.axes[0].get_title()
    fig = plots.plot_pool_grids(7)
    assert len(fig.axes) == 2
    with pytest.raises(ValueError):
        plots.plot_pool_coverage(2, 3, 2)


def test_check_pool_coverage(capsys):
    assert exercises.check_pool_coverage(_coverage_by_torch)
    assert "✅" in capsys.readouterr().out
    assert not exercises.check_pool_coverage(lambda W, z, s: [1] * W)
    assert "❌" in capsys.readouterr().out
    assert not exercises.check_pool_coverage(lambda W, z, s: [1])
    assert "one count per input" in capsys.readouterr().out


def test_check_receptive_field(capsys):
    def rf(layers):
        r, jump = 1, 1
        for k, s in layers:
            r, jump = r + (k - 1) * jump, jump * s
        return r

    assert exercises.check_receptive_field(rf)
    assert "✅" in (out := capsys.readouterr().out) and "195" not in out  # success never prints the answer
    assert not exercises.check_receptive_field(lambda layers: sum(k for k, s in layers))
    assert "jump" in capsys.readouterr().out


def test_check_max_pool_1d(capsys):
    assert exercises.check_max_pool_1d(lambda v, z, s: [max(v[j * s:j * s + z]) for j in range((len(v) - z) // s + 1)])
    assert "✅" in capsys.readouterr().out
    assert not exercises.check_max_pool_1d(lambda v, z, s: [max(v[j * s:j * s + z]) for j in range(len(v) // s)])
    assert "dropped" in capsys.readouterr().out


def test_pool_checkers_never_raise(capsys):
    def boom(*args):
        raise NotImplementedError()

    for check in (exercises.check_pool_coverage, exercises.check_receptive_field, exercises.check_max_pool_1d):
        assert not check(boom)
        assert "NotImplementedError" in capsys.readouterr().out
        assert not check(None)
        assert "pass your function itself" in capsys.readouterr().out
        assert not check(lambda *args: "abc")
        assert "❌" in capsys.readouterr().out

"""The LRN chapter's library code: channel profiles, activity, conventions, the explorer and the checkers."""

import math

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from alexnet_lib import exercises
from alexnet_lib.book import plots  # noqa: E402
from alexnet_lib.book.explorers import LRN_DEMO_PROFILE  # noqa: E402
from alexnet_lib.net.layers import lrn_from_tensorflow, lrn_to_torch  # noqa: E402
from alexnet_lib.net.model import alexnet_fashion, init_weights  # noqa: E402
from alexnet_lib.toolkits.lrn import (
    conv1_activations,
    conventions_table,
    course_input,
    lrn_activity,
    lrn_conventions,
    lrn_denominator,
    lrn_profile,
    neighbour_share,
    paper_input,
    torch_lrn_matches,
)


def test_profile_matches_torch_and_the_literal_formula():
    a = [0.0, 10.0, 100.0, 10.0, 0.0, 0.0, 50.0]
    ours = lrn_profile(a)
    theirs = nn.LocalResponseNorm(**lrn_to_torch())(torch.tensor(a).view(1, -1, 1, 1)).view(-1).double()
    assert torch.allclose(ours, theirs, rtol=1e-5)
    # channel 0 sees channels 0..2 only (clipped window)
    assert ours[0] == 0 and math.isclose(float(ours[1]), 10 / (2 + 1e-4 * (100 + 10000 + 100)) ** 0.75)
    assert torch.allclose(ours * lrn_denominator(a), torch.tensor(a, dtype=torch.float64))


def test_lateral_inhibition_lone_peak_keeps_more_than_a_crowded_one():
    after = lrn_profile(LRN_DEMO_PROFILE)
    assert LRN_DEMO_PROFILE[5] == LRN_DEMO_PROFILE[10] == 100
    assert after[10] > 1.3 * after[5]


@pytest.mark.parametrize("bad", [[], [[1.0, 2.0]], ["a"], [float("nan")]])
def test_profile_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        lrn_profile(bad)


def test_profile_rejects_bad_parameters():
    with pytest.raises(ValueError, match="odd"):
        lrn_profile([1.0, 2.0], size=4)
    with pytest.raises(ValueError, match="k="):
        lrn_denominator([1.0], k=0)


def test_torch_lrn_matches_within_float_noise():
    x = torch.randn(2, 32, 4, 4, generator=torch.Generator().manual_seed(0)) * 50
    assert torch_lrn_matches(x) < 1e-5
    assert torch_lrn_matches(x, size=11, alpha=1e-3) < 1e-5


def test_neighbour_share_is_small_for_small_activations_and_half_at_the_threshold():
    small = torch.full((1, 5, 1, 1), 0.1)
    assert float(neighbour_share(small).max()) < 1e-5
    a = math.sqrt(2 / (1e-4 * 5))  # the centre channel's window holds 5 equal channels
    share = neighbour_share(torch.full((1, 9, 1, 1), a))
    assert math.isclose(float(share[0, 4]), 0.5, rel_tol=1e-5)
    with pytest.raises(ValueError):
        neighbour_share(torch.zeros(3, 3))


def test_activity_depends_on_input_scale():
    torch.manual_seed(0)
    net = alexnet_fashion(input_size=67)
    init_weights(net, "kaiming")
    images = torch.randint(0, 256, (2, 67, 67), dtype=torch.uint8)
    course = lrn_activity(net, course_input(images))
    paper = lrn_activity(net, paper_input(images))
    assert [a.layer for a in course] == ["features.2", "features.6"]
    assert course[0].mean_share < 1e-3 < paper[0].mean_share
    assert lrn_activity(alexnet_fashion(input_size=67, lrn=False), course_input(images)) == []
    maps = conv1_activations(net, course_input(images))
    assert maps.shape == (2, 96, 15, 15) and float(maps.min()) >= 0
    with pytest.raises(ValueError):
        course_input(torch.zeros(2, 28, 28))


def test_conventions_table():
    rows = lrn_conventions()
    text = conventions_table(rows).to_text()
    assert [r.framework for r in rows] == ["paper", "PyTorch", "TensorFlow", "Caffe", "TensorFlow (wrong)"]
    assert "alpha=0.0005" in rows[1].call and "depth_radius=2" in rows[2].call
    assert "11 channels" in rows[4].window
    assert lrn_from_tensorflow(5, 2, 1e-4, 0.75)["size"] == 11
    assert text.splitlines()[1].startswith("---")


def test_lrn_figures():
    fig = plots.plot_lrn_profile([1.0, 2.0], [0.5, 1.0])
    assert len(fig.axes) == 1
    with pytest.raises(ValueError):
        plots.plot_lrn_profile([1.0], [1.0, 2.0])
    maps = torch.rand(4, 5, 5)
    fig = plots.plot_lrn_maps(torch.rand(8, 8), maps, maps / 2, [0, 3], after_label="after ×k^β")
    assert len(fig.axes) == 6


def _lrn_1d(a, n, alpha, beta, k):
    h = n // 2
    return [a[i] / (k + alpha * sum(a[j] ** 2 for j in range(max(0, i - h), min(len(a), i + h + 1)))) ** beta
            for i in range(len(a))]


def test_check_lrn_1d(capsys):
    assert exercises.check_lrn_1d(_lrn_1d)
    assert "✅" in capsys.readouterr().out
    assert not exercises.check_lrn_1d(lambda a, n, al, b, k: [x / (k + al / n * x * x) ** b for x in a])
    assert "alpha is not divided by n" in capsys.readouterr().out
    def wrap(a, n, al, b, k):  # wraps around the ends instead of clipping the window
        h = n // 2
        return [a[i] / (k + al * sum(a[(i + d) % len(a)] ** 2 for d in range(-h, h + 1))) ** b for i in range(len(a))]

    assert not exercises.check_lrn_1d(wrap)
    assert "clipped" in capsys.readouterr().out
    assert not exercises.check_lrn_1d(lambda *args: [1.0])
    assert "one per channel" in capsys.readouterr().out


def test_check_activation_for_share(capsys):
    assert exercises.check_activation_for_share(lambda s, n, a, k: math.sqrt(s * k / ((1 - s) * a * n)))
    assert "✅" in (out := capsys.readouterr().out) and "63" not in out  # the chapter's question stays open
    assert not exercises.check_activation_for_share(lambda s, n, a, k: math.sqrt(s * k / (a * n)))
    assert "❌" in capsys.readouterr().out


def test_lrn_checkers_never_raise(capsys):
    def boom(*args):
        raise NotImplementedError()

    for check in (exercises.check_lrn_1d, exercises.check_activation_for_share):
        assert not check(boom)
        assert "NotImplementedError" in capsys.readouterr().out
        assert not check("not a function")
        assert "pass your function itself" in capsys.readouterr().out
        assert not check(lambda *args: "abc")
        assert "❌" in capsys.readouterr().out


def test_falling_fraction_agrees_with_the_sign_of_autograds_slope():
    from alexnet_lib.net.layers import LocalResponseNorm
    from alexnet_lib.toolkits.lrn import falling_fraction

    x = torch.randn(2, 7, 3, 3, generator=torch.Generator().manual_seed(0)) * 3
    layer = LocalResponseNorm(alpha=1.0)
    # d b_i / d a_i, the diagonal of the Jacobian, by central differences: nudge one channel everywhere at once
    # (a channel's nudge changes other channels' outputs too, but only its own output is read).
    eps = 1e-4
    slopes = torch.zeros_like(x)
    for c in range(x.shape[1]):
        nudge = torch.zeros_like(x)
        nudge[:, c] = eps
        with torch.no_grad():
            slopes[:, c] = ((layer(x + nudge) - layer(x - nudge)) / (2 * eps))[:, c]
    assert falling_fraction(x, alpha=1.0) == pytest.approx(float((slopes < 0).float().mean()))
    assert 0 < falling_fraction(x, alpha=1.0) < 1 and falling_fraction(x, alpha=1e-4) == 0

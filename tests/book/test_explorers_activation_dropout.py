"""The ReLU/tanh and dropout chapters' explorers (driven headlessly) and exercise checkers (figures: test_plots.py)."""

import functools

import matplotlib

matplotlib.use("Agg")


import pytest  # noqa: E402
import torch  # noqa: E402

from alexnet_lib import exercises
from alexnet_lib.book.explorers import ActivationExplorer, DropoutExplorer  # noqa: E402
from alexnet_lib.net import activations  # noqa: E402
from tests.single_thread import one_thread  # noqa: E402, F401

# ----------------------------------------------------------------------------- ActivationExplorer


def test_activation_explorer_matches_the_library():
    ex = ActivationExplorer(draw=False)
    assert ex.norms == activations.gradient_norms("relu", 20, 128, 1.41)
    assert set(ex.profiles) == set(activations.NAMES)
    ex.activation.value = "sigmoid"
    assert ex.ratio > 1e6 and "times smaller than the last layer's" in ex.result
    assert ex.result.startswith("sigmoid, 20 layers")


def test_activation_explorer_follows_depth_and_scale():
    ex = ActivationExplorer(draw=False)
    ex.depth.value = 5
    assert len(ex.norms) == 5
    ex.depth.value, ex.weight_scale.value = 30, 1.0
    small = ex.ratio
    ex.weight_scale.value = 2.0  # ReLU above sqrt(2): the gradient grows towards the input
    assert small > 100 and ex.ratio < 1 and "larger than" in ex.result
    assert ex.ratio == pytest.approx(activations.gradient_ratio(activations.gradient_norms("relu", 30, 128, 2.0)))


def test_activation_explorer_draws():
    ex = ActivationExplorer(depth=4)
    first = bytes(ex.figure.value)
    assert first.startswith(b"\x89PNG")
    ex.activation.value = "tanh"
    assert bytes(ex.figure.value) != first


# ----------------------------------------------------------------------------- DropoutExplorer


def test_dropout_explorer_inverted_training():
    ex = DropoutExplorer(draw=False)
    zeros = int((ex.after == 0).sum())
    assert zeros == 256 - ex.kept and 90 < zeros < 166  # about half of 256
    survivors = ex.after[ex.after != 0] / ex.before[ex.after != 0]
    assert torch.allclose(survivors, torch.full_like(survivors, 2.0))
    assert ex.mean_over_masks == pytest.approx(ex.mean_before, rel=0.02)
    assert "kept" in ex.result and "survivors × 2" in ex.result


def test_dropout_explorer_modes():
    ex = DropoutExplorer(draw=False)
    before_seed = ex.after.clone()
    ex.seed.value = 7
    assert not torch.equal(ex.after, before_seed)  # a new mask
    ex.inverted.value = False  # the paper's plain dropout halves the mean in training
    assert ex.mean_over_masks == pytest.approx(ex.mean_before / 2, rel=0.02)
    ex.training.value = False  # ... and its test-time x0.5 matches that average
    assert torch.allclose(ex.after, ex.before * 0.5) and "× 0.5" in ex.result
    ex.inverted.value = True  # inverted dropout in eval mode is the identity
    assert torch.equal(ex.after, ex.before) and ex.mean_after == ex.mean_before
    ex.training.value, ex.p.value = True, 0.0
    assert torch.equal(ex.after, ex.before) and ex.kept == 256


def test_dropout_explorer_draws():
    ex = DropoutExplorer()
    first = bytes(ex.figure.value)
    assert first.startswith(b"\x89PNG")
    ex.p.value = 0.8
    assert bytes(ex.figure.value) != first


# ----------------------------------------------------------------------------- checkers


def test_check_tanh_grad(capsys):
    assert exercises.check_tanh_grad(lambda x: 1 - torch.tanh(x) ** 2)
    out = capsys.readouterr().out
    assert "✅" in out and "e-05" not in out and "2.5" not in out
    assert exercises.check_tanh_grad(lambda x: 1 - torch.tanh(x.double()) ** 2)  # float64 for float32 in
    assert exercises.check_tanh_grad(lambda x: 1 / torch.cosh(x) ** 2)
    capsys.readouterr()
    assert not exercises.check_tanh_grad(lambda x: 1 - torch.tanh(x))
    assert "square tanh first" in capsys.readouterr().out
    assert not exercises.check_tanh_grad(lambda x: torch.tanh(x))
    out = capsys.readouterr().out
    assert "quotient rule" in out and "1 - tanh(x)**2" not in out
    # Right, except that exp(10x) overflows float32 for x = ±20 and inf/inf is NaN there.
    assert not exercises.check_tanh_grad(lambda x: (1 - torch.tanh(x) ** 2) * torch.exp(10 * x) / torch.exp(10 * x))
    out = capsys.readouterr().out
    assert "❌" in out and "nan" in out


@functools.lru_cache(maxsize=None)
def _vanishing_depth(limit):
    for depth in range(1, 31):
        norms = activations.gradient_norms("sigmoid", depth=depth)
        if norms[0] < limit * norms[-1]:
            return depth


def test_check_vanishing_depth(capsys):
    assert exercises.check_vanishing_depth(_vanishing_depth)
    out = capsys.readouterr().out
    depths = {str(_vanishing_depth(limit)) for limit in (1e-3, 1e-6)}
    assert "✅" in out and not any(d in out for d in depths)  # the depths are the chapter's question
    assert not exercises.check_vanishing_depth(lambda limit: _vanishing_depth(limit) + 1)
    assert "too deep" in capsys.readouterr().out
    assert exercises.check_vanishing_depth(lambda limit: float(_vanishing_depth(limit)))  # 6.0 is 6
    assert exercises.check_vanishing_depth(lambda limit: torch.tensor(_vanishing_depth(limit)))
    capsys.readouterr()
    assert not exercises.check_vanishing_depth(lambda limit: _vanishing_depth(limit) + 0.5)
    assert "as an int" in capsys.readouterr().out
    assert not exercises.check_vanishing_depth(lambda limit: None)  # the loop ran out without returning
    assert "❌" in capsys.readouterr().out


def test_check_dropout(capsys):
    def inverted(x, p):
        return x if p == 0 else x * (torch.rand_like(x) >= p) / (1 - p)

    assert exercises.check_dropout(inverted)
    assert "✅" in capsys.readouterr().out
    assert not exercises.check_dropout(lambda x, p: x * (torch.rand_like(x) >= p))
    assert "not scaled" in capsys.readouterr().out
    assert not exercises.check_dropout(lambda x, p: x * (torch.rand_like(x) < p) / (1 - p) if p else x)
    assert "zeroed" in capsys.readouterr().out
    assert not exercises.check_dropout(lambda x, p: x * (torch.rand_like(x) >= p) / (1 - p) + 0 * p + (p == 0))
    assert "unchanged" in capsys.readouterr().out
    assert not exercises.check_dropout(lambda x, p: x * (x > x.quantile(p)) / (1 - p) if p else x)  # drops the small
    assert "mean" in capsys.readouterr().out
    assert exercises.check_dropout(lambda x, p: (x * (torch.rand_like(x) >= p) / (1 - p)).double())
    assert "✅" in capsys.readouterr().out


def test_check_dropout_leaves_the_learners_rng_alone():
    def inverted(x, p):
        return x if p == 0 else x * (torch.rand_like(x) >= p) / (1 - p)

    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    exercises.check_dropout(inverted)
    assert torch.equal(torch.rand(3), expected)


def test_new_checkers_never_raise(capsys):
    def boom(*args):
        raise NotImplementedError()

    checks = (exercises.check_tanh_grad, exercises.check_vanishing_depth, exercises.check_dropout)
    for check in checks:
        assert not check(boom)
        assert "NotImplementedError" in capsys.readouterr().out
        assert not check("not a function")
        assert "pass your function itself" in capsys.readouterr().out
    assert not exercises.check_tanh_grad(lambda x: "two")
    assert not exercises.check_dropout(lambda x: x)  # wrong signature: a TypeError becomes a hint
    assert capsys.readouterr().out.count("❌") == 2
    for check in checks:
        assert not check(lambda *args: __import__("sys").exit(0))
        assert "exit()" in capsys.readouterr().out

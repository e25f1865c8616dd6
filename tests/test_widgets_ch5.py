"""The ReLU/tanh and dropout chapters' explorers (driven headlessly), exercise checkers and figures."""

import matplotlib

matplotlib.use("Agg")


import pytest  # noqa: E402
import torch  # noqa: E402

from alexnet_lib import activations, exercises, plots  # noqa: E402
from alexnet_lib.widgets import ActivationExplorer, DropoutExplorer  # noqa: E402


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


def test_check_relu(capsys):
    assert exercises.check_relu(lambda x: x.clamp(min=0))
    assert "✅" in capsys.readouterr().out
    assert not exercises.check_relu(lambda x: x.abs())
    assert "negative inputs must give 0" in capsys.readouterr().out
    assert not exercises.check_relu(lambda x: x.clamp(min=0).tolist())
    assert "return a tensor" in capsys.readouterr().out
    assert not exercises.check_relu(lambda x: x.clamp(min=0).sum())
    assert "shape" in capsys.readouterr().out


def test_check_tanh_grad(capsys):
    assert exercises.check_tanh_grad(lambda x: 1 - torch.tanh(x) ** 2)
    assert "✅" in capsys.readouterr().out
    assert not exercises.check_tanh_grad(lambda x: 1 - torch.tanh(x))
    assert "square tanh first" in capsys.readouterr().out
    assert not exercises.check_tanh_grad(lambda x: torch.tanh(x))
    assert "1 - tanh(x)**2" in capsys.readouterr().out


def _vanishing_depth(limit):
    for depth in range(1, 31):
        norms = activations.gradient_norms("sigmoid", depth=depth)
        if norms[0] < limit * norms[-1]:
            return depth


def test_check_vanishing_depth(capsys):
    assert exercises.check_vanishing_depth(_vanishing_depth)
    out = capsys.readouterr().out
    assert "✅" in out and "from depth 6 on" in out
    assert not exercises.check_vanishing_depth(lambda limit: _vanishing_depth(limit) + 1)
    assert "too deep" in capsys.readouterr().out
    assert not exercises.check_vanishing_depth(lambda limit: float(_vanishing_depth(limit)))
    assert "as an int" in capsys.readouterr().out


def test_check_dropout(capsys):
    def inverted(x, p):
        return x if p == 0 else x * (torch.rand_like(x) >= p) / (1 - p)

    assert exercises.check_dropout(inverted)
    assert "✅" in capsys.readouterr().out
    assert not exercises.check_dropout(lambda x, p: x * (torch.rand_like(x) >= p))
    assert "divide them by 1 - p" in capsys.readouterr().out
    assert not exercises.check_dropout(lambda x, p: x * (torch.rand_like(x) < p) / (1 - p) if p else x)
    assert "zeroed" in capsys.readouterr().out
    assert not exercises.check_dropout(lambda x, p: x * (torch.rand_like(x) >= p) / (1 - p) + 0 * p + (p == 0))
    assert "unchanged" in capsys.readouterr().out


def test_check_keep_scale_and_paper_test_time(capsys):
    assert exercises.check_keep_scale(lambda p: 1 / (1 - p))
    assert not exercises.check_keep_scale(lambda p: 1 - p)
    assert "keep" in capsys.readouterr().out.splitlines()[-1]
    assert exercises.check_paper_test_time(lambda h, p: h * (1 - p))
    assert not exercises.check_paper_test_time(lambda h, p: h / (1 - p))
    assert "training-time scale" in capsys.readouterr().out.splitlines()[-1]
    assert not exercises.check_paper_test_time(lambda h, p: h)
    assert "probability it was present" in capsys.readouterr().out


def test_new_checkers_never_raise(capsys):
    def boom(*args):
        raise NotImplementedError()

    checks = (exercises.check_relu, exercises.check_tanh_grad, exercises.check_vanishing_depth,
              exercises.check_dropout, exercises.check_keep_scale, exercises.check_paper_test_time)
    for check in checks:
        assert not check(boom)
        assert "NotImplementedError" in capsys.readouterr().out
        assert not check("not a function")
        assert "pass your function itself" in capsys.readouterr().out
    assert not exercises.check_keep_scale(lambda p: "two")
    assert not exercises.check_dropout(lambda x: x)  # wrong signature: a TypeError becomes a hint
    assert capsys.readouterr().out.count("❌") == 2


# ----------------------------------------------------------------------------- figures


def test_plot_activations_and_gradient_norms():
    fig = plots.plot_activations()
    assert len(fig.axes) == 2 and len(fig.axes[1].lines) == 3 + 2  # three curves and two axis lines
    with pytest.raises(ValueError, match="lo=1"):
        plots.plot_activations(lo=1, hi=0)
    fig = plots.plot_gradient_norms({"relu": [1.0, 0.5], "sigmoid": [0.0, 1.0]}, highlight="relu")
    assert fig.axes[0].get_yscale() == "log" and len(fig.axes[0].lines) == 2
    with pytest.raises(ValueError, match="profiles is empty"):
        plots.plot_gradient_norms({})


def _fake_relu_tanh():
    def run(act, lr, hit):
        curve = [{"step": 1, "epoch": 0.5, "seconds": 1.0, "train_error": 0.3, "loss": 1.0},
                 {"step": 2, "epoch": 1.0, "seconds": 2.0, "train_error": 0.2, "loss": 0.5}]
        return {"activation": act, "lr": lr, "epochs": 1.0, "seconds": 2.0, "curve": curve,
                "reached": {"0.25": hit, "0.1": None}}
    return {"settings": {"thresholds": [0.25, 0.1]}, "best_lr": {"relu": 0.1, "tanh": 0.1},
            "runs": [run("relu", 0.1, {"step": 2, "epoch": 1.0, "seconds": 2.0}), run("tanh", 0.1, None)]}


def test_plot_relu_tanh_and_lower_bound_speedup():
    from alexnet_lib.experiments import speedups

    record = _fake_relu_tanh()
    fig = plots.plot_relu_tanh(record)
    assert len(fig.axes[0].lines) == 2 + 2  # two runs and two threshold lines
    row = speedups(record)["0.25"]
    assert row["lower_bound"] and row["speedup_epochs"] == 1.0 and row["tanh_epochs"] is None
    with pytest.raises(ValueError, match="x='steps'"):
        plots.plot_relu_tanh(record, x="steps")


def test_plot_dropout_and_mask():
    epochs = [{"epoch": 1, "step": 20, "train_loss_running": 1.0, "train_acc": 0.5, "test_acc": 0.4},
              {"epoch": 2, "step": 40, "train_loss_running": 0.1, "train_acc": 0.9, "test_acc": 0.6}]
    fig = plots.plot_dropout({"settings": {"loss_threshold": 0.05},
                              "runs": [{"p": 0.0, "epochs": epochs}, {"p": 0.5, "epochs": epochs}]})
    assert len(fig.axes[0].lines) == 4 and fig.axes[1].get_yscale() == "log"
    x = torch.rand(4, 4)
    fig = plots.plot_dropout_mask(x.numpy(), (x * 0).numpy())
    assert len(fig.axes) == 2

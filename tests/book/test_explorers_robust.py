"""The explorers never answer with a traceback: bad constructor arguments are refused with a ValueError naming the
argument and its range, every slider setting shows a result or a red message, and importing them loads no engine."""

import itertools
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import ipywidgets as w  # noqa: E402
import pytest  # noqa: E402

from alexnet_lib.book import explorers as widgets  # noqa: E402
from alexnet_lib.book.explorers import (
    ActivationExplorer,
    DropoutExplorer,
    LRNExplorer,
    OutputSizeExplorer,
    PoolingExplorer,
)
from tests.single_thread import one_thread  # noqa: E402, F401

#: What an explorer must not load: the training engine, the experiments, the data files.
ENGINE = ("engine", "experiments", "data")


def test_importing_the_widgets_loads_no_engine():
    code = "import sys, alexnet_lib.book.explorers; print(' '.join(sorted(sys.modules)))"
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                timeout=120).stdout.split())
    assert "alexnet_lib.book.plots" in loaded and "alexnet_lib.toolkits.lrn" in loaded
    assert not {f"alexnet_lib.{name}" for name in ENGINE} & loaded, sorted(m for m in loaded if "alexnet" in m)


@pytest.mark.parametrize("make,argument,bad", [
    (OutputSizeExplorer, "size", 0), (OutputSizeExplorer, "size", 257), (OutputSizeExplorer, "kernel", 0),
    (OutputSizeExplorer, "stride", 0), (OutputSizeExplorer, "padding", -1), (OutputSizeExplorer, "pool_kernel", 9),
    (OutputSizeExplorer, "pool_stride", 2.5), (OutputSizeExplorer, "use_pool", "yes"), (OutputSizeExplorer, "draw", 1),
    (ActivationExplorer, "activation", "gelu"), (ActivationExplorer, "depth", 1),
    (ActivationExplorer, "depth", 10 ** 6),
    (ActivationExplorer, "weight_scale", 0.0), (ActivationExplorer, "weight_scale", float("nan")),
    (ActivationExplorer, "width", 0), (ActivationExplorer, "width", 10 ** 6),
    (DropoutExplorer, "p", 1.0), (DropoutExplorer, "p", -0.1), (DropoutExplorer, "seed", -1),
    (DropoutExplorer, "side", 0), (DropoutExplorer, "side", -4), (DropoutExplorer, "side", 10 ** 5),
    (DropoutExplorer, "inverted", None), (DropoutExplorer, "training", 0),
    (LRNExplorer, "profile", []), (LRNExplorer, "profile", [1.0, float("inf")]), (LRNExplorer, "profile", "abc"),
    (LRNExplorer, "profile", [[1.0, 2.0]]), (LRNExplorer, "profile", [1.0] * 65), (LRNExplorer, "profile", [1e9]),
    (LRNExplorer, "k", -1.0), (LRNExplorer, "n", 0), (LRNExplorer, "n", 16), (LRNExplorer, "alpha", 0.0),
    (LRNExplorer, "alpha", 2.0), (LRNExplorer, "beta", 3.0), (LRNExplorer, "scale", 1e3),
    (PoolingExplorer, "size", 0), (PoolingExplorer, "size", 41), (PoolingExplorer, "window", 0),
    (PoolingExplorer, "stride", 9),
])
def test_bad_constructor_arguments_are_refused_by_name(make, argument, bad):
    with pytest.raises(ValueError, match=f"^{argument}="):
        make(**{argument: bad, "draw": False} if argument != "draw" else {argument: bad})


def _controls(ex):
    return {name: c for name, c in vars(ex).items() if isinstance(c, (w.IntSlider, w.FloatSlider, w.FloatLogSlider,
                                                                        w.Checkbox, w.Dropdown))}


def _ends(control):
    if isinstance(control, w.Checkbox):
        return (False, True)
    if isinstance(control, w.Dropdown):
        return tuple(control.options)
    if isinstance(control, w.FloatLogSlider):
        return (control.base ** control.min, control.base ** control.max)
    return (control.min, control.max)


@pytest.mark.parametrize("make", [OutputSizeExplorer, DropoutExplorer, LRNExplorer, PoolingExplorer])
def test_every_corner_of_the_sliders_shows_a_result_or_a_red_message(make):
    ex = make(draw=False)
    controls = _controls(ex)
    for corner in itertools.product(*(_ends(c) for c in controls.values())):
        for control, value in zip(controls.values(), corner):
            control.value = value
        assert (ex.result and not ex.error) or ("Impossible setting" in ex.message.value and ex.error), \
            (dict(zip(controls, corner)), ex.message.value)


def test_activation_explorer_overflow_is_a_red_message():
    ex = ActivationExplorer(depth=2, width=16, draw=False)
    ex.depth.value, ex.weight_scale.value = 50, 3.0  # ReLU's gradient grows past float32's range
    assert "Impossible setting" in ex.message.value and "weight scale" in ex.error and ex.norms == []
    ex.activation.value = "sigmoid"  # the same depth and scale are fine for sigmoid: back to a result
    assert ex.error == "" and len(ex.norms) == 50
    ex.weight_scale.value = 0.5  # sigmoid's gradient underflows to exactly 0
    assert "exactly 0" in ex.result
    for activation, depth, scale in itertools.product(("relu", "tanh", "sigmoid"), (2, 50), (0.5, 3.0)):
        ex.activation.value, ex.depth.value, ex.weight_scale.value = activation, depth, scale
        assert (ex.result and not ex.error) or "Impossible setting" in ex.message.value


def test_activation_explorer_draws_only_finite_profiles():
    ex = ActivationExplorer(activation="sigmoid", depth=50, weight_scale=3.0, width=16)
    assert bytes(ex.figure.value).startswith(b"\x89PNG")
    assert all(v == v for v in ex.profiles["sigmoid"])  # no NaN in the chosen profile


def test_an_unforeseen_error_is_a_red_message_too(monkeypatch):
    ex = PoolingExplorer(draw=False)
    monkeypatch.setattr(widgets, "overlap", lambda z, s: 1 / 0)
    ex.size.value = 20
    assert "color:#b30000" in ex.message.value and "ZeroDivisionError" in ex.error and ex.result == ""
    assert ex.output_size is None


def test_explorers_keep_their_defaults():
    assert OutputSizeExplorer(draw=False).output_size == 27
    assert DropoutExplorer(draw=False, side=4).kept <= 16
    assert LRNExplorer(draw=False).after is not None
    assert PoolingExplorer(draw=False).overlap == 1

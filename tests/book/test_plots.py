"""The figures draw what they claim: windows and unread columns, curves equal to their functions, bar heights equal
to the table, one tower box per layer of the config, cross-GPU arrows where a layer is not grouped, and so on."""

import dataclasses

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402
from matplotlib.text import Annotation  # noqa: E402

from alexnet_lib.book import plots, run_plots
from alexnet_lib.net import activations  # noqa: E402
from alexnet_lib.net.model import AlexNet, AlexNetConfig  # noqa: E402
from alexnet_lib.net.shapes import conv_arithmetic, layer_table  # noqa: E402
from alexnet_lib.toolkits.pooling import pool_coverage  # noqa: E402
from tests.single_thread import one_thread  # noqa: E402, F401


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def small_alexnet(**overrides):
    """An AlexNet of the paper's shape at a fraction of its size: quick to build and to run."""
    config = AlexNetConfig(**{**dict(in_channels=1, num_classes=10, input_size=67, channels=(8, 16, 16, 16, 8),
                                     hidden=32), **overrides})
    return AlexNet(config), (config.in_channels, config.input_size, config.input_size)


def patches(ax, gid):
    return [p for p in ax.patches if p.get_gid() == gid]


def heights(container):
    return [p.get_height() for p in container]


# ----------------------------------------------------------------------------- output size


@pytest.mark.parametrize("size,kernel,stride,padding", [(224, 11, 4, 0), (227, 11, 4, 0), (13, 3, 2, 1),
                                                        (10, 3, 3, 0), (7, 7, 1, 0)])
def test_plot_windows_draws_one_box_per_output_and_colours_the_unread_edge(size, kernel, stride, padding):
    arith = conv_arithmetic(size, kernel, stride, padding)
    ax = plots.plot_windows(size, kernel, stride, padding).axes[0]
    windows = patches(ax, "window")
    assert len(windows) == arith.output
    assert [w.get_x() for w in windows] == pytest.approx([j * stride + 0.1 for j in range(arith.output)])
    assert all(w.get_width() == pytest.approx(kernel - 0.2) for w in windows)
    unused = patches(ax, "unused")
    assert len(unused) == arith.remainder
    assert all(p.get_facecolor()[:3] == to_rgb(plots.UNUSED_COLOUR) for p in unused)
    assert sorted(p.get_x() for p in unused) == list(range(size + 2 * padding - arith.remainder, size + 2 * padding))
    assert len(patches(ax, "input")) + len(patches(ax, "padding")) + len(unused) == size + 2 * padding
    assert f"{arith.output} windows" in ax.get_title()


def test_plot_windows_caps_the_drawn_windows_and_refuses_impossible_settings():
    ax = plots.plot_windows(200, 3, 1, max_windows=60).axes[0]
    assert len(patches(ax, "window")) == 60 and "first 60 drawn" in ax.get_title()
    with pytest.raises(ValueError, match="kernel=11"):
        plots.plot_windows(5, 11, 4, 0)


def test_plot_params_macs_bars_are_the_table():
    table = layer_table(*small_alexnet())
    rows = [r for r in table if r.type in ("Conv2d", "Linear")]
    left, right = plots.plot_params_macs(table).axes
    assert heights(left.patches) == pytest.approx([r.params / 1e6 for r in rows])
    assert heights(right.patches) == pytest.approx([r.macs / 1e6 for r in rows])
    conv = to_rgb(plots.CONV_COLOUR)
    assert [p.get_facecolor()[:3] == conv for p in left.patches] == [r.type == "Conv2d" for r in rows]
    assert [t.get_text() for t in left.get_xticklabels()] == [r.name for r in rows]
    with pytest.raises(ValueError, match="no Conv2d or Linear"):
        plots.plot_params_macs(layer_table(torch.nn.ReLU(), (1, 4, 4)))
    with pytest.raises(ValueError, match="LayerTable"):
        plots.plot_params_macs(small_alexnet()[0])


# ----------------------------------------------------------------------------- activations


def test_plot_activations_draws_each_function_and_its_derivative():
    left, right = plots.plot_activations(lo=-3, hi=2).axes
    x = torch.linspace(-3, 2, 401)
    for ax, values in ((left, activations.activation), (right, activations.derivative)):
        lines = {line.get_label(): line for line in ax.lines if not line.get_label().startswith("_")}
        assert set(lines) == {"relu", "tanh", "sigmoid"}
        for name, line in lines.items():
            assert np.allclose(line.get_xdata(), x.numpy())
            assert np.allclose(line.get_ydata(), values(name)(x).numpy())
    with pytest.raises(ValueError, match="lo=1"):
        plots.plot_activations(lo=1, hi=0)


def test_plot_gradient_norms_plots_the_norms_and_clips_zeros():
    ax = plots.plot_gradient_norms({"relu": [1.0, 0.5, 0.25], "sigmoid": [0.0, 1e-3, 1.0]}, highlight="relu").axes[0]
    assert ax.get_yscale() == "log"
    relu, sigmoid = ax.lines
    assert list(relu.get_xdata()) == [1, 2, 3] and list(relu.get_ydata()) == [1.0, 0.5, 0.25]
    assert list(sigmoid.get_ydata()) == [1e-38, 1e-3, 1.0]
    assert relu.get_alpha() == 1.0 and sigmoid.get_alpha() == 0.3
    with pytest.raises(ValueError, match="profiles is empty"):
        plots.plot_gradient_norms({})


# ----------------------------------------------------------------------------- dropout, LRN


def test_plot_lrn_profile_bars_are_before_and_after():
    before, after = [1.0, 4.0, 2.0], [0.5, 1.0, 0.9]
    ax = plots.plot_lrn_profile(before, after, k=2.0, beta=0.75).axes[0]
    assert heights(ax.containers[0]) == before and heights(ax.containers[1]) == after
    levels = ax.collections[0].get_offsets()[:, 1]
    assert np.allclose(levels, [v / 2 ** 0.75 for v in before])
    with pytest.raises(ValueError, match="equal length"):
        plots.plot_lrn_profile([1.0], [1.0, 2.0])


def test_plot_lrn_maps_shows_each_channel_before_and_after():
    maps = torch.rand(4, 5, 5)
    fig = plots.plot_lrn_maps(torch.rand(8, 8), maps, maps / 2, [0, 3], after_label="after ×k^β")
    axes = np.array(fig.axes).reshape(2, 3)
    assert np.array_equal(axes[0, 2].images[0].get_array(), maps[3].numpy())
    assert np.array_equal(axes[1, 2].images[0].get_array(), (maps[3] / 2).numpy())
    assert axes[1, 1].get_title() == "ch 0 after ×k^β"
    with pytest.raises(ValueError, match="at least one channel"):
        plots.plot_lrn_maps(torch.rand(8, 8), maps, maps, [])


# ----------------------------------------------------------------------------- pooling


@pytest.mark.parametrize("size,window,stride", [(13, 3, 2), (9, 2, 2), (10, 2, 3)])
def test_plot_pool_coverage_labels_every_input_with_its_count(size, window, stride):
    ax = plots.plot_pool_coverage(size, window, stride).axes[0]
    counts = [int(t.get_text()) for t in ax.texts]
    assert counts == pool_coverage(size, window, stride)
    assert len(patches(ax, "window")) == (size - window) // stride + 1


def test_plot_pool_grids_counts_each_pixel():
    fig = plots.plot_pool_grids(7, ((3, 2), (2, 2)))
    for ax, (z, s) in zip(fig.axes, ((3, 2), (2, 2))):
        row = pool_coverage(7, z, s)
        assert np.array_equal(ax.images[0].get_array(), np.outer(row, row))
        assert [int(t.get_text()) for t in ax.texts] == [a * b for a in row for b in row]
    with pytest.raises(ValueError):
        plots.plot_pool_grids(2, ((3, 2),))


# ----------------------------------------------------------------------------- the whole network


def red_arrows(ax):
    return [a for a in ax.texts if isinstance(a, Annotation) and a.arrow_patch is not None
            and a.arrow_patch.get_edgecolor()[:3] == to_rgb(plots.CROSS_COLOUR)]


def test_plot_towers_draws_two_boxes_per_layer_from_the_config():
    config = AlexNetConfig(groups=2)
    ax = plots.plot_towers(config).axes[0]
    convs = [s for s in config.layers if s.kind == "conv"]
    boxes = patches(ax, "conv")
    assert len(boxes) == 2 * len(convs) and len(patches(ax, "fc")) == 2 * 2 and len(patches(ax, "output")) == 1
    labels = [t.get_text() for t in ax.texts if t.get_gid() == "conv"]
    assert labels == [str(s.out_channels // 2) for s in convs for _ in range(2)]
    for spec in convs:
        side = config.size_after(spec.name)
        assert any(t.get_text() == f"{spec.name}\n{side}×{side}" for t in ax.texts)
    # Red arrows: into each ungrouped convolution after the first, and into FC1 and FC2, from both GPUs.
    crossing = [s for s in convs[1:] if s.groups == 1]
    assert [s.name for s in crossing] == ["conv3"]
    assert len(red_arrows(ax)) == 2 * (len(crossing) + 2)


def test_plot_towers_reads_grouping_and_sizes_from_the_layers():
    @dataclasses.dataclass(frozen=True)
    class Conv4Shared(AlexNetConfig):  # conv4 reads both GPUs too
        @property
        def layers(self):
            return tuple(dataclasses.replace(s, groups=1) if s.name == "conv4" else s for s in super().layers)

    ax = plots.plot_towers(Conv4Shared(groups=2)).axes[0]
    assert len(red_arrows(ax)) == 2 * (2 + 2)
    small = AlexNetConfig(groups=2, input_size=195)
    ax = plots.plot_towers(small).axes[0]
    assert any(t.get_text() == f"conv1\n{small.size_after('conv1')}×{small.size_after('conv1')}" for t in ax.texts)
    with pytest.raises(ValueError, match="groups=2"):
        plots.plot_towers(AlexNetConfig(groups=1))


def test_plot_params_macs_compare_groups_bars_per_network():
    tables = {"two GPUs": layer_table(*small_alexnet(groups=2)), "wide": layer_table(*small_alexnet(hidden=64))}
    left, right = plots.plot_params_macs_compare(tables, title="t").axes
    assert [t.get_text() for t in left.get_xticklabels()] == [f"conv{i}" for i in range(1, 6)] + ["FC1", "FC2", "FC3"]
    for name, container in zip(tables, left.containers):
        rows = [r for r in tables[name] if r.type in ("Conv2d", "Linear")]
        assert heights(container) == pytest.approx([r.params / 1e6 for r in rows])
    for name, container in zip(tables, right.containers):
        rows = [r for r in tables[name] if r.type in ("Conv2d", "Linear")]
        assert heights(container) == pytest.approx([r.macs / 1e6 for r in rows])
    with pytest.raises(ValueError, match="non-empty dict"):
        plots.plot_params_macs_compare({})
    with pytest.raises(ValueError, match="LayerTable"):
        plots.plot_params_macs_compare({"paper": small_alexnet()[0]})


# ----------------------------------------------------------------------------- training


def test_plot_confusion_normalises_rows_and_labels_counts():
    c = torch.tensor([[8, 2, 0], [1, 1, 0], [0, 0, 0]])
    ax = plots.plot_confusion(c, ["a", "b", "c"]).axes[0]
    assert np.allclose(ax.images[0].get_array(), [[0.8, 0.2, 0], [0.5, 0.5, 0], [0, 0, 0]])
    assert sorted(t.get_text() for t in ax.texts) == ["1", "1", "2", "8"]
    with pytest.raises(ValueError, match="one row per class"):
        plots.plot_confusion(c, ["a", "b"])


def test_image_grid_filters_and_neighbours_show_every_image():
    images = torch.rand(5, 6, 6)
    fig = plots.plot_image_grid(images, [f"#{i}" for i in range(5)], columns=4)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 5 and [ax.get_title() for ax in shown] == [f"#{i}" for i in range(5)]
    assert np.array_equal(shown[2].images[0].get_array(), images[2].numpy())
    weight = torch.randn(6, 3, 5, 5)
    fig = plots.plot_filters(weight, columns=4)
    kernels = [ax.images[0].get_array() for ax in fig.axes if ax.images]
    assert len(kernels) == 6 and all(k.min() == pytest.approx(0) and k.max() == pytest.approx(1) for k in kernels)
    fig = plots.plot_neighbours(torch.rand(2, 4, 4), torch.rand(2, 3, 4, 4))
    assert sum(bool(ax.images) for ax in fig.axes) == 2 * 4
    with pytest.raises(ValueError, match="one title per image"):
        plots.plot_image_grid(images, ["x"])
    with pytest.raises(ValueError, match="shape"):
        plots.plot_filters(torch.rand(3, 3))


# ----------------------------------------------------------------------------- recorded runs


def test_plot_curves_plots_the_history():
    h = {"epochs": [{"epoch": 1, "seconds": 60.0, "test_acc": 0.8}, {"epoch": 2, "seconds": 90.0, "test_acc": 0.9}]}
    line = run_plots.plot_curves([("run", h)], x="seconds").axes[0].lines[0]
    assert list(line.get_xdata()) == [1.0, 2.5] and list(line.get_ydata()) == [0.8, 0.9]
    line = run_plots.plot_curves([("run", h)]).axes[0].lines[0]
    assert list(line.get_xdata()) == [1, 2]
    with pytest.raises(ValueError, match="no 'train_acc'"):
        run_plots.plot_curves([("run", h)], key="train_acc")


def _budgeted_history(minutes, seed, steps, acc, n_test=10_000):
    plan = {"minutes": minutes, "steps": steps + 5, "steps_per_epoch": 100, "batch_size": 64, "train_images": 6_380,
            "seconds_per_step": 0.5, "images": 64 * (steps + 5), "predicted_seconds": minutes * 60}
    return {"config": {"seed": seed, "budget": plan, "final_test_images": n_test, "precision": "fp32"},
            "provenance": {"wall_seconds": minutes * 60, "device_name": "test CPU"},
            "epochs": [{"epoch": 1, "steps": 100, "train_seconds": minutes * 30},
                       {"epoch": 2, "steps": steps, "train_seconds": minutes * 24, "val_acc": acc, "test_acc": acc}]}


def test_the_budget_table_reads_the_recorded_runs():
    from alexnet_lib.book import run_plots

    runs = [_budgeted_history(10, 1, 130, 0.9), _budgeted_history(5, 0, 120, 0.85), _budgeted_history(10, 0, 131, 0.8)]
    table = run_plots.budget_table(runs)
    # sorted by minutes then seed; 120 steps = one epoch of 6,380 images + 20 batches of 64
    assert [r[:4] for r in table.rows] == [("5", "0", "120", "7,660"), ("10", "0", "131", "8,364"),
                                          ("10", "1", "130", "8,300")]
    assert [r[5] for r in table.rows] == ["90%"] * 3 and table.rows[1][7] == "80.00%"
    with pytest.raises(ValueError, match="history 0 is not a finished run with a time budget"):
        run_plots.budget_table([{"config": {}, "provenance": {}, "epochs": [{"epoch": 1, "test_acc": 0.5}]}])

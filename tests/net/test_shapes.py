"""Convolution arithmetic against real PyTorch layers, and the layer table of a real model."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from alexnet_lib.net.model import alexnet_d2l, alexnet_paper
from alexnet_lib.net.shapes import (
    ConvArithmetic,
    LayerRow,
    LayerTable,
    conv_arithmetic,
    conv_output_size,
    conv_remainder,
    layer_table,
    pool_output_size,
)

SIZES = range(1, 13)
KERNELS = range(1, 6)
STRIDES = range(1, 4)
PADDINGS = range(0, 4)
DILATIONS = (1, 2)


def _torch_size(fn, *args, **kwargs):
    """Output width from a real PyTorch call, or None when PyTorch refuses the arguments."""
    try:
        return fn(*args, **kwargs).shape[-1]
    except (RuntimeError, ValueError):
        return None


def test_conv_formula_matches_torch_over_a_grid():
    for size, k, s, p, d in itertools.product(SIZES, KERNELS, STRIDES, PADDINGS, DILATIONS):
        real = _torch_size(F.conv2d, torch.zeros(1, 1, size, size), torch.zeros(1, 1, k, k), stride=s, padding=p,
                           dilation=d)
        args = (size, k, s, p, d)
        if real is None:
            with pytest.raises(ValueError):
                conv_output_size(*args)
            continue
        assert conv_output_size(*args) == real, args
        # The remainder is exactly what the windows leave uncovered at the far edge of the padded input.
        r = conv_remainder(*args)
        assert 0 <= r < s
        assert (real - 1) * s + d * (k - 1) + 1 + r == size + 2 * p, args


def test_pool_formula_matches_torch_over_a_grid():
    for size, k, s, p, d, ceil in itertools.product(SIZES, KERNELS, STRIDES, PADDINGS, DILATIONS, (False, True)):
        x = torch.zeros(1, 1, size, size)
        real = _torch_size(F.max_pool2d, x, k, s, p, d, ceil_mode=ceil)
        args = dict(size=size, kernel=k, stride=s, padding=p, dilation=d, ceil_mode=ceil)
        if real is None:
            with pytest.raises(ValueError):
                pool_output_size(**args)
        else:
            assert pool_output_size(**args) == real, args
        if d == 1:
            avg = _torch_size(F.avg_pool2d, x, k, s, p, ceil_mode=ceil)
            if avg is not None:
                assert pool_output_size(**args) == avg, args


def test_pool_stride_defaults_to_kernel_like_maxpool2d():
    assert pool_output_size(55, 3) == nn.MaxPool2d(3)(torch.zeros(1, 1, 55, 55)).shape[-1] == 18
    assert pool_output_size(55, 3, 2) == 27


def test_ceil_mode_rule_drops_a_window_that_would_start_in_the_padding():
    # Without the rule, ceil((6 + 2 - 2 - 1) / 2) + 1 = 4 windows; the 4th would start at the right padding.
    assert pool_output_size(6, 2, 2, padding=1, ceil_mode=True) == 4
    assert pool_output_size(5, 2, 2, padding=1, ceil_mode=True) == 3
    assert F.max_pool2d(torch.zeros(1, 1, 5, 5), 2, 2, 1, ceil_mode=True).shape[-1] == 3


def test_alexnet_input_size_facts():
    a224 = conv_arithmetic(224, 11, 4)
    assert (a224.output, a224.remainder, a224.exact) == (54, 1, False)
    a227 = conv_arithmetic(227, 11, 4)
    assert (a227.output, a227.remainder, a227.exact) == (55, 0, True)
    # torchvision pads by 2: 55 outputs, and the one unused row is padding, not image.
    tv = conv_arithmetic(224, 11, 4, padding=2)
    assert (tv.output, tv.remainder, tv.dropped_input) == (55, 1, 0)
    # d2l pads by 1: 54 outputs, 3 unused rows of which 2 are real image.
    d2l = conv_arithmetic(224, 11, 4, padding=1)
    assert (d2l.output, d2l.remainder, d2l.dropped_input) == (54, 3, 2)
    assert a224 == ConvArithmetic(224, 11, 4, 0, 1, 54, 1)
    with pytest.raises(Exception):
        a224.output = 55  # frozen


@pytest.mark.parametrize("call, words", [
    (lambda: conv_output_size(11, 13), ["kernel=13", "size=11", "padding=0", "kernel <= 11"]),
    (lambda: conv_output_size(5, 3, 1, 0, 3), ["kernel=3", "dilation=3", "7"]),
    (lambda: conv_output_size(0, 3), ["size=0", "an integer from 1 to"]),
    (lambda: conv_output_size(10, 0), ["kernel=0", "an integer from 1 to"]),
    (lambda: conv_output_size(10, 3, 0), ["stride=0", "an integer from 1 to"]),
    (lambda: conv_output_size(10, 3, 1, -1), ["padding=-1", "an integer from 0 to"]),
    (lambda: conv_output_size(10, 3, 1, 0, 0), ["dilation=0", "an integer from 1 to"]),
    (lambda: conv_output_size(10.0, 3), ["size=10.0", "integer", "float"]),
    (lambda: conv_output_size(10, True), ["kernel=True", "integer", "bool"]),
    (lambda: conv_output_size("224", 3), ["size='224'", "integer"]),
    (lambda: conv_remainder(4, 5), ["kernel=5", "size=4"]),
    (lambda: conv_arithmetic(224, 11, 4.0), ["stride=4.0", "integer"]),
    (lambda: pool_output_size(10, 3, 2, padding=2), ["padding=2", "kernel=3", "<= 1"]),
    (lambda: pool_output_size(2, 3, 2), ["kernel=3", "size=2"]),
    (lambda: pool_output_size(10, 3, ceil_mode=1), ["ceil_mode=1", "True or False"]),
])
def test_value_errors_name_the_argument_its_value_and_what_is_valid(call, words):
    with pytest.raises(ValueError) as err:
        call()
    for word in words:
        assert word in str(err.value)


def test_numpy_integers_are_accepted():
    np = pytest.importorskip("numpy")
    assert conv_output_size(np.int64(227), np.int32(11), 4) == 55


# ----------------------------------------------------------------------------- layer table


@pytest.fixture(scope="module")
def d2l_table() -> LayerTable:
    return layer_table(alexnet_d2l(), (1, 224, 224))


def test_layer_table_rows_for_d2l(d2l_table):
    t = d2l_table
    assert len(t) == 20
    assert [r.name for r in t][:3] == ["features.0", "features.1", "features.2"]
    assert t[0] == LayerRow("features.0", "Conv2d", 11, 4, 1, (96, 54, 54), 11_712, 96 * 54 * 54 * 1 * 11 * 11)
    assert t[1].kernel is None and t[1].params == 0 and t[1].macs == 0
    assert t[2].type == "MaxPool2d" and (t[2].kernel, t[2].stride, t[2].padding) == (3, 2, 0)
    convs_and_pools = [(r.type, r.output_shape[-1]) for r in t if r.type in ("Conv2d", "MaxPool2d")]
    assert [s for _, s in convs_and_pools] == [54, 26, 26, 12, 12, 12, 12, 5]
    assert t[-1].type == "Linear" and t[-1].output_shape == (10,)
    assert t.input_shape == (1, 224, 224)


def test_layer_table_totals_for_d2l(d2l_table):
    model = alexnet_d2l()
    assert d2l_table.total_params == sum(r.params for r in d2l_table) == 46_764_746
    assert d2l_table.total_params == sum(p.numel() for p in model.parameters())
    # MACs by hand: C_out * H * W * C_in * k * k for each convolution, in * out for each linear layer.
    convs = [(96, 54, 1, 11), (256, 26, 96, 5), (384, 12, 256, 3), (384, 12, 384, 3), (256, 12, 384, 3)]
    linears = [(6400, 4096), (4096, 4096), (4096, 10)]
    expected = sum(c * h * h * i * k * k for c, h, i, k in convs) + sum(i * o for i, o in linears)
    assert d2l_table.total_macs == expected == 938_146_176


def test_layer_table_renderings_show_totals(d2l_table):
    text = d2l_table.to_text()
    assert str(d2l_table) == text
    assert "46,764,746" in text and "938,146,176" in text and "96×54×54" in text
    last = text.splitlines()[-1]
    assert last.startswith("total") and last.rstrip().endswith("938,146,176")
    widths = {len(line) for line in text.splitlines()[:2]}
    assert len(widths) == 1  # header and rule line up
    page = d2l_table._repr_html_()
    assert page.startswith("<table>") and page.endswith("</table>")
    assert "<tfoot>" in page and "46,764,746" in page and "938,146,176" in page
    assert page.count("<tr>") == len(d2l_table) + 2  # the header, one row per layer, the totals
    names = [r.name for r in d2l_table]
    assert [page.index(f">{n}<") for n in names] == sorted(page.index(f">{n}<") for n in names)  # in layer order
    assert "46,764,746" in repr(d2l_table)


def test_layer_table_restores_training_mode_and_accepts_a_batch_shape():
    model = alexnet_d2l().train()
    table = layer_table(model, (2, 1, 224, 224))
    assert model.training and all(m.training for m in model.modules())
    assert table[0].output_shape == (96, 54, 54)
    assert table[0].macs == 96 * 54 * 54 * 121  # per image, not per batch
    model.eval()
    layer_table(model, (1, 224, 224))
    assert not model.training


def test_layer_table_paper_net_counts_grouped_convolutions():
    table = layer_table(alexnet_paper(), (3, 227, 227))
    assert table.total_params == 60_965_224
    conv2 = [r for r in table if r.type == "Conv2d"][1]
    assert conv2.output_shape == (256, 27, 27)
    assert conv2.macs == 256 * 27 * 27 * (96 // 2) * 5 * 5


def test_layer_table_non_square_settings_are_tuples():
    model = nn.Sequential(nn.Conv2d(1, 2, (3, 5), stride=(1, 2), padding=(1, 0)))
    row = layer_table(model, (1, 9, 9))[0]
    assert (row.kernel, row.stride, row.padding, row.output_shape) == ((3, 5), (1, 2), (1, 0), (2, 9, 3))


def test_layer_table_cross_check_catches_a_layer_that_disagrees_with_the_formula():
    class Liar(nn.MaxPool2d):
        def forward(self, x):
            return F.max_pool2d(x, 2)

    with pytest.raises(RuntimeError, match="formula"):
        layer_table(nn.Sequential(Liar(3, 1)), (1, 8, 8))


def test_layer_table_refuses_parameters_the_forward_pass_never_used():
    class Partial(nn.Module):
        def __init__(self):
            super().__init__()
            self.used = nn.Linear(4, 2)
            self.unused = nn.Linear(4, 2)

        def forward(self, x):
            return self.used(x.flatten(1))

    with pytest.raises(RuntimeError, match="parameters"):
        layer_table(Partial(), (1, 2, 2))


@pytest.mark.parametrize("bad", [(224, 224), (1, 0, 224), [1, 2.0, 3], "1x224x224", (1, 1, 1, 1, 1)])
def test_layer_table_rejects_bad_input_shapes(bad):
    with pytest.raises(ValueError, match="input_shape"):
        layer_table(nn.Sequential(nn.Identity()), bad)

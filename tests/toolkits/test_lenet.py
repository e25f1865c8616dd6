"""LeNet-5 and its comparison with AlexNet (toolkits.lenet), the chapter's explorer and its three checkers."""

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from alexnet_lib.exercises._common import assert_passes
from alexnet_lib.exercises.history import (
    check_c1_padding,
    check_fc_parameters,
    check_stride_prediction,
)
from alexnet_lib.net.model import AlexNetConfig, alexnet_paper, count_parameters  # noqa: E402
from alexnet_lib.toolkits import lenet  # noqa: E402
from alexnet_lib.toolkits.architecture import conv_macs, conv_params  # noqa: E402
from tests.single_thread import one_thread  # noqa: E402, F401

# LeNet-5 with full connections, counted by hand (weights + one bias per output unit):
#   C1  6 × (1·5·5 + 1)    =    156
#   C3 16 × (6·5·5 + 1)    =  2,416   (the paper's connection table: 60·25 + 16 = 1,516)
#   C5 120 × (16·5·5 + 1)  = 48,120
#   F6 84 × (120 + 1)      = 10,164
#   out 10 × (84 + 1)      =    850
#   total                    61,706
HAND_PARAMS = {"C1": 156, "C3": 2_416, "C5": 48_120, "F6": 10_164, "output": 850}
# Multiply-adds, one per weight per output value:
#   C1 6·28·28·25, C3 16·10·10·150, C5 120·400, F6 84·120, out 10·84.
HAND_MACS = {"C1": 117_600, "C3": 240_000, "C5": 48_000, "F6": 10_080, "output": 840}


@pytest.fixture(scope="module")
def net():
    return lenet.lenet5()


@pytest.fixture(scope="module")
def paper():
    return alexnet_paper()


# ----------------------------------------------------------------------------- the network


def test_parameter_counts_match_the_hand_count(net):
    layers = [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert [count_parameters(m) for m in layers] == list(HAND_PARAMS.values())
    assert count_parameters(net) == sum(HAND_PARAMS.values()) == 61_706


def test_feature_map_sizes_come_from_the_formulas_and_match_the_forward_pass(net):
    assert lenet.lenet5_sizes() == [("C1", 28), ("S2", 14), ("C3", 10), ("S4", 5), ("C5", 1)]
    shapes, x = [], torch.zeros(1, 1, 32, 32)
    with torch.no_grad():
        for m in net.features:
            x = m(x)
            if isinstance(m, (nn.Conv2d, nn.AvgPool2d)):
                shapes.append(tuple(x.shape[1:]))
    assert shapes == [(6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5), (120, 1, 1)]


def test_layout_reads_like_torchvision(net):
    assert isinstance(net.features, nn.Sequential) and isinstance(net.classifier, nn.Sequential)
    assert [type(m).__name__ for m in net.features] == ["Conv2d", "ScaledTanh", "AvgPool2d", "Conv2d", "ScaledTanh",
                                                         "AvgPool2d", "Conv2d", "ScaledTanh"]
    assert [type(m).__name__ for m in net.classifier] == ["Linear", "ScaledTanh", "Linear"]
    assert not any(isinstance(m, (nn.MaxPool2d, nn.ReLU, nn.Dropout)) for m in net.modules())


def test_scaled_tanh_maps_one_to_one_and_saturates_at_the_amplitude():
    f = lenet.ScaledTanh()
    x = torch.tensor([-1.0, 0.0, 1.0, 50.0], dtype=torch.float64)
    y = f(x)
    assert torch.allclose(y[:3], torch.tensor([-1.0, 0.0, 1.0], dtype=torch.float64), atol=1e-4)
    assert float(y[3]) == pytest.approx(1.7159)
    assert torch.allclose(f(-x), -y)


def test_forward_gives_ten_scores_and_refuses_other_inputs(net):
    with torch.no_grad():
        assert net(torch.zeros(2, 1, 32, 32)).shape == (2, 10)
    for bad in (torch.zeros(2, 1, 28, 28), torch.zeros(2, 3, 32, 32), torch.zeros(2, 1, 32, 32, dtype=torch.long),
                [[0.0]]):
        with pytest.raises(ValueError, match="x must be a float tensor of shape"):
            net(bad)


def test_other_inputs_need_the_right_padding():
    with pytest.raises(ValueError, match="C5 gets a 4x4 map"):
        lenet.lenet5(input_size=28)
    padded = lenet.lenet5(input_size=28, c1_padding=2)  # d2l's LeNet pads C1 by 2 for 28×28 digits
    assert count_parameters(padded) == 61_706
    with torch.no_grad():
        assert padded(torch.zeros(1, 1, 28, 28)).shape == (1, 10)
    # A larger input leaves C5 wider than 1×1: F6 then reads 120·s·s values.
    big = lenet.lenet5(input_size=36)  # 32, 16, 12, 6, then C5 gives 2×2
    assert big.sizes[-1] == ("C5", 2) and big.classifier[0].in_features == 480
    for kwargs in ({"input_size": 0}, {"c1_padding": -1}, {"num_classes": 0}, {"in_channels": 1.5}):
        with pytest.raises(ValueError, match=f"^{next(iter(kwargs))}="):
            lenet.lenet5(**kwargs)


def _c5_is_1x1(size, padding):
    try:
        return lenet.lenet5_sizes(size, padding)[-1] == ("C5", 1)
    except ValueError:  # a layer does not fit at all
        return False


def test_c1_padding_for_is_the_smallest_that_gives_a_1x1_c5():
    want = {20: 6, 21: 6, 24: 4, 27: 3, 28: 2, 29: 2, 30: 1, 31: 1, 32: 0, 33: 0, 35: 0}
    assert {w: lenet.c1_padding_for(w) for w in want} == want
    for w in range(16, 36):
        p = lenet.c1_padding_for(w)
        assert _c5_is_1x1(w, p) and not any(_c5_is_1x1(w, q) for q in range(p))
    with pytest.raises(ValueError, match="C5 is already 2x2 without padding"):
        lenet.c1_padding_for(36)
    with pytest.raises(ValueError, match="it needs more than 2"):
        lenet.c1_padding_for(20, most=2)


# ----------------------------------------------------------------------------- counting


def test_multiply_adds_of_single_layers_match_the_hand_formula():
    # Conv2d: out_channels × H_out × W_out × (in_channels / groups) × K².
    conv = nn.Conv2d(3, 8, kernel_size=3, stride=2, padding=1)  # 17 → ⌊(17 + 2 − 3) / 2⌋ + 1 = 9
    assert lenet.multiply_adds(conv, (3, 17, 17)) == 8 * 9 * 9 * 3 * 3 * 3 == conv_macs(3, 8, 3, 9)
    grouped = nn.Conv2d(4, 6, kernel_size=3, groups=2)
    assert lenet.multiply_adds(grouped, (4, 5, 5)) == 6 * 3 * 3 * 2 * 3 * 3 == conv_macs(4, 6, 3, 3, groups=2)
    assert lenet.multiply_adds(nn.Sequential(nn.Flatten(), nn.Linear(12, 5)), (3, 2, 2)) == 60
    assert lenet.multiply_adds(nn.AvgPool2d(2), (1, 4, 4)) == 0  # pooling adds, but multiplies by no weight


def test_multiply_adds_of_lenet5_and_alexnet(net, paper):
    from alexnet_lib.net.shapes import layer_table

    rows = [r for r in layer_table(net, (1, 32, 32)) if r.type in ("Conv2d", "Linear")]
    assert [r.macs for r in rows] == list(HAND_MACS.values())
    assert lenet.multiply_adds(net, (1, 32, 32)) == sum(HAND_MACS.values()) == 416_520
    # AlexNet's five grouped/ungrouped convolutions by the architecture module's formula, plus its three FC layers.
    c = AlexNetConfig(groups=2)
    convs = sum(conv_macs(s.in_channels, s.out_channels, s.kernel, size, s.groups)
                for s, size in zip(c.layers, c.feature_sizes) if s.kind == "conv")
    assert lenet.multiply_adds(paper, (3, 227, 227)) == convs + 9216 * 4096 + 4096 * 4096 + 4096 * 1000 == 724_406_816
    with pytest.raises(ValueError):
        lenet.multiply_adds(net, (1, 28, 28))


def test_fc_parameters_counts_weights_and_biases():
    assert lenet.fc_parameters(120, [84, 10]) == 10_164 + 850 == 11_014
    assert lenet.fc_parameters(9216, (4096, 4096, 1000)) == 58_631_144
    assert lenet.fc_parameters(5, []) == 0
    with torch.device("meta"):  # the real layers, without allocating 58 million weights
        layers = nn.Sequential(nn.Linear(9216, 4096), nn.Linear(4096, 4096), nn.Linear(4096, 1000))
    assert count_parameters(layers) == 58_631_144
    for bad in ("84", None, [84, 0], [84.5]):
        with pytest.raises(ValueError, match="widths"):
            lenet.fc_parameters(120, bad)
    with pytest.raises(ValueError, match="^n_in="):
        lenet.fc_parameters(0, [1])


def test_the_papers_count_is_60000_with_its_connection_table(net):
    assert lenet.paper_parameters() == {"C1": 156, "S2": 12, "C3": 1_516, "S4": 32, "C5": 48_120, "F6": 10_164,
                                        "output": 0}
    assert sum(lenet.paper_parameters().values()) == 60_000
    table = lenet.C3_TABLE
    assert len(table) == 16 and all(list(t) == sorted(set(t)) and set(t) <= set(range(6)) for t in table)
    assert [len(t) for t in table] == [3] * 6 + [4] * 9 + [6]
    assert all(sum(i in t for t in table) == 10 for i in range(6))  # every S2 map feeds ten C3 maps
    text = lenet.parameter_comparison(net).to_text()
    assert "61,706" in text and "60,000" in text and "1,516" in text
    with pytest.raises(ValueError, match="lenet5"):
        lenet.parameter_comparison(lenet.lenet5(input_size=28, c1_padding=2))


def test_comparison_table_is_read_from_the_networks(net, paper):
    table = lenet.compare_lenet_alexnet(net, paper)
    rows = {r[0]: r[1:] for r in table.rows}
    assert rows["input"] == ("1×32×32", "3×227×227")
    assert rows["convolutional layers"] == ("3", "5") and rows["fully connected layers"] == ("2", "3")
    assert rows["parameters"] == ("61,706", "60,965,224")
    assert rows["multiply-adds per image"] == ("416,520", "724,406,816")
    assert rows["activation"] == ("1.7159·tanh(2x/3)", "ReLU")
    assert rows["pooling"] == ("average 2×2, stride 2", "max 3×3, stride 2 (overlapping)")
    assert rows["normalisation"] == ("none", "LRN (2 layers)")
    assert rows["dropout"] == ("none", "p = 0.5")
    assert "1.2 M" in rows["training data"][1] and "60,000" in rows["training data"][0]
    assert "GTX 580" in rows["hardware"][1]
    with pytest.raises(ValueError, match="LeNet5 first"):
        lenet.compare_lenet_alexnet(paper, net)
    with pytest.raises(ValueError, match="LeNet5"):
        lenet.network_facts(nn.Linear(2, 2))


def test_growth_ratios(net, paper):
    ratios = lenet.growth_ratios(net, paper)
    assert ratios["parameters"] == pytest.approx(60_965_224 / 61_706)
    assert ratios["multiply-adds"] == pytest.approx(724_406_816 / 416_520)
    with pytest.raises(ValueError, match="lenet must be a LeNet5"):
        lenet.growth_ratios(paper, paper)
    assert lenet.image_shape(net) == (1, 32, 32) and lenet.image_shape(paper) == (3, 227, 227)
    with pytest.raises(ValueError, match="LeNet5 .* or an AlexNet"):
        lenet.image_shape(nn.Linear(2, 2))


def test_conv1_stride_growth_is_counted_without_allocating():
    # Stride 1: conv1 gives 217, the pools 108, 53, 26; FC1 then reads 256·26·26 = 173,056 values, not 9,216.
    params, macs = lenet.alexnet_costs(AlexNetConfig(groups=2, conv1_stride=1))
    assert params == 60_965_224 + (173_056 - 9_216) * 4096 == 732_053_864
    c = AlexNetConfig(groups=2, conv1_stride=1)
    assert c.feature_sizes == (217, 108, 108, 53, 53, 53, 53, 26)
    convs = sum(conv_macs(s.in_channels, s.out_channels, s.kernel, size, s.groups)
                for s, size in zip(c.layers, c.feature_sizes) if s.kind == "conv")
    assert macs == convs + 173_056 * 4096 + 4096 * 4096 + 4096 * 1000
    growth = lenet.conv1_stride_growth(1)
    assert growth["parameters"] == pytest.approx(732_053_864 / 60_965_224)
    assert growth["multiply-adds"] == pytest.approx(macs / 724_406_816)
    assert lenet.conv1_stride_growth(4) == {"parameters": 1.0, "multiply-adds": 1.0}
    assert conv_params(3, 96, 11) == 34_944  # conv1's weights do not depend on its stride
    with pytest.raises(ValueError, match="^stride="):
        lenet.conv1_stride_growth(0)
    with pytest.raises(ValueError, match="AlexNetConfig"):
        lenet.alexnet_costs("paper")


# ----------------------------------------------------------------------------- the explorer


# ----------------------------------------------------------------------------- the checkers


def _fc(n, widths):
    total = 0
    for width in widths:
        total, n = total + (n + 1) * width, width
    return total


ODD = [None, "12", float("nan"), float("inf"), object(), [], {}, -1, 10 ** 30, torch.zeros(3), np.array([1, 2])]


def test_stride_prediction_accepts_the_right_factors_in_any_numeric_type(capsys):
    truth = lenet.conv1_stride_growth(1)
    assert check_stride_prediction({"parameters": 12, "multiply-adds": 16})
    assert check_stride_prediction({"parameters": np.float64(truth["parameters"]),
                                    "multiply-adds": torch.tensor(truth["multiply-adds"])})
    assert_passes(check_stride_prediction, {"parameters": 11, "multiply-adds": 18})
    capsys.readouterr()


@pytest.mark.parametrize("answer", [{"parameters": 1, "multiply-adds": 16}, {"parameters": 16, "multiply-adds": 16},
                                    {"parameters": 12, "multiply-adds": 4}, {"parameters": 12, "multiply-adds": 64},
                                    {"parameters": 12}, {"parameters": 12, "multiply-adds": 16, "x": 1},
                                    (12, 16), {"parameters": 0, "multiply-adds": 16}, lambda: 0,
                                    *({"parameters": v, "multiply-adds": 16} for v in ODD)])
def test_stride_prediction_rejects_wrong_answers_without_raising(capsys, answer):
    assert check_stride_prediction(answer) is False
    out = capsys.readouterr().out
    assert out.startswith("❌") and "12.0" not in out and "15.9" not in out  # the hint never gives the factors
    with pytest.raises(AssertionError, match="❌"):
        assert_passes(check_stride_prediction, answer)


def test_c1_padding_checker(capsys):
    assert check_c1_padding(lambda w: max(0, math.ceil((32 - w) / 2)))
    assert check_c1_padding(lenet.c1_padding_for)
    assert check_c1_padding(lambda w: np.int64(lenet.c1_padding_for(w)))
    assert check_c1_padding(lambda w: float(lenet.c1_padding_for(w)))
    wrong = [lambda w: max(0, (32 - w) // 2),  # misses the floors: 29 needs 2, not 1
             lambda w: (32 - w) // 2,  # negative for large inputs
             lambda w: lenet.c1_padding_for(w) + 1, lambda w: 2, lambda w: 1 / 0, lambda w: exit(),
             lambda w: None, lambda w: float("nan"), lambda w: 2.5, lambda w: [2], lambda: 2, 5, None]
    for fn in wrong:
        assert check_c1_padding(fn) is False
    out = capsys.readouterr().out
    assert out.count("❌") == len(wrong) and "Traceback" not in out


def test_fc_parameters_checker(capsys):
    assert check_fc_parameters(_fc)
    assert check_fc_parameters(lenet.fc_parameters)
    assert check_fc_parameters(lambda n, ws: torch.tensor(_fc(n, ws)))
    weights_only = lambda n, ws: sum(a * b for a, b in zip([n, *ws], ws))  # noqa: E731
    bias_per_input = lambda n, ws: sum(a * (b + 1) for a, b in zip([n, *ws], ws))  # noqa: E731
    assert check_fc_parameters(weights_only) is False
    assert "you counted the weights only" in capsys.readouterr().out
    assert check_fc_parameters(bias_per_input) is False
    assert "one bias per output unit" in capsys.readouterr().out
    for fn in (lambda n, ws: _fc(n, ws) + 1, lambda n, ws: float(_fc(n, ws)) + 0.5, lambda n, ws: float("inf"),
               lambda n, ws: ws.append(1), lambda n: 0, lambda n, ws: 10 ** 40, "fc_parameters"):
        assert check_fc_parameters(fn) is False
    assert "Traceback" not in capsys.readouterr().out


def test_checkers_leave_the_global_rng_alone(capsys):
    from alexnet_lib.exercises import history

    history._stride_growth.cache_clear()  # so that the stride checker builds its networks again
    state = torch.get_rng_state()
    check_stride_prediction({"parameters": 12, "multiply-adds": 16})
    check_c1_padding(lenet.c1_padding_for)
    check_fc_parameters(_fc)
    assert torch.equal(state, torch.get_rng_state())
    capsys.readouterr()


def test_uses_per_parameter_by_hand():
    from alexnet_lib.toolkits.lenet import lenet5, uses_per_parameter
    net = lenet5()
    # C1 156 params, 117,600 MACs; C3 2,416 and 240,000; C5 48,120 and 48,000 (6 x 28 x 28 x 25 for C1, ...)
    assert uses_per_parameter(net, (1, 32, 32), "Conv2d") == pytest.approx(405_600 / 50_692)
    assert uses_per_parameter(net, (1, 32, 32)) == pytest.approx(416_520 / 61_706)
    with pytest.raises(ValueError, match="no parameters in layers of type 'Conv3d'"):
        uses_per_parameter(net, (1, 32, 32), "Conv3d")

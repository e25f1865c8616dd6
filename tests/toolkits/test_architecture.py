"""The two-GPU split: towers equal grouped convolutions, bad input is refused, and the costs add up."""

import pytest
import torch
from torch import nn

from alexnet_lib.net.model import (
    AlexNet,
    AlexNetConfig,
    alexnet_d2l,
    alexnet_paper,
    alexnet_torchvision,
    count_parameters,
)
from alexnet_lib.net.shapes import layer_table
from alexnet_lib.tables import Table
from alexnet_lib.toolkits.architecture import (
    allreduce_bytes,
    compare_layers,
    compare_models,
    conv_macs,
    conv_params,
    cross_gpu_crossings,
    cross_gpu_traffic,
    grouping_costs,
    grouping_savings,
    max_tower_difference,
    merge_towers,
    model_facts,
    split_grouped_conv,
    towers_forward,
)

# (in, out, kernel, stride, padding, dilation, bias, input size)
SHAPES = [(96, 256, 5, 1, 2, 1, True, 27), (384, 384, 3, 1, 1, 1, True, 13), (384, 256, 3, 1, 1, 1, True, 13),
          (4, 6, 3, 2, 0, 1, False, 9), (2, 2, 1, 1, 0, 1, True, 4), (6, 8, (3, 5), (2, 1), (1, 2), 2, True, 11)]


@pytest.fixture(scope="module")
def nets() -> dict:
    """The three named networks, built once (they are only read)."""
    return {"paper": alexnet_paper(), "torchvision": alexnet_torchvision(), "d2l": alexnet_d2l()}


@pytest.fixture(scope="module")
def paper_table(nets):
    return layer_table(nets["paper"], (3, 227, 227))


def grouped(c_in, c_out, k, stride, padding, dilation, bias, seed=0):
    torch.manual_seed(seed)
    conv = nn.Conv2d(c_in, c_out, k, stride=stride, padding=padding, dilation=dilation, groups=2, bias=bias)
    if bias:
        nn.init.normal_(conv.bias)  # non-zero biases, so a bias copied to the wrong tower shows
    return conv


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_towers_equal_the_grouped_conv(shape):
    *args, size = shape
    conv = grouped(*args)
    a, b = split_grouped_conv(conv)
    assert a.groups == b.groups == 1 and a.in_channels == conv.in_channels // 2
    assert a.out_channels == b.out_channels == conv.out_channels // 2
    x = torch.randn(3, conv.in_channels, size, size)
    with torch.no_grad():
        assert torch.allclose(towers_forward(x, a, b), conv(x), atol=1e-5)
        assert torch.allclose(towers_forward(x[0], a, b), conv(x[0]), atol=1e-5)  # no batch axis
    assert max_tower_difference(conv, x) < 1e-5


def test_towers_are_copies_and_merge_back():
    conv = grouped(8, 12, 3, 1, 1, 1, True)
    a, b = split_grouped_conv(conv)
    assert a.weight.data_ptr() != conv.weight.data_ptr()
    with torch.no_grad():
        a.weight.zero_()
    assert conv.weight.abs().sum() > 0  # changing a tower leaves the original alone
    a, b = split_grouped_conv(conv)
    merged = merge_towers(a, b)
    assert merged.groups == 2 and torch.equal(merged.weight, conv.weight) and torch.equal(merged.bias, conv.bias)


def test_the_paper_nets_grouped_layers_split_exactly(nets):
    net = nets["paper"]
    convs = [m for m in net.features if isinstance(m, nn.Conv2d)]
    assert [m.groups for m in convs] == [1, 2, 1, 2, 2]
    x = torch.randn(1, 96, 27, 27)
    assert max_tower_difference(convs[1], x) < 1e-6
    for conv in convs[3:]:
        assert max_tower_difference(conv, torch.randn(1, conv.in_channels, 13, 13)) < 1e-6


@pytest.mark.parametrize("conv, match", [(nn.Conv2d(4, 4, 3), "groups=1"), (nn.Conv2d(8, 8, 3, groups=4), "groups=4"),
                                         (nn.Linear(3, 3), "nn.Conv2d"), ("conv", "nn.Conv2d")])
def test_split_refuses_what_is_not_a_two_group_conv(conv, match):
    with pytest.raises(ValueError, match=match):
        split_grouped_conv(conv)


def test_towers_forward_refuses_mismatched_input():
    a, b = split_grouped_conv(grouped(8, 4, 3, 1, 1, 1, True))
    with pytest.raises(ValueError, match="x has 6 channels but the towers take 4 \\+ 4"):
        towers_forward(torch.zeros(1, 6, 5, 5), a, b)
    with pytest.raises(ValueError, match="must be a tensor"):
        towers_forward(torch.zeros(5, 5), a, b)
    with pytest.raises(ValueError, match="x has 6 channels"):
        max_tower_difference(grouped(8, 4, 3, 1, 1, 1, True), torch.zeros(1, 6, 5, 5))
    with pytest.raises(ValueError, match="ordinary nn.Conv2d"):
        towers_forward(torch.zeros(1, 8, 5, 5), a, nn.Conv2d(4, 4, 3, groups=2))


def test_merge_refuses_towers_that_differ():
    with pytest.raises(ValueError, match="kernel_size"):
        merge_towers(nn.Conv2d(4, 2, 3), nn.Conv2d(4, 2, 5))
    with pytest.raises(ValueError, match="bias"):
        merge_towers(nn.Conv2d(4, 2, 3), nn.Conv2d(4, 2, 3, bias=False))


def test_conv_params_and_macs_match_pytorch_and_layer_table(paper_table):
    for c_in, c_out, k, g in [(96, 256, 5, 2), (3, 96, 11, 1), (8, 12, 3, 4)]:
        assert conv_params(c_in, c_out, k, g) == count_parameters(nn.Conv2d(c_in, c_out, k, groups=g))
        assert conv_params(c_in, c_out, k, g, bias=False) == c_out * (c_in // g) * k * k
    convs = [r for r in paper_table if r.type == "Conv2d"]
    costs = grouping_costs()
    assert [r.params for r in convs] == [x.params_split for x in costs]
    assert [r.macs for r in convs] == [x.macs_split for x in costs]
    assert conv_macs(96, 256, 5, 27, 2) == convs[1].macs
    with pytest.raises(ValueError, match="divisible by groups=2"):
        conv_params(3, 96, 11, 2)
    with pytest.raises(ValueError, match="kernel=0"):
        conv_params(3, 96, 0)


def test_grouping_halves_conv2_4_5_and_matches_the_ungrouped_network(nets):
    costs = grouping_costs()
    assert [x.groups for x in costs] == [1, 2, 1, 2, 2]
    for x in costs:
        if x.groups == 2:
            assert x.params_split < x.params_full < 2 * x.params_split  # weights halve, biases stay
            assert x.macs_split * 2 == x.macs_full
        else:
            assert (x.params_full, x.macs_full) == (x.params_split, x.macs_split)
    ungrouped = layer_table(AlexNet(AlexNetConfig(groups=1)), (3, 227, 227))
    assert [r.macs for r in ungrouped if r.type == "Conv2d"] == [x.macs_full for x in costs]
    saved = sum(x.params_full - x.params_split for x in costs)
    assert count_parameters(nets["paper"]) + saved == ungrouped.total_params
    text = grouping_savings().to_text()
    assert "conv2" in text and "all five" in text and "50%" in text


def test_cross_gpu_traffic_counts_the_halves():
    crossings = cross_gpu_crossings()
    assert [x.layer for x in crossings] == ["conv3", "FC1", "FC2", "FC3"]
    assert crossings[0].values_per_gpu == 128 * 13 * 13 and crossings[1].values == 9216
    text = cross_gpu_traffic(batch=128).to_text()
    assert "MB per batch of 128" in text and "total" in text
    with pytest.raises(ValueError, match="groups=1"):
        cross_gpu_crossings(AlexNetConfig(groups=1))
    with pytest.raises(ValueError, match="AlexNetConfig"):
        cross_gpu_crossings("paper")
    with pytest.raises(ValueError, match="batch=0"):
        cross_gpu_traffic(batch=0)


def test_allreduce_bytes():
    assert allreduce_bytes(1000, gpus=2) == 4000  # with two GPUs each sends the whole model once
    assert allreduce_bytes(1000, gpus=4) == 6000
    with pytest.raises(ValueError, match="gpus=1"):
        allreduce_bytes(1000, gpus=1)


def test_compare_models_reads_every_difference_from_the_models(nets):
    table = compare_models(nets)
    assert isinstance(table, Table) and table.headers == ("", "paper", "torchvision", "d2l")
    rows = {r[0]: r[1:] for r in table.rows}
    assert rows["input"] == ("3×227×227", "3×224×224", "1×224×224")
    assert rows["conv channels"] == ("96-256-384-384-256", "64-192-384-256-256", "96-256-384-384-256")
    assert rows["groups (conv1..5)"] == ("1-2-1-2-2", "1-1-1-1-1", "1-1-1-1-1")
    assert rows["conv1 kernel/stride/pad"] == ("11/4/0", "11/4/2", "11/4/1")
    assert rows["flatten features"] == ("9,216", "9,216", "6,400")
    assert rows["parameters"] == ("60,965,224", "61,100,840", "46,764,746")
    assert rows["dropout"] == ("inputs of FC2, FC3 (p=0.5)", "inputs of FC1, FC2 (p=0.5)",
                               "inputs of FC2, FC3 (p=0.5)")
    assert rows["adaptive avg pool"][1] == "to 6×6" and rows["LRN"][0] == "after conv1, conv2"
    assert str(table) == table.to_text() and "<table>" in table._repr_html_()


def test_compare_models_reads_an_unusual_model_from_its_modules():
    """A model none of the rows were written for: every cell must match what its real layers say."""
    from alexnet_lib.net.model import alexnet_fashion

    model = alexnet_fashion(input_size=67, lrn=False, pool_kernel=2, hidden=48, dropout=0.25,
                            channels=(16, 32, 48, 40, 24), init="kaiming")
    col = {r[0]: r[1] for r in compare_models({"mine": model}).rows}
    convs = [m for m in model.features if isinstance(m, nn.Conv2d)]
    linears = [m for m in model.classifier if isinstance(m, nn.Linear)]
    with torch.no_grad():
        fmap = model.features(torch.zeros(1, 1, 67, 67)).shape  # a real forward pass
    assert col["input"] == "1×67×67"
    assert col["conv channels"] == "-".join(str(m.out_channels) for m in convs) == "16-32-48-40-24"
    assert col["groups (conv1..5)"] == "1-1-1-1-1" and col["LRN"] == "none"
    assert col["map after pool3"] == f"{fmap[1]}×{fmap[2]}×{fmap[3]}"
    assert col["flatten features"] == f"{linears[0].in_features:,}" == f"{fmap[1] * fmap[2] * fmap[3]:,}"
    assert col["FC widths"] == "48-48-10"
    assert col["dropout"] == "inputs of FC2, FC3 (p=0.25)" and col["weight init"] == "kaiming"
    assert col["parameters"] == f"{sum(p.numel() for p in model.parameters()):,}"
    # MACs by hand from the real output sizes: C_out * H * W * C_in / groups * k * k, and in * out per linear.
    sizes = []
    hooks = [m.register_forward_hook(lambda m, i, o: sizes.append(o.shape[-1])) for m in convs]
    with torch.no_grad():
        model.eval()(torch.zeros(1, 1, 67, 67))
    for h in hooks:
        h.remove()
    macs = sum(m.out_channels * s * s * m.in_channels // m.groups * m.kernel_size[0] ** 2 for m, s in zip(convs, sizes))
    macs += sum(m.in_features * m.out_features for m in linears)
    assert col["MACs per image"] == f"{macs:,}"


def test_compare_models_refuses_bad_input():
    with pytest.raises(ValueError, match="non-empty dict"):
        compare_models({})
    with pytest.raises(ValueError, match="must be an alexnet_lib.net.model.AlexNet"):
        model_facts(nn.Linear(2, 2))


def test_compare_layers_lines_up_conv_and_fc_rows(nets, paper_table):
    tables = {"paper": paper_table, "d2l": layer_table(nets["d2l"], (1, 224, 224))}
    table = compare_layers(tables)
    assert [r[0] for r in table.rows] == [f"conv{i}" for i in range(1, 6)] + ["FC1", "FC2", "FC3", "total"]
    assert table.rows[0][1:] == ("96×55×55", "34,944", "96×54×54", "11,712")
    assert table.rows[-1] == ("total", "", "60,965,224", "", "46,764,746")
    with pytest.raises(ValueError, match="LayerTable"):
        compare_layers({"paper": nets["paper"]})
    with pytest.raises(ValueError, match="non-empty dict"):
        compare_layers({})


def test_the_paper_net_written_as_a_sequential_is_alexnet_paper_and_differences_are_named():
    from torch import nn

    from alexnet_lib.net.layers import LocalResponseNorm
    from alexnet_lib.net.model import alexnet_paper
    from alexnet_lib.toolkits.architecture import layer_differences, same_function

    ref = alexnet_paper()
    written = nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(inplace=True), LocalResponseNorm(), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(inplace=True), LocalResponseNorm(), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(inplace=True),
        nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2), nn.Flatten(),
        nn.Linear(9216, 4096), nn.ReLU(inplace=True), nn.Dropout(0.5),
        nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(0.5), nn.Linear(4096, 1000))
    assert layer_differences(written, ref) == []
    before = written[0].weight.clone()
    assert same_function(written, ref, (1, 3, 227, 227)) == 0.0  # the same layers compute the same numbers
    assert torch.equal(written[0].weight, before)  # on a copy: the learner's weights stay theirs
    # PyTorch's LRN averages the squares, so the paper's layer is alpha = 5e-4 there; ReLU(inplace) is the same ReLU.
    torch_lrn = nn.Sequential(*written[:2], nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0), *written[3:])
    torch_lrn[1] = nn.ReLU()
    assert layer_differences(torch_lrn, ref) == []
    torch_lrn[2] = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)
    assert layer_differences(torch_lrn, ref) == [
        "layer 3 (LocalResponseNorm): alpha=2e-05 where the reference has alpha=0.0001"]
    no_flatten = nn.Sequential(*[m for m in written if not isinstance(m, nn.Flatten)])
    with pytest.raises(ValueError, match=r"needs an nn.Flatten\(\) before its first nn.Linear"):
        same_function(no_flatten, ref, (1, 3, 227, 227))
    written[8] = nn.Conv2d(256, 384, 3, padding=1, groups=2)
    written[3] = nn.AvgPool2d(3, 2)
    assert layer_differences(written, ref) == ["layer 4: AvgPool2d where the reference has MaxPool2d",
                                               "layer 9 (Conv2d): groups=2 where the reference has groups=1"]
    shorter = nn.Sequential(*list(ref.features), nn.Flatten(), *list(ref.classifier)[:-1])
    assert layer_differences(shorter, ref) == ["21 layers where the reference has 22"]
    with pytest.raises(ValueError, match="differ layer by layer"):
        same_function(written, ref)
    with pytest.raises(ValueError, match="must be a torch.nn.Module"):
        layer_differences("alexnet", ref)

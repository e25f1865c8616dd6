"""The "Results and metrics" chapter's library: the paper's tables as data, AlexNet without a convolution
(alexnet_lib.toolkits.depth), and the hints of the chapter's three checkers."""

import pytest
import torch
from torch import nn

from alexnet_lib.exercises.results import check_ensemble_average, check_removal_prediction, check_top_k_accuracy
from alexnet_lib.net.model import AlexNetConfig, count_parameters
from alexnet_lib.net.shapes import layer_table
from alexnet_lib.toolkits import depth, paper_results
from alexnet_lib.toolkits.architecture import conv_params

# ----------------------------------------------------------------------------- the paper's tables


def test_the_tables_hold_the_papers_figures():
    t1, t2 = paper_results.TABLE_1, paper_results.TABLE_2
    assert [(e.model, e.errors) for e in t1.entries] == [("Sparse coding", (47.1, 28.2)), ("SIFT + FVs", (45.7, 25.7)),
                                                        ("CNN", (37.5, 17.0))]
    assert t2.error("SIFT + FVs", "top-5 test") == 26.2
    assert (t2.error("1 CNN", "top-1 val"), t2.error("1 CNN", "top-5 val")) == (40.7, 18.2)
    assert t2.entry("5 CNNs").errors == (38.1, 16.4, 16.4)
    assert t2.entry("1 CNN*").errors == (39.0, 16.6, None)
    assert t2.entry("7 CNNs*").errors == (36.7, 15.4, 15.3)
    assert [e.theirs for e in t2.entries] == [False, True, True, True, True]
    assert "15M images, 22K categories" in t2.entry("1 CNN*").what


def test_the_effects_the_chapter_tests_come_from_the_tables():
    assert paper_results.ensemble_gain() == pytest.approx(0.026)  # 40.7% -> 38.1% top-1 on validation
    assert paper_results.ensemble_gain("top-5 val") == pytest.approx(0.018)
    assert paper_results.DEPTH_LOSS == 0.02
    with pytest.raises(ValueError, match="no top-5 test figure for '1 CNN'"):
        paper_results.ensemble_gain("top-5 test")


def test_tables_render_with_a_dash_where_the_paper_gives_nothing():
    table = paper_results.paper_table("Table 2")
    assert table.headers == ("model", "top-1 val", "top-5 val", "top-5 test", "what it is")
    assert table.rows[0][:4] == ("SIFT + FVs (others)", "—", "—", "26.2%")
    assert table.rows[-1][1:4] == ("36.7%", "15.4%", "15.3%")
    assert "<table>" in table._repr_html_()
    for bad, match in ((lambda: paper_results.paper_table("Table 3"), "name='Table 3' is not valid"),
                       (lambda: paper_results.TABLE_2.entry("2 CNNs"), "model='2 CNNs' is not valid"),
                       (lambda: paper_results.TABLE_1.error("CNN", "top-1 val"), "column='top-1 val' is not valid")):
        with pytest.raises(ValueError, match=match):
            bad()


# ----------------------------------------------------------------------------- AlexNet without a convolution

# The paper's convolutions (groups=2 in conv2, conv4, conv5), counted by the formula out x in/groups x k^2 + out.
CONV = {"conv2": conv_params(96, 256, 5, 2), "conv3": conv_params(256, 384, 3), "conv4": conv_params(384, 384, 3, 2),
        "conv5": conv_params(384, 256, 3, 2)}


def test_removals_counted_by_hand():
    # Without conv2, conv3 reads conv1's 96 maps; without conv3, conv4 reads conv2's 256; without conv4, conv5 reads
    # conv3's 384 (as before); without conv5, FC1 reads 384 x 6 x 6 values instead of 256 x 6 x 6.
    by_hand = {
        "conv2": CONV["conv2"] + CONV["conv3"] - conv_params(96, 384, 3),
        "conv3": CONV["conv3"] + CONV["conv4"] - conv_params(256, 384, 3, 2),
        "conv4": CONV["conv4"],
        "conv5": CONV["conv5"] - (384 - 256) * 6 * 6 * 4096,
    }
    assert {r.layer: r.parameters_saved for r in depth.removals()} == by_hand
    assert by_hand["conv3"] == 1_106_304 and by_hand["conv3"] > CONV["conv3"]  # the trap: conv4 shrinks too
    assert by_hand["conv5"] == -18_431_744  # the network grows
    assert all(r.parameters == 60_965_224 - r.parameters_saved for r in depth.removals())


@pytest.mark.parametrize("name", depth.REMOVABLE)
def test_a_network_without_a_convolution_runs_and_keeps_its_map_sizes(name):
    net = depth.without_conv(name)
    convs = [m for m in net if isinstance(m, nn.Conv2d)]
    assert len(convs) == 4 and all(p.is_meta for p in net.parameters())  # shapes only: nothing allocated
    table = layer_table(net, (3, 227, 227))
    assert table.total_params == count_parameters(net) == depth.removal(name).parameters
    pools = [r.output_shape[1:] for r in table if r.type == "MaxPool2d"]
    assert pools == [(27, 27), (13, 13), (6, 6)]  # the paper's sizes: every middle convolution keeps its input's
    assert table[-1].output_shape == (1000,)


def test_a_small_input_network_can_lose_a_layer_too():
    config = AlexNetConfig(in_channels=1, num_classes=10, input_size=71, lrn=False, pool_ceil_mode=True)
    r = depth.removal("conv5", config)
    assert r.parameters_saved == conv_params(384, 256, 3) - (384 - 256) * 2 * 2 * 4096
    assert "FC1 reads 384×2×2 values instead of 256×2×2" == r.rewired


def test_removal_refuses_what_cannot_go():
    with pytest.raises(ValueError, match=r"name='conv1' is not valid.*conv1 turns the image into maps"):
        depth.without_conv("conv1")
    with pytest.raises(ValueError, match="name='conv6' is not valid"):
        depth.removal("conv6")
    with pytest.raises(ValueError, match="config must be an AlexNetConfig"):
        depth.without_conv("conv3", config="paper")
    with pytest.raises(ValueError, match="non-empty list of convolutions"):
        depth.removal_table(layers="conv3")


def test_removal_table_rows():
    table = depth.removal_table(layers=("conv2", "conv4"))
    assert [row[0] for row in table.rows] == ["none", "conv2 (middle)", "conv4 (middle)"]
    assert table.rows[2][-1] == "conv5 reads conv3's 384 maps, as many as before"
    assert table.rows[2][2] == f"{-CONV['conv4']:+,}"
    assert depth.removal_table().rows[-1][2] == "+18,431,744"


# ----------------------------------------------------------------------------- the checkers' hints


def test_top_k_checker_names_the_usual_mistakes(capsys):
    def right(s, y, k):
        return float((s.topk(k, 1).indices == y[:, None]).any(1).double().mean())

    assert check_top_k_accuracy(right)
    assert not check_top_k_accuracy(lambda s, y, k: 1 - right(s, y, k))
    assert not check_top_k_accuracy(lambda s, y, k: right(-s, y, k))
    assert not check_top_k_accuracy(lambda s, y, k: right(s, y, 1))
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("✅") and "error rate" in out[1] and "k lowest" in out[2] and "ignores k" in out[3]


def test_ensemble_checker_tells_logits_from_probabilities(capsys):
    assert check_ensemble_average(lambda z: z.softmax(2).mean(0))
    assert check_ensemble_average(lambda z: z.double().softmax(-1).sum(0) / z.shape[0])
    assert not check_ensemble_average(lambda z: z.mean(0).softmax(1))
    assert not check_ensemble_average(lambda z: z.softmax(2).mean(0).tolist())
    assert not check_ensemble_average(lambda z: z.softmax(2).mean(1))
    out = capsys.readouterr().out.splitlines()
    assert "averaged the logits, then took one softmax" in out[2]
    assert "return a tensor" in out[3] and "one row of class probabilities per image" in out[4]


def test_removal_checker_springs_the_trap(capsys):
    assert check_removal_prediction({"conv3": 1_106_304, "conv5": -18_431_744})
    assert not check_removal_prediction({"conv3": CONV["conv3"], "conv5": -18_431_744})
    assert not check_removal_prediction({"conv3": 1_106_304, "conv5": CONV["conv5"]})
    assert not check_removal_prediction([1_106_304, -18_431_744])
    out = capsys.readouterr().out.splitlines()
    assert "the layer after it now reads other maps" in out[1]
    assert "are there more of them, or fewer?" in out[2] and "give a dict with the keys" in out[3]
    assert not any("1,106,304" in line or "1106304" in line for line in out)
    assert torch.get_default_dtype() == torch.float32

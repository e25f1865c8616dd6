"""What the exercise checkers compute with: input widths per pool3 size, gradient-keeping scales, LRN's winner,
unread widths, and where the paper's dropout rule is exact."""

import pytest
import torch

from alexnet_lib import exercises as E
from alexnet_lib.net import activations
from alexnet_lib.net.model import AlexNetConfig
from alexnet_lib.toolkits import dropout_rules
from alexnet_lib.toolkits.architecture import input_widths_for
from alexnet_lib.toolkits.lrn import lrn_profile, strongest_channel
from alexnet_lib.toolkits.pooling import pool_coverage, unread_widths


def test_input_widths_for_walks_the_network():
    assert input_widths_for(1) == range(67, 99)
    assert input_widths_for(6) == range(227, 259)  # 224 gives 5×5: the chapter's puzzle
    for side, widths in ((1, input_widths_for(1)), (2, input_widths_for(2))):
        assert all(AlexNetConfig(input_size=W).feature_size == side for W in widths)
    assert AlexNetConfig(input_size=input_widths_for(2)[0] - 1).feature_size == 1
    with pytest.raises(ValueError):
        input_widths_for(0)


def test_keeps_gradient_matches_the_norms():
    for name in ("relu", "tanh"):
        for scale in (1.0, 1.41):
            norms = activations.gradient_norms(name, depth=20, weight_scale=scale)
            assert activations.keeps_gradient(name, scale) == (0.1 <= norms[0] / norms[-1] <= 10)
    assert activations.keeps_gradient("relu", 1.41) and not activations.keeps_gradient("relu", 1.0)


def test_strongest_channel_is_the_argmax_after_lrn():
    profile = [0, 0, 150, 0, 0, 0, 200, 190, 180]
    assert strongest_channel(profile) == int(lrn_profile(profile).argmax()) == 2
    assert strongest_channel([v / 100 for v in profile]) == 6  # small activations: LRN keeps the ranking


def test_unread_widths_are_those_with_a_zero_coverage():
    assert unread_widths(range(50, 61), 2, 2) == [51, 53, 55, 57, 59]
    assert unread_widths(range(50, 61), 3, 2) == [50, 52, 54, 56, 58, 60]
    assert unread_widths(range(1, 4), 3, 2) == []  # a width below the window has no windows to miss
    assert all((W in unread_widths(range(5, 30), 3, 3)) == (0 in pool_coverage(W, 3, 3)) for W in range(5, 30))


def test_the_paper_rule_is_exact_only_for_linear_maps():
    assert dropout_rules.rule_gap("linear") < 1e-12 and dropout_rules.rule_gap("two_linear") < 1e-12
    assert dropout_rules.rule_gap("relu") > 0.1 and dropout_rules.rule_gap("softmax") > 0.01
    assert dropout_rules.gap_signs("relu") <= {-1, 0} and dropout_rules.gap_signs("softmax") == {-1, 1}
    net = dropout_rules.rule_net("linear")
    x = torch.arange(8, dtype=torch.float64)
    assert torch.allclose(dropout_rules.mask_average(net, x, 0.0), net(x))  # p = 0: the one mask keeps all
    state = torch.get_rng_state()
    dropout_rules.rule_net("relu", seed=3)
    assert torch.equal(torch.get_rng_state(), state)  # building the nets leaves the caller's RNG alone
    with pytest.raises(ValueError, match="one of"):
        dropout_rules.rule_net("tanh")


def test_an_answer_that_exits_while_being_read_is_a_cross_not_an_exit(capsys):
    class Quitter:
        def __iter__(self):
            raise SystemExit(0)

    assert E.check_pool3_widths(Quitter()) is False
    assert capsys.readouterr().out.startswith("❌")


def test_design_report_counts_lazy_layers_after_running_them():
    from torch import nn

    from alexnet_lib.toolkits.architecture import design_report

    report = design_report(nn.Sequential(nn.Flatten(), nn.LazyLinear(10)))
    assert report.parameters == 28 * 28 * 10 + 10 and report.linear_share == 1.0


def test_the_rule_helpers_refuse_bad_input_and_read_a_generator_once():
    from alexnet_lib.toolkits import sgd_rules

    assert sgd_rules.rules_agree(lr for lr in sgd_rules.CONSTANT) is True  # both rules see the same schedule
    for bad in (0.01, [], "0.01"):
        with pytest.raises(ValueError, match="lrs"):
            sgd_rules.rules_agree(bad)
    with pytest.raises(ValueError, match="name="):
        dropout_rules.rule_net("tanh")
    with pytest.raises(ValueError, match="seed="):
        dropout_rules.rule_net("relu", seed=1.5)
    with pytest.raises(ValueError, match="1-D sequence of 1 to 16 numbers"):
        dropout_rules.mask_average(dropout_rules.rule_net("relu"), [1.0] * 30, 0.5)

"""What the exercise checkers compute with: input widths per pool3 size, gradient-keeping scales, LRN's winner,
unread widths, and where the paper's dropout rule is exact."""

import pytest
import torch

from alexnet_lib import activations, dropout_rules
from alexnet_lib.architecture import input_widths_for
from alexnet_lib.lrn import lrn_profile, strongest_channel
from alexnet_lib.model import AlexNetConfig
from alexnet_lib.pooling import pool_coverage, unread_widths


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

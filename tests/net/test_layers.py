"""Local response normalisation and dropout written from scratch, checked against PyTorch and the paper."""

from __future__ import annotations

from dataclasses import asdict

import pytest
import torch
from torch import nn

from alexnet_lib.net.layers import (
    PAPER_LRN,
    Dropout,
    LocalResponseNorm,
    check_lrn,
    local_response_norm,
    lrn_from_caffe,
    lrn_from_tensorflow,
    lrn_to_tensorflow,
    lrn_to_torch,
    window_sum,
)


def _paper_lrn_loop(a: torch.Tensor, n: int, alpha: float, beta: float, k: float) -> torch.Tensor:
    """The paper's formula written literally, one channel at a time, with its max/min edge clipping."""
    channels = a.shape[1]
    b = torch.empty_like(a)
    for i in range(channels):
        lo, hi = max(0, i - (n - 1) // 2), min(channels - 1, i + (n - 1) // 2)
        b[:, i] = a[:, i] / (k + alpha * (a[:, lo:hi + 1] ** 2).sum(dim=1)) ** beta
    return b


# ----------------------------------------------------------------------------- LRN


def test_paper_constant():
    assert asdict(PAPER_LRN) == {"size": 5, "alpha": 1e-4, "beta": 0.75, "k": 2.0}
    m = LocalResponseNorm()
    assert (m.size, m.alpha, m.beta, m.k) == (5, 1e-4, 0.75, 2.0)
    assert repr(m) == "LocalResponseNorm(size=5, alpha=0.0001, beta=0.75, k=2.0)"


@pytest.mark.parametrize("n", [1, 3, 5, 7, 11])
@pytest.mark.parametrize("shape", [(2, 13, 6, 7), (1, 96, 5, 5), (3, 4, 1, 2)])
def test_lrn_equals_torch_with_mapped_parameters(n, shape):
    torch.manual_seed(n)
    x = torch.randn(shape) * 10  # large enough that the denominator is far from k ** beta
    ours = local_response_norm(x, n)
    theirs = nn.LocalResponseNorm(**lrn_to_torch(n))(x)
    assert not torch.allclose(ours, x / 2.0 ** 0.75, rtol=1e-3)  # the normalisation really acts
    torch.testing.assert_close(ours, theirs, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(local_response_norm(x.double(), n), nn.LocalResponseNorm(**lrn_to_torch(n))(x.double()),
                               rtol=0, atol=1e-12)


def test_lrn_equals_torch_with_other_hyperparameters():
    torch.manual_seed(0)
    x = torch.randn(2, 9, 3, 3) * 5
    params = dict(size=3, alpha=2e-3, beta=0.5, k=1.0)
    torch.testing.assert_close(LocalResponseNorm(**params)(x), nn.LocalResponseNorm(**lrn_to_torch(**params))(x),
                               rtol=1e-6, atol=1e-6)


def test_lrn_matches_the_papers_formula_including_edge_channels():
    torch.manual_seed(1)
    x = torch.randn(2, 8, 3, 3, dtype=torch.float64) * 20
    expected = _paper_lrn_loop(x, 5, 1e-4, 0.75, 2.0)
    torch.testing.assert_close(local_response_norm(x), expected, rtol=0, atol=1e-12)
    # Channel 0 sees channels 0..2 only: the window is clipped, not wrapped or renormalised.
    by_hand = x[:, 0] / (2.0 + 1e-4 * (x[:, 0:3] ** 2).sum(1)) ** 0.75
    torch.testing.assert_close(local_response_norm(x)[:, 0], by_hand, rtol=0, atol=1e-12)
    by_hand_last = x[:, 7] / (2.0 + 1e-4 * (x[:, 5:8] ** 2).sum(1)) ** 0.75
    torch.testing.assert_close(local_response_norm(x)[:, 7], by_hand_last, rtol=0, atol=1e-12)


@pytest.mark.parametrize("channels, size, dim", [(8, 5, 1), (3, 5, 1), (1, 5, 1), (4, 1, 1), (6, 11, 1), (5, 3, 0),
                                                 (7, 3, -1)])
def test_window_sum_against_a_loop(channels, size, dim):
    torch.manual_seed(channels * size)
    shape = [2, 3, 4]
    shape[dim] = channels
    x = torch.rand(shape, dtype=torch.float64)
    got = window_sum(x, size, dim)
    xs = x.movedim(dim, 0)
    want = torch.stack([xs[max(0, i - size // 2):i + size // 2 + 1].sum(0) for i in range(channels)]).movedim(0, dim)
    assert got.shape == x.shape
    torch.testing.assert_close(got, want, rtol=0, atol=1e-12)


def test_check_lrn_accepts_the_paper_and_names_a_bad_value():
    check_lrn(**asdict(PAPER_LRN))
    with pytest.raises(ValueError, match="k=-1 must be a finite number > 0"):
        check_lrn(5, 1e-4, 0.75, -1)


def test_lrn_alpha_is_not_divided_by_n():
    x = torch.zeros(1, 5, 1, 1)
    x[0, 2] = 10.0
    # Only channel 2 is non-zero, so its own sum is 100: b = 10 / (2 + 1e-4 * 100) ** 0.75.
    assert local_response_norm(x)[0, 2, 0, 0].item() == pytest.approx(10 / (2 + 1e-2) ** 0.75, rel=1e-6)


def test_lrn_keeps_gradients_flowing():
    x = torch.randn(1, 6, 2, 2, requires_grad=True)
    local_response_norm(x * 10).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_lrn_conversions():
    assert lrn_to_torch() == {"size": 5, "alpha": 5e-4, "beta": 0.75, "k": 2.0}
    assert lrn_to_tensorflow() == {"depth_radius": 2, "bias": 2.0, "alpha": 1e-4, "beta": 0.75}
    assert lrn_to_tensorflow(size=11)["depth_radius"] == 5
    # The widely copied TensorFlow call depth_radius=5 is an 11-channel window, not the paper's 5.
    assert lrn_from_tensorflow(depth_radius=5, bias=2.0, alpha=1e-4, beta=0.75) == {
        "size": 11, "alpha": 1e-4, "beta": 0.75, "k": 2.0}
    assert lrn_from_tensorflow(**lrn_to_tensorflow(**asdict(PAPER_LRN))) == asdict(PAPER_LRN)
    caffe = lrn_from_caffe(local_size=5, alpha=5e-4, beta=0.75, k=2.0)
    assert caffe["size"] == 5 and caffe["alpha"] == pytest.approx(1e-4) and caffe["k"] == 2.0
    assert lrn_from_caffe(local_size=5, alpha=1e-4, beta=0.75)["k"] == 1.0  # Caffe's default k


def test_caffe_and_torch_conventions_agree():
    torch.manual_seed(2)
    x = torch.randn(1, 10, 2, 2) * 10
    caffe_layer = dict(local_size=5, alpha=1e-4, beta=0.75, k=1.0)  # e.g. CaffeNet's prototxt
    ours = LocalResponseNorm(**lrn_from_caffe(**caffe_layer))(x)
    # Caffe and PyTorch share the divide-by-n convention, so the Caffe numbers go into PyTorch unchanged.
    theirs = nn.LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=1.0)(x)
    torch.testing.assert_close(ours, theirs, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kwargs, words", [
    (dict(size=4), ["size=4", "odd", "centre"]),
    (dict(size=0), ["size=0", "an integer >= 1", "centred"]),
    (dict(size=5.0), ["size=5.0", "integer", "(got float)"]),
    (dict(size=True), ["size=True", "(got bool)"]),
    (dict(alpha=float("nan")), ["alpha=nan", "finite"]),
    (dict(alpha=-1e-4), ["alpha=-0.0001", ">= 0"]),
    (dict(beta=-0.5), ["beta=-0.5", ">= 0"]),
    (dict(k=0), ["k=0", "> 0"]),
])
def test_lrn_validation(kwargs, words):
    for call in (lambda: LocalResponseNorm(**kwargs), lambda: local_response_norm(torch.zeros(1, 3, 2, 2), **kwargs),
                 lambda: lrn_to_torch(**kwargs)):
        with pytest.raises(ValueError) as err:
            call()
        for word in words:
            assert word in str(err.value)


def test_lrn_rejects_non_4d_or_integer_input():
    with pytest.raises(ValueError, match=r"4-D.*\(3, 4, 4\)"):
        LocalResponseNorm()(torch.zeros(3, 4, 4))
    with pytest.raises(ValueError, match="floating"):
        LocalResponseNorm()(torch.zeros(1, 3, 4, 4, dtype=torch.long))
    with pytest.raises(ValueError, match="depth_radius=-1"):
        lrn_from_tensorflow(-1, 2.0, 1e-4, 0.75)


# ----------------------------------------------------------------------------- dropout


def test_dropout_eval_and_p0_are_identity():
    x = torch.randn(100, 100)
    assert torch.equal(Dropout(0.5).eval()(x), x)
    assert torch.equal(Dropout(0.0).train()(x), x)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics(p):
    torch.manual_seed(0)
    x = torch.rand(400_000) + 0.5  # strictly positive, so a zero in the output means "dropped"
    y = Dropout(p).train()(x)
    dropped = y == 0
    assert dropped.float().mean().item() == pytest.approx(p, abs=0.005)
    kept = ~dropped
    assert torch.equal(y[kept], x[kept] / (1 - p))  # exactly the 1 / (1 - p) scaling
    assert y.mean().item() == pytest.approx(x.mean().item(), rel=0.01)  # expectation preserved


def test_dropout_matches_torch_statistics():
    torch.manual_seed(3)
    x = torch.ones(200, 1000)
    ours, theirs = Dropout(0.5).train()(x), nn.Dropout(0.5).train()(x)
    assert set(ours.unique().tolist()) == set(theirs.unique().tolist()) == {0.0, 2.0}
    assert ours.mean().item() == pytest.approx(theirs.mean().item(), abs=0.01)
    assert ours.std().item() == pytest.approx(theirs.std().item(), abs=0.01)


def test_dropout_masks_differ_between_calls_and_follow_the_seed():
    x = torch.ones(1000)
    d = Dropout(0.5).train()
    torch.manual_seed(7)
    a, b = d(x), d(x)
    torch.manual_seed(7)
    assert not torch.equal(a, b) and torch.equal(d(x), a)


def test_dropout_backward_passes_only_kept_units():
    x = torch.ones(1000, requires_grad=True)
    y = Dropout(0.25).train()(x)
    y.sum().backward()
    assert torch.equal(x.grad, y.detach())  # gradient is 1/(1-p) where kept, 0 where dropped


@pytest.mark.parametrize("p, words", [(1, ["p=1", ">= 0 and < 1", "divide"]), (1.0, ["p=1.0"]), (-0.1, ["p=-0.1"]),
                                      (2, ["p=2"]), ("0.5", ["p='0.5'"]), (True, ["p=True"])])
def test_dropout_rejects_bad_p(p, words):
    with pytest.raises(ValueError) as err:
        Dropout(p)
    for word in words:
        assert word in str(err.value)


def test_dropout_repr():
    assert repr(Dropout(0.3)) == "Dropout(p=0.3)"

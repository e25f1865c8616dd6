"""The test sample's error: hits stored bit for bit, its standard error by hand, and damaged hits refused."""

import math

import pytest
import torch

from alexnet_lib.engine.loop import evaluate
from alexnet_lib.experiments.sample import decode_hits, encode_hits, paired_sample_error, sample_error_of_mean
from alexnet_lib.experiments.stats import sample_half_width, seeds_needed, t_interval, verdict_line, with_sample_error


def test_hits_round_trip_bit_for_bit():
    hits = torch.rand(10_000, generator=torch.Generator().manual_seed(0)) < 0.85
    text = encode_hits(hits)
    assert len(text) == 1668 and torch.equal(decode_hits(text) == 1, hits)
    odd = hits[:501]  # a count that is not a multiple of 8 needs its count back
    assert torch.equal(decode_hits(encode_hits(odd), 501) == 1, odd)
    with pytest.raises(ValueError, match="expected 400 images"):
        decode_hits(encode_hits(odd), 400)
    with pytest.raises(ValueError, match="not base64"):
        decode_hits("not base64!", 8)


def test_hits_are_what_the_model_gets_right():
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3))
    x, y = torch.randn(10, 1, 2, 2), torch.arange(10) % 3
    ev = evaluate(model, [(x[:6], y[:6]), (x[6:], y[6:])], num_classes=3, precision="fp32")
    right = model(x).argmax(1) == y
    assert torch.equal(ev.hits, right.float()) and 0 < int(right.sum()) < 10  # in the loader's order
    assert ev.accuracy == pytest.approx(float(right.float().mean()))


def test_paired_sample_error_by_hand():
    a = [torch.tensor([1.0, 1.0, 0.0, 1.0]), torch.tensor([1.0, 0.0, 0.0, 1.0])]
    b = [torch.tensor([1.0, 0.0, 0.0, 0.0]), torch.tensor([1.0, 0.0, 1.0, 0.0])]
    # Per image, the mean over seeds of a - b: 0, 0.5, -0.5, 1; its sd over images / sqrt(4).
    d = [0.0, 0.5, -0.5, 1.0]
    mean = sum(d) / 4
    sd = math.sqrt(sum((v - mean) ** 2 for v in d) / 3)
    assert paired_sample_error(a, b) == pytest.approx(sd / 2)
    assert paired_sample_error(a, a) == 0.0
    with pytest.raises(ValueError, match="same, non-zero number of seeds"):
        paired_sample_error(a, b[:1])


def test_one_arms_sample_error_by_hand():
    a = [torch.tensor([1.0, 1.0, 0.0, 1.0]), torch.tensor([1.0, 0.0, 0.0, 1.0])]
    m = [1.0, 0.5, 0.0, 1.0]  # per image, the mean over seeds
    sd = math.sqrt(sum((v - 0.625) ** 2 for v in m) / 3)
    assert sample_error_of_mean(a) == pytest.approx(sd / 2)
    with pytest.raises(ValueError, match="at least one seed"):
        sample_error_of_mean([])
    with pytest.raises(ValueError, match="at least two test images"):
        sample_error_of_mean([torch.tensor([1.0])])


def test_the_sample_error_widens_an_interval_in_quadrature():
    seeds = t_interval([0.01, 0.02, 0.015, 0.012, 0.018])
    both = with_sample_error(seeds, 0.003)
    half = math.hypot(seeds.high - seeds.mean, 1.959964 * 0.003)
    assert (both.mean, both.high - both.mean, both.mean - both.low) == pytest.approx((seeds.mean, half, half))
    assert both.sample_se == 0.003 and sample_half_width(both) == pytest.approx(1.959964 * 0.003)
    assert with_sample_error(seeds, 0.0) == seeds
    with pytest.raises(ValueError, match="without a sample error yet"):
        with_sample_error(both, 0.001)


def test_seeds_cannot_shrink_the_test_samples_part():
    # The sample alone gives ±0.59 points: no number of seeds reaches ±0.4.
    assert seeds_needed(with_sample_error(t_interval([0.0, 0.001, -0.001]), 0.003), 0.004) is None
    # A small sample error: seeds can, and need more than without it.
    spread = t_interval([0.0, 0.01, -0.01])
    assert seeds_needed(with_sample_error(spread, 0.001), 0.004) > seeds_needed(spread, 0.004)


def test_a_line_says_when_only_more_test_images_would_resolve_it():
    # Mean +0.2 points, halfway to the paper's 0.4; the sample alone gives ±0.59 points.
    interval = with_sample_error(t_interval([0.002, 0.0021, 0.0019]), 0.003)
    line = verdict_line("gain", interval, 0.004, scale=100, unit=" points")
    assert "inconclusive" in line and "more test images are needed, not more seeds" in line
    assert "(the sample alone: ±0.59 points)" in line

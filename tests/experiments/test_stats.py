"""Statistics of the recorded experiments against textbook values and hand computations."""

import math

import pytest

from alexnet_lib.experiments.stats import (
    WORDS,
    Interval,
    paired_differences,
    ratio_interval,
    seeds_needed,
    t_cdf,
    t_interval,
    t_quantile,
    verdict,
    verdict_line,
)


# Two-sided 95% critical values t_{0.975, df} from any t table.
@pytest.mark.parametrize("df, value", [(1, 12.706), (2, 4.303), (3, 3.182), (4, 2.776), (9, 2.262), (30, 2.042)])
def test_t_quantiles_match_the_textbook_table(df, value):
    assert t_quantile(0.975, df) == pytest.approx(value, abs=5e-4)
    assert t_quantile(0.025, df) == pytest.approx(-value, abs=5e-4)  # symmetric


def test_t_tends_to_the_normal():
    assert t_quantile(0.975, 1e6) == pytest.approx(1.95996, abs=1e-4)
    assert t_quantile(0.95, 1e6) == pytest.approx(1.64485, abs=1e-4)
    assert t_quantile(0.5, 7) == pytest.approx(0.0, abs=1e-7)  # t^2 / df below 1e-16 rounds away


@pytest.mark.parametrize("t", [-30.0, -2.5, -0.3, 0.0, 0.7, 4.0, 100.0])
def test_t_cdf_against_closed_forms(t):
    # df = 1 is the Cauchy distribution; df = 2 has the closed form 1/2 + t / (2 sqrt(2 + t^2)).
    assert t_cdf(t, 1) == pytest.approx(0.5 + math.atan(t) / math.pi, abs=1e-12)
    assert t_cdf(t, 2) == pytest.approx(0.5 + t / (2 * math.sqrt(2 + t * t)), abs=1e-12)


def test_t_quantile_inverts_t_cdf():
    for df in (1, 3, 17):
        for p in (0.001, 0.2, 0.9, 0.999):
            assert t_cdf(t_quantile(p, df), df) == pytest.approx(p, abs=1e-9)


@pytest.mark.parametrize("call, words", [
    (lambda: t_quantile(1.0, 3), ["p=1.0", "> 0 and < 1"]),
    (lambda: t_quantile(0.0, 3), ["p=0.0"]),
    (lambda: t_cdf(1.0, 0), ["df=0", "> 0"]),
    (lambda: t_interval([]), ["values is empty"]),
    (lambda: t_interval([1.0, math.nan]), ["values=nan"]),
    (lambda: t_interval([1.0, 2.0], confidence=1.0), ["confidence=1.0"]),
    (lambda: paired_differences([1.0], [1.0, 2.0]), ["same, non-zero number of seeds", "1 and 2"]),
    (lambda: paired_differences([], []), ["0 and 0"]),
    (lambda: verdict(Interval(0.0, -1.0, 1.0, 3, 0.95), 0.0), ["paper_effect must differ"]),
])
def test_bad_input_is_refused_with_a_reason(call, words):
    with pytest.raises(ValueError) as err:
        call()
    for word in words:
        assert word in str(err.value)


def test_interval_by_hand():
    # 1..5: mean 3, sample sd sqrt(2.5), standard error sqrt(2.5 / 5) = sqrt(0.5); t_{0.975, 4} = 2.7764.
    i = t_interval([1.0, 2.0, 3.0, 4.0, 5.0])
    half = 2.7764451 * math.sqrt(0.5)
    assert (i.mean, i.n, i.confidence) == (3.0, 5, 0.95)
    assert i.low == pytest.approx(3 - half, abs=1e-6) and i.high == pytest.approx(3 + half, abs=1e-6)
    # 90% with two values 0.1 and 0.3: sd = 0.1414, se = 0.1, t_{0.95, 1} = 6.3138.
    j = t_interval([0.1, 0.3], confidence=0.90)
    assert j.mean == pytest.approx(0.2) and j.high - j.mean == pytest.approx(0.63138, abs=1e-4)
    assert j.covers(0.2) and not j.covers(0.9)


def test_identical_values_give_a_zero_width_interval_and_one_value_an_unbounded_one():
    same = t_interval([0.5, 0.5, 0.5])
    assert (same.low, same.high) == (0.5, 0.5)
    one = t_interval([0.7])
    assert one.mean == 0.7 and one.n == 1 and one.low == -math.inf and one.high == math.inf


def test_paired_differences_keep_the_seed_order():
    assert paired_differences([0.9, 0.8, 0.7], [0.85, 0.8, 0.75]) == pytest.approx([0.05, 0.0, -0.05])


# ----------------------------------------------------------------------------- the three verdict words

PAPER = 0.014  # the paper's LRN gain: 1.4 points of top-1 error


@pytest.mark.parametrize("low, high, word", [
    (0.010, 0.020, "confirmed"),  # excludes no effect, covers the paper's
    (0.020, 0.030, "confirmed"),  # beyond the paper's effect on its side
    (0.002, 0.008, "contradicted"),  # between no effect and the paper's effect: real but smaller
    (-0.003, 0.004, "contradicted"),  # covers no effect only
    (-0.030, -0.010, "contradicted"),  # reversed
    (-0.010, 0.030, "inconclusive"),  # covers both
])
def test_verdict_words_for_a_positive_paper_effect(low, high, word):
    assert verdict(Interval((low + high) / 2, low, high, 3, 0.95), PAPER) == word


@pytest.mark.parametrize("low, high, word", [
    (5.0, 7.0, "confirmed"), (8.0, 9.0, "confirmed"), (2.0, 3.0, "contradicted"), (0.5, 8.0, "inconclusive"),
    (0.3, 0.9, "contradicted"),
])
def test_verdict_words_for_a_speedup_against_a_null_of_one(low, high, word):
    # "ReLU is six times faster": no effect is a factor of 1, the paper's effect a factor of 6.
    assert verdict(Interval((low + high) / 2, low, high, 3, 0.95), 6.0, null=1.0) == word


@pytest.mark.parametrize("low, high, word", [
    (-0.03, -0.02, "confirmed"), (-0.005, -0.002, "contradicted"), (-0.02, 0.01, "inconclusive"),
    (0.01, 0.02, "contradicted"),
])
def test_verdict_words_for_a_negative_paper_effect(low, high, word):
    assert verdict(Interval((low + high) / 2, low, high, 3, 0.95), -0.01) == word


def test_one_seed_is_inconclusive_whatever_its_value():
    for value in (-1.0, 0.0, 0.014, 5.0):
        assert verdict(t_interval([value]), PAPER) == "inconclusive"


def test_verdicts_from_measured_seeds():
    # Three seeds that all gain about 1.5 points: the interval excludes 0 and covers 0.014.
    assert verdict(t_interval(paired_differences([0.815, 0.816, 0.814], [0.80, 0.80, 0.80])), PAPER) == "confirmed"
    # Three seeds that gain 0.3 to 0.5 points: a real effect, but the paper's 1.4 is excluded.
    assert verdict(t_interval([0.003, 0.004, 0.005]), PAPER) == "contradicted"
    assert set(WORDS) == {"confirmed", "contradicted", "inconclusive"}


def test_verdict_line_says_word_n_interval_and_paper_in_the_chosen_units():
    line = verdict_line("LRN minus no LRN", t_interval([0.01, 0.02, 0.015]), PAPER, scale=100, unit=" points")
    assert line.startswith("LRN minus no LRN: confirmed (mean +1.5 points, n = 3, 95% t-interval [")
    assert "the paper: +1.4 points, no effect: +0 points" in line
    one = verdict_line("speed-up", t_interval([4.0]), 6.0, null=1.0, unit="x")
    assert one == "speed-up: inconclusive (mean 4x, n = 1, no interval from one seed; the paper: 6x, no effect: 1x)"


def test_ratio_interval_is_made_on_the_log_scale():
    # logs of 2, 4, 8 are ln2 * (1, 2, 3): mean 2 ln2 (geometric mean 4), sd ln2, t(0.975, 2) = 4.303.
    i = ratio_interval([2.0, 4.0, 8.0])
    half = 4.3027 * math.log(2) / math.sqrt(3)
    assert (i.mean, i.low, i.high) == pytest.approx((4.0, 4 * math.exp(-half), 4 * math.exp(half)), rel=1e-3)
    assert i.n == 3 and i.low < 1 < 6 < i.high
    assert ratio_interval([0.5, 2.0]).mean == pytest.approx(1.0)  # halving and doubling cancel
    one = ratio_interval([3.0])
    assert (one.low, one.high) == (0.0, math.inf)
    with pytest.raises(ValueError, match="ratios"):
        ratio_interval([1.0, 0.0])
    with pytest.raises(ValueError, match="empty"):
        ratio_interval([])


@pytest.mark.parametrize("low, high, word", [(0.01, 0.03, "confirmed"), (-0.03, -0.01, "contradicted"),
                                             (-0.01, 0.03, "inconclusive")])
def test_a_claim_with_no_figure_is_judged_on_its_direction(low, high, word):
    interval = Interval((low + high) / 2, low, high, 3, 0.95)
    assert verdict(interval, None) == word
    assert "claimed: a gain, with no figure, no effect: +0" in verdict_line("gain", interval, None)


def test_seeds_needed_is_the_fewest_that_reach_the_half_width():
    import math

    from alexnet_lib.experiments.stats import t_quantile
    values = [0.004, -0.003, -0.0185]  # the pooling record's three paired differences
    interval = t_interval(values)
    mean = sum(values) / 3
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / 2)
    n = seeds_needed(interval, 0.004)
    assert t_quantile(0.975, n - 1) * sd / math.sqrt(n) <= 0.004 < t_quantile(0.975, n - 2) * sd / math.sqrt(n - 1)
    assert 30 < n < 40
    assert seeds_needed(t_interval([0.01]), 0.004) is None  # one seed measures no spread
    assert seeds_needed(t_interval([0.01, 0.01, 0.01]), 0.004) == 2
    ratios = ratio_interval([0.9, 1.2, 1.0])
    assert seeds_needed(ratios, math.log(2), log=True) >= 2
    with pytest.raises(ValueError, match="half_width"):
        seeds_needed(interval, 0.0)


def test_an_inconclusive_line_says_how_many_seeds_would_resolve_it():
    wide = t_interval([0.04, -0.03, -0.185])
    line = verdict_line("gain", wide, 0.014, scale=100, unit=" points")
    # The mean, -5.8 points, lies nearer no effect: the interval must shrink to ±5.8 points to exclude it.
    assert "inconclusive" in line and "paired seeds would narrow it to ±5.8 points" in line
    n = seeds_needed(wide, abs(wide.mean))
    assert f"about {n:,} paired seeds" in line
    tight = t_interval([0.02, 0.021, 0.019])
    assert "paired seeds" not in verdict_line("gain", tight, 0.014, scale=100, unit=" points")
    assert "paired seeds" not in verdict_line("gain", wide, None)  # no figure to resolve

"""Statistics for the recorded experiments: t-intervals over paired seeds and one of three verdict words.

A verdict compares an interval for the measured effect with "no effect" and with the paper's effect:

- *confirmed*: the interval excludes no effect and reaches the paper's effect (or beyond it);
- *contradicted*: the interval excludes the paper's effect (the effect is absent, reversed, or smaller);
- *inconclusive*: the interval covers both no effect and the paper's effect, so this budget cannot tell;
  `seeds_needed` estimates how many paired seeds it would take.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence

from .._checks import check_number

WORDS = ("confirmed", "contradicted", "inconclusive")


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the regularised incomplete beta function (Lentz's method)."""
    tiny, c, d = 1e-300, 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        for num in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                    -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with `df` degrees of freedom."""
    check_number("df", df, 0.0, low_open=True)
    tail = 0.5 * _betainc(df / 2, 0.5, df / (df + t * t))
    return 1.0 - tail if t > 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The t value below which a share `p` of Student's t(df) lies (bisection on `t_cdf`)."""
    check_number("p", p, 0.0, 1.0, low_open=True, high_open=True)
    lo, hi = -1e4, 1e4
    for _ in range(200):
        mid = (lo + hi) / 2
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


@dataclass(frozen=True)
class Interval:
    """A mean over n values with its two-sided t-interval at `confidence`."""

    mean: float
    low: float
    high: float
    n: int
    confidence: float
    sample_se: float = 0.0  # the test sample's standard error, combined into low..high (0: the seeds' spread only)

    def covers(self, value: float) -> bool:
        """Whether `value` lies inside the interval."""
        return self.low <= value <= self.high

    def __str__(self) -> str:
        what = "t-interval" + (" with the test sample's error" if self.sample_se else "")
        return f"{self.mean:+.3g} [{self.low:+.3g}, {self.high:+.3g}] ({self.confidence:.0%} {what}, n = {self.n})"


def t_interval(values: Sequence[float], confidence: float = 0.95) -> Interval:
    """Mean of `values` and its t-interval; with one value the interval is unbounded (one seed tells nothing)."""
    xs = [check_number("values", v) for v in values]
    if not xs:
        raise ValueError("values is empty: give at least one measurement per seed")
    check_number("confidence", confidence, 0.0, 1.0, low_open=True, high_open=True)
    n, mean = len(xs), sum(xs) / len(xs)
    if n == 1:
        return Interval(mean, -math.inf, math.inf, 1, confidence)
    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
    half = t_quantile(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, n, confidence)


def ratio_interval(ratios: Sequence[float], confidence: float = 0.95) -> Interval:
    """Geometric mean of positive `ratios` with the t-interval of their logarithms, mapped back.

    Ratios such as a speed-up are skewed (2x and 0.5x are equally far from 1x), so the interval is made
    where they are symmetric, on the log scale; it is not symmetric around the mean it reports.
    """
    xs = [check_number("ratios", r, 0.0, low_open=True, hint=" (a ratio of two positive quantities)") for r in ratios]
    if not xs:
        raise ValueError("ratios is empty: give at least one ratio per seed")
    logs = t_interval([math.log(r) for r in xs], confidence)
    return Interval(math.exp(logs.mean), math.exp(logs.low) if math.isfinite(logs.low) else 0.0,
                    math.exp(logs.high) if math.isfinite(logs.high) else math.inf, logs.n, confidence)


def _normal_quantile(p: float) -> float:
    """The normal's quantile, as Student's t with very many degrees of freedom."""
    return t_quantile(p, 1e7)


def with_sample_error(interval: Interval, se: float) -> Interval:
    """`interval` (a t-interval over seeds) widened by the test sample's standard error `se` of the same mean.

    The seeds share one test set, so their spread leaves out how much the mean would move on other test
    images; the two errors are independent, and their half-widths add in quadrature (the sample's part with
    the normal's quantile: a test set holds thousands of images).
    """
    if not isinstance(interval, Interval) or interval.sample_se:
        raise ValueError(f"interval={interval!r} must be a t-interval over seeds, without a sample error yet")
    check_number("se", se, 0.0)
    if not math.isfinite(interval.high) or se == 0:
        return interval
    z = _normal_quantile(0.5 + interval.confidence / 2)
    half = math.hypot(interval.high - interval.mean, z * se)
    return Interval(interval.mean, interval.mean - half, interval.mean + half, interval.n, interval.confidence, se)


def paired_differences(a: Sequence[float], b: Sequence[float]) -> list[float]:
    """a[i] - b[i] for two arms measured with the same seeds, in the same order."""
    if len(a) != len(b) or not a:
        raise ValueError(f"the two arms must have the same, non-zero number of seeds (got {len(a)} and {len(b)})")
    return [x - y for x, y in zip(a, b)]


def verdict(interval: Interval, paper_effect: Optional[float], null: float = 0.0) -> str:
    """'confirmed', 'contradicted' or 'inconclusive' for an effect interval against the paper's effect.

    `paper_effect=None` tests a claim with no figure, "better than no effect": confirmed when the interval
    lies above `null`, contradicted when it lies below, inconclusive when it covers it.
    """
    if not isinstance(interval, Interval):
        raise ValueError(f"interval={interval!r} must be an Interval, e.g. t_interval(per_seed_effects)")
    check_number("null", null)
    if paper_effect is None:
        return "confirmed" if interval.low > null else "contradicted" if interval.high < null else "inconclusive"
    check_number("paper_effect", paper_effect)
    if paper_effect == null:
        raise ValueError("paper_effect must differ from the no-effect value to be tested against it")
    covers_null, covers_paper = interval.covers(null), interval.covers(paper_effect)
    if covers_null and covers_paper:
        return "inconclusive"
    side = 1 if paper_effect > null else -1
    # Beyond the paper's effect on its own side counts as reaching it.
    reaches = covers_paper or (interval.low - paper_effect) * side > 0
    return "confirmed" if reaches and not covers_null else "contradicted"


def seeds_needed(interval: Interval, half_width: float, log: bool = False) -> Optional[int]:
    """How many paired seeds would shrink `interval` to ±`half_width` if the spread between seeds stayed as
    measured (the spread is read back from the interval; `log` for a ratio's interval, made on the log scale).

    The test sample's part of an interval (`sample_se`) does not shrink with seeds: where it alone is wider
    than `half_width`, no number of seeds will do (None; `sample_half_width` says how wide it is). None too
    from one seed, which measures no spread. An estimate for planning, not a promise: with three seeds the
    spread itself is known only roughly.
    """
    if not isinstance(interval, Interval):
        raise ValueError(f"interval={interval!r} must be an Interval, e.g. t_interval(per_seed_effects)")
    check_number("half_width", half_width, 0.0, low_open=True)
    if interval.n < 2 or not math.isfinite(interval.high):
        return None
    q = 0.5 + interval.confidence / 2
    sample = sample_half_width(interval)
    if sample >= half_width:
        return None
    half = math.log(interval.high / interval.mean) if log else interval.high - interval.mean
    half = math.sqrt(max(half * half - sample * sample, 0.0))
    target = math.sqrt(half_width * half_width - sample * sample)
    sd = half * math.sqrt(interval.n) / t_quantile(q, interval.n - 1)
    if sd <= 0:
        return 2
    # t's quantile exceeds the normal's, so the normal's answer is a lower bound to count up from.
    n = max(2, math.ceil((1.959964 * sd / target) ** 2))
    while t_quantile(q, n - 1) * sd / math.sqrt(n) > target:
        n += 1
    return n


def sample_half_width(interval: Interval) -> float:
    """The half-width the test sample alone gives `interval` (0 for an interval over seeds only)."""
    return _normal_quantile(0.5 + interval.confidence / 2) * interval.sample_se


def verdict_line(what: str, interval: Interval, paper_effect: Optional[float], null: float = 0.0,
                 scale: float = 1.0, unit: str = "", log: bool = False) -> str:
    """One printed line: the verdict word, n, the interval and the paper's figure (values shown times `scale`);
    for an inconclusive one, the paired seeds this mean and spread would need to exclude no effect or the paper's
    figure (whichever lies nearer the mean), or that the test sample alone is too wide for it."""
    word = verdict(interval, paper_effect, null)

    def show(v: float) -> str:
        return f"{v * scale:+.3g}{unit}" if null == 0 else f"{v * scale:.3g}{unit}"

    if interval.n == 1:
        ci = "no interval from one seed"
    else:
        ci = f"{interval.confidence:.0%} t-interval [{show(interval.low)}, {show(interval.high)}]"
        if interval.sample_se:
            ci = (f"{interval.confidence:.0%} interval [{show(interval.low)}, {show(interval.high)}] over seeds and "
                  f"the test sample (the sample alone: ±{sample_half_width(interval) * scale:.2g}{unit})")
    claimed = "claimed: a gain, with no figure" if paper_effect is None else f"the paper: {show(paper_effect)}"
    needed = ""
    if word == "contradicted" and paper_effect is not None and interval.covers(null):
        word += " (the paper's size is excluded; no effect is not)"
    if word == "inconclusive" and paper_effect is not None and interval.n > 1:
        # What would resolve it: an interval narrow enough to exclude whichever of the two lies nearer the mean.
        far = (lambda v: abs(math.log(v / null))) if log else (lambda v: abs(v - null))
        target = min(far(interval.mean), abs(math.log(interval.mean / paper_effect)) if log
                     else abs(interval.mean - paper_effect))
        shown = f"a factor of {math.exp(target):.3g}" if log else f"{target * scale:.2g}{unit}"
        n = seeds_needed(interval, target, log) if target > 0 else None
        if n is not None:
            needed = (f"; at this mean and spread between seeds, about {n:,} paired seeds would narrow it to "
                      f"±{shown} and exclude no effect or the paper's figure")
        elif target > 0 and sample_half_width(interval) >= target:
            needed = (f"; the test sample alone is wider than the ±{shown} that would separate this mean from no "
                      f"effect or the paper's figure: more test images are needed, not more seeds")
    return (f"{what}: {word} (mean {show(interval.mean)}, n = {interval.n}, {ci}; "
            f"{claimed}, no effect: {show(null)}{needed})")

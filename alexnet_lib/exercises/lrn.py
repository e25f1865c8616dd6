"""Checkers for the local response normalisation chapter: LRN by hand, who wins after LRN, when LRN bites."""

from __future__ import annotations

import math
from typing import Any, Callable

from ..toolkits.lrn import lrn_profile, strongest_channel
from ._common import Wrong, case_rng, checker, judge_answer, near, numbers_of, run_cases, too, whole_number

# (profile, n, alpha, beta, k): the paper's values, edges, an isolated peak, a wide window, k=1 and beta=1.
LRN_CASES = [([0.0, 10.0, 100.0, 10.0, 0.0, 0.0, 50.0], 5, 1e-4, 0.75, 2.0),
             ([80.0, 90.0, 5.0], 5, 1e-4, 0.75, 2.0),
             ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 3, 0.01, 0.5, 1.0),
             ([30.0, 0.0, 0.0, 0.0, 0.0, 30.0, 30.0, 30.0], 7, 1e-3, 1.0, 2.0),
             ([7.0], 1, 0.1, 0.75, 2.0)]


@checker
def check_lrn_1d(fn: Callable[[list, int, float, float, float], Any]) -> bool:
    """Exercise: `fn(a, n, alpha, beta, k)` normalises one pixel's channel profile `a` as the paper does."""
    def judge(a: list, n: int, alpha: float, beta: float, k: float) -> Callable[[Any], None]:
        want = lrn_profile(a, n, alpha, beta, k).tolist()

        def verdict(got: Any) -> None:
            values = numbers_of(got, len(a), "a list of numbers, one per channel")
            if len(values) != len(a):
                raise Wrong(f"returned {len(values)} values for {len(a)} channels; one per channel")
            bad = [i for i, (g, v) in enumerate(zip(values, want)) if not abs(g - v) <= 1e-6 * max(1.0, abs(v))]
            if bad:
                half = (n - 1) // 2
                interior = [j for j in bad if half <= j < len(a) - half]
                i = interior[0] if interior else bad[0]
                hint = ("near the edges the window is clipped: sum over max(0, i - n//2) .. min(C-1, i + n//2)"
                        if not interior else
                        "b_i = a_i / (k + alpha * sum of a_j**2 over the n channels centred on i) ** beta; "
                        "the sum includes a_i itself, and alpha is not divided by n")
                raise Wrong(f"channel {i} is {values[i]:.6g}, {too(values[i], want[i])}; {hint}")
        return verdict

    cases = ((f"lrn_1d({a}, n={n}, alpha={alpha}, beta={beta}, k={k})", (list(a), n, alpha, beta, k),
              judge(a, n, alpha, beta, k)) for a, n, alpha, beta, k in (*LRN_CASES, *_drawn_profiles()))
    return run_cases(fn, "check_lrn_1d(lrn_1d)", cases,
                     f"all {len(LRN_CASES)} profiles and 3 drawn at random match the paper's formula, edges included")


def _drawn_profiles(count: int = 3) -> list[tuple[list, int, float, float, float]]:
    """Profiles and constants drawn afresh at each check, beside the fixed ones: a table of those answers fails."""
    rng = case_rng()
    return [([float(rng.randint(0, 200)) for _ in range(rng.randint(2, 12))], rng.choice((1, 3, 5, 7)),
             rng.choice((1e-4, 1e-3, 0.01)), rng.choice((0.5, 0.75, 1.0)), rng.choice((1.0, 2.0)))
            for _ in range(count)]


#: The profile of the prediction exercise: one channel on its own, three strong ones side by side.
WINNER_PROFILE = (0.0, 0.0, 150.0, 0.0, 0.0, 0.0, 200.0, 190.0, 180.0)


@checker
def check_lrn_winners(answer: Any) -> bool:
    """Exercise: `answer` is (at full scale, at 1/100 scale): the channel of WINNER_PROFILE with the largest LRN
    output."""
    small = [v / 100 for v in WINNER_PROFILE]
    want = (strongest_channel(WINNER_PROFILE), strongest_channel(small))

    def judge(got: Any) -> None:
        values = numbers_of(got, 2, "a pair of channel indices (full scale, 1/100 scale)")
        if len(values) != 2:
            raise Wrong(f"has {len(values)} value(s); give two channel indices, (full scale, 1/100 scale)")
        chosen = [whole_number(v, "a channel index is a whole number") for v in values]
        if not all(0 <= c < len(WINNER_PROFILE) for c in chosen):
            raise Wrong(f"names a channel outside 0..{len(WINNER_PROFILE) - 1}")
        if chosen[0] != want[0]:
            raise Wrong("is wrong at full scale: compare the divisor of a channel whose neighbours are silent with "
                        "the divisor of one in a crowd")
        if chosen[1] != want[1]:
            raise Wrong("is wrong at 1/100 scale: how large is alpha * (sum of squares) next to k there?")

    return judge_answer(answer, judge, "both winners right: with large activations LRN lets an isolated channel beat "
                                       "louder ones in a crowd; with small ones it is a constant factor and changes "
                                       "no ranking")


@checker
def check_activation_for_share(fn: Callable[[float, int, float, float], Any]) -> bool:
    """Exercise: `fn(share, n, alpha, k)` is the activation a at which n equal channels make alpha*sum that share."""
    def judge(share: float, n: int, alpha: float, k: float) -> Callable[[Any], None]:
        want = math.sqrt(share * k / ((1 - share) * alpha * n))
        return lambda got: near(got, want, 1e-6 * want, "one number, the activation", lambda _: (
            "with n channels all equal to a, the share is alpha*n*a**2 / (k + alpha*n*a**2): set it equal to share "
            "and solve for a (a > 0)"))

    cases = ((f"activation_for({share}, n={n}, alpha={alpha}, k={k})", (share, n, alpha, k), judge(share, n, alpha, k))
             for share, n, alpha, k in ((0.5, 5, 1e-4, 2.0), (0.1, 5, 1e-4, 2.0), (0.9, 3, 1e-3, 1.0),
                                        (0.5, 5, 2e-5, 1.0)))
    return run_cases(fn, "check_activation_for_share(activation_for)", cases,
                     "your activation gives the neighbours exactly the asked share of the divisor's base in every "
                     "case checked")

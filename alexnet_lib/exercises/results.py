"""Checkers for the "Results and metrics" chapter: top-k accuracy, an ensemble's averaged probabilities, and what
taking conv3 or conv5 out of AlexNet does to its parameters."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

import torch

from ..engine.metrics import average_probabilities, top_k_accuracy
from ..toolkits.depth import removal
from ._common import Wrong, checker, first_mismatch, judge_answer, number, run_cases, show, too

# ----------------------------------------------------------------------------- top-k accuracy

#: (images, classes, k, as probabilities) of the top-k cases: ten classes as in Fashion-MNIST, and others.
TOP_K_CASES = ((40, 10, 1, False), (40, 10, 2, False), (60, 10, 5, True), (25, 4, 3, False), (30, 10, 10, False),
               (50, 7, 2, True), (12, 3, 1, True))


def _top_k_case(i: int, images: int, classes: int, probabilities: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Scores without ties (continuous random numbers), made with a private generator; labels with them."""
    g = torch.Generator().manual_seed(1000 + i)
    scores = torch.randn(images, classes, generator=g) * 2
    labels = torch.randint(0, classes, (images,), generator=g)
    return (scores.softmax(1) if probabilities else scores), labels


@checker
def check_top_k_accuracy(fn: Callable[[torch.Tensor, torch.Tensor, int], Any]) -> bool:
    """Exercise: `fn(scores, labels, k)` is the share of images whose true class is among the k highest scores."""
    def judge(scores: torch.Tensor, labels: torch.Tensor, k: int) -> Callable[[Any], None]:
        want = top_k_accuracy(scores, labels, k)
        lowest = top_k_accuracy(-scores, labels, k)
        first = top_k_accuracy(scores, labels, 1)

        def check(got: Any) -> None:
            value = number(got, "a share of the images (a number from 0 to 1)")
            if abs(value - want) <= 1e-6:
                return
            if abs(value - want * len(labels)) <= 1e-6 and want > 0:
                raise Wrong(f"returned {show(value)}, a count; return the share of the images, between 0 and 1")
            if abs(value - (1 - want)) <= 1e-6:
                raise Wrong(f"returned {show(value)}, {too(value, want)}: that is the error rate; the accuracy is "
                            f"asked for")
            if abs(value - lowest) <= 1e-6 and k < scores.shape[1]:
                raise Wrong(f"returned {show(value)}, {too(value, want)}: you took the k lowest scores; the top k "
                            f"are the largest (torch.topk gives the largest by default)")
            if k > 1 and abs(value - first) <= 1e-6:
                raise Wrong(f"returned {show(value)}, {too(value, want)}: your answer ignores k; the true class "
                            f"counts when it is anywhere among the k highest scores of its row")
            raise Wrong(f"returned {show(value)}, {too(value, want)}; per image (row), is the true class's score "
                        f"among the k highest of that row? Then take the mean over the images")
        return check

    def cases():
        for i, (images, classes, k, probs) in enumerate(TOP_K_CASES):
            scores, labels = _top_k_case(i, images, classes, probs)
            what = "probabilities" if probs else "logits"
            yield (f"top_k_accuracy({what} {images}×{classes}, labels, k={k})", (scores, labels, k),
                   judge(scores, labels, k))

    return run_cases(fn, "check_top_k_accuracy(top_k_accuracy)", cases(),
                     f"your top-k accuracy is right in all {len(TOP_K_CASES)} cases, on logits and on probabilities, "
                     f"from 3 to 10 classes")


# ----------------------------------------------------------------------------- averaging an ensemble


def _ensemble_cases() -> list[tuple[str, torch.Tensor]]:
    """Members' logits (members, images, classes): random ones, and one where a sure member meets two unsure ones."""
    g = torch.Generator().manual_seed(2012)
    sure = torch.tensor([[[20.0, 0.0, 0.0], [0.0, 0.0, 1.0]],
                         [[0.0, 3.0, 0.0], [2.0, 0.0, 0.0]],
                         [[0.0, 3.0, 0.0], [0.0, 2.0, 0.0]]])
    return [("3 members × 2 images × 3 classes, one member very sure", sure),
            ("5 members × 8 images × 10 classes", torch.randn(5, 8, 10, generator=g) * 3),
            ("2 members × 4 images × 10 classes", torch.randn(2, 4, 10, generator=g) * 5),
            ("1 member × 3 images × 6 classes", torch.randn(1, 3, 6, generator=g)),
            ("4 members × 1 image × 2 classes", torch.randn(4, 1, 2, generator=g) * 4)]


@checker
def check_ensemble_average(fn: Callable[[torch.Tensor], Any]) -> bool:
    """Exercise: `fn(logits)` turns members' logits (members, images, classes) into the ensemble's probabilities."""
    def judge(logits: torch.Tensor) -> Callable[[Any], None]:
        want = average_probabilities(logits).double()
        shape = tuple(want.shape)
        mean_logits = logits.double().mean(0)
        wrong_ways = ((mean_logits.softmax(1), "you averaged the logits, then took one softmax; the paper averages "
                                               "the members' softmax outputs (each member's probabilities first)"),
                      (mean_logits, "these are averaged logits, not probabilities: each row must be positive and "
                                    "sum to 1"),
                      (logits.double().softmax(0).mean(0), "the softmax must run over the classes (the last "
                                                            "dimension), not over the members"))

        def check(got: Any) -> None:
            if not isinstance(got, torch.Tensor):
                raise Wrong(f"returned {type(got).__name__}; return a tensor of shape (images, classes)")
            if tuple(got.shape) != shape:
                raise Wrong(f"returned shape {tuple(got.shape)}; the ensemble gives one row of class probabilities "
                            f"per image, shape (images, classes) = {shape}: average over the members (dimension 0)")
            if got.dtype == torch.bool or got.is_complex():
                raise Wrong(f"returned a {got.dtype} tensor; return probabilities (real numbers)")
            values = got.detach().to("cpu", torch.float64)
            if not torch.isfinite(values).all():
                raise Wrong("returned NaN or infinite values: every probability is a finite number from 0 to 1")
            if first_mismatch(values, want, atol=1e-6) is None:
                return
            for other, tip in wrong_ways:
                if first_mismatch(values, other, atol=1e-6) is None:
                    raise Wrong(tip)
            raise Wrong("does not give the mean of the members' class probabilities: apply the softmax to each "
                        "member's logits over the classes, then take the mean over the members")
        return check

    cases = ((f"ensemble({label})", (logits.clone(),), judge(logits)) for label, logits in _ensemble_cases())
    return run_cases(fn, "check_ensemble_average(ensemble_probabilities)", cases,
                     "your ensemble averages the members' probabilities, as the paper does: a very sure member "
                     "counts for no more than a probability of 1")


# ----------------------------------------------------------------------------- removing a convolution

#: How far a predicted count may be from the truth, as a fraction of it.
REMOVAL_TOLERANCE = 0.02


@lru_cache(maxsize=None)
def _saved() -> dict[str, int]:
    """The parameters the paper's AlexNet loses without conv3 and without conv5, counted once."""
    return {name: removal(name).parameters_saved for name in ("conv3", "conv5")}


@checker
def check_removal_prediction(answer: Any) -> bool:
    """Exercise: `answer` maps 'conv3' and 'conv5' to the parameters the paper's AlexNet loses without that layer
    (negative when it gains), each within REMOVAL_TOLERANCE of the truth."""
    want = _saved()
    tips = {("conv3", "too small"): "conv3's own weights are not all that goes: the layer after it now reads other "
                                    "maps; count its weights before and after",
            ("conv3", "too large"): "the layer after conv3 keeps its kernels, its groups and its output maps; only "
                                    "the number of maps it reads changes",
            ("conv5", "too small"): "count FC1 for the values it reads without conv5, and take conv5's own weights "
                                    "off the difference",
            ("conv5", "too large"): "without conv5, pool3 hands FC1 the maps of the layer before: are there more "
                                    "of them, or fewer?"}

    def judge(got: Any) -> None:
        if not isinstance(got, dict) or set(got) != set(want):
            # The keys only: the values given may hold a right count that a message must not repeat.
            given = (f"a dict with the keys {show(sorted(map(str, got)))}" if isinstance(got, dict)
                     else f"a {type(got).__name__}")
            raise Wrong(f"is {given}; give a dict with the keys 'conv3' and 'conv5', each the number of "
                        f"parameters the network loses (negative if it gains some)")
        for key, truth in want.items():
            value = number(got[key], "a number of parameters")
            if not abs(value - truth) <= REMOVAL_TOLERANCE * abs(truth):
                raise Wrong(f"for '{key}' is {too(value, truth)}: {tips[(key, too(value, truth))]}")

    return judge_answer(answer, judge, "right for both: the layer after a removed convolution reads the maps of the "
                                       "one before it, so conv4 shrinks without conv3, and FC1 grows without conv5")

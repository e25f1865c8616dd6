"""Checkers for the "Before and after AlexNet" chapter: conv1's stride, LeNet-5's C1 padding, fully connected layers."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

from ..toolkits.lenet import c1_padding_for, conv1_stride_growth, fc_parameters
from ._common import Wrong, checker, exactly, judge_answer, number, run_cases, show

#: How far a predicted growth factor may be from the truth, as a factor either way.
STRIDE_TOLERANCE = 1.25


@lru_cache(maxsize=None)
def _stride_growth() -> tuple[float, float]:
    """(parameters, multiply-adds) growth with conv1's stride 1, once: the test cell asks again."""
    growth = conv1_stride_growth(1)
    return growth["parameters"], growth["multiply-adds"]


@checker
def check_stride_prediction(answer: Any) -> bool:
    """Exercise: `answer` maps 'parameters' and 'multiply-adds' to the factors by which the paper's AlexNet grows
    when conv1's stride is 1 instead of 4, each within STRIDE_TOLERANCE of the truth."""
    want = dict(zip(("parameters", "multiply-adds"), _stride_growth()))
    tips = {"parameters": ("a convolution's weights do not depend on the size of its maps, but one layer's weights "
                           "do: which layer's input grows, and by how much?"),
            "multiply-adds": ("every layer after conv1 works on maps about four times wider and four times higher; "
                              "the fully connected layers' share of the arithmetic is small")}

    def judge(got: Any) -> None:
        if not isinstance(got, dict) or set(got) != set(want):
            raise Wrong(f"is {show(got)}; give a dict with the keys 'parameters' and 'multiply-adds', each a growth "
                        f"factor (a number such as 3 for three times as many)")
        guess = {}
        for key, truth in want.items():
            value = number(got[key], "a growth factor")
            if not value > 0:
                raise Wrong(f"for '{key}' is {show(value)}; a growth factor is a positive number (1: no change)")
            if not truth / STRIDE_TOLERANCE <= value <= truth * STRIDE_TOLERANCE:
                way = "too large" if value > truth else "too small"
                raise Wrong(f"for '{key}' is {way}: {tips[key]}")
            guess[key] = value
        if guess["multiply-adds"] <= guess["parameters"]:
            raise Wrong("says the parameters grow at least as much as the multiply-adds; which of the two grows with "
                        "the area of every map?")

    return judge_answer(answer, judge, "right for both: only FC1's weights depend on the map size, while every "
                                       "convolution's arithmetic grows with the area of its maps")


#: The input widths of the padding exercise: those for which some padding gives LeNet-5 a 1x1 C5 output.
PADDING_CASES = (32, 28, 24, 30, 29, 31, 33, 35, 20, 27)


@checker
def check_c1_padding(fn: Callable[[int], Any]) -> bool:
    """Exercise: `fn(W)` gives the smallest C1 padding with which LeNet-5's C5 output is 1x1 for a WxW input."""
    def judge(size: int) -> Callable[[Any], None]:
        want = c1_padding_for(size)
        return lambda got: exactly(got, want, "a padding is a whole number of pixels", lambda value: (
            "with that padding a layer gets a map narrower than its 5x5 kernel, or C5 ends up wider than 1x1: "
            "walk the five layers with lenet5_sizes(W, p), and mind the floors of the two poolings"
            if value < want else "a smaller padding already gives a 1x1 C5 output: the smallest one is asked for"))

    return run_cases(fn, "check_c1_padding(c1_padding)",
                     ((f"c1_padding({size})", (size,), judge(size)) for size in PADDING_CASES),
                     f"your paddings are right for all {len(PADDING_CASES)} widths, odd ones included: the padded "
                     f"input must be 32 to 35 pixels wide")


#: (inputs, widths) stacks of the fully-connected exercise: LeNet-5's and AlexNet's classifiers among them.
FC_CASES = ((120, (84, 10)), (9216, (4096, 4096, 1000)), (400, (120, 84, 10)), (256, (1000,)), (3, (2,)),
            (10, ()))


@checker
def check_fc_parameters(fn: Callable[[int, list], Any]) -> bool:
    """Exercise: `fn(n_in, widths)` counts the weights and biases of fully connected layers stacked on n_in inputs."""
    def judge(n_in: int, widths: tuple) -> Callable[[Any], None]:
        want = fc_parameters(n_in, list(widths))
        sizes = (n_in, *widths)
        no_bias = sum(a * b for a, b in zip(sizes, sizes[1:]))
        bias_per_input = sum(a * (b + 1) for a, b in zip(sizes, sizes[1:]))

        def tip(value: int) -> str:
            if value == no_bias:
                return "you counted the weights only: every unit also has a bias"
            if value == bias_per_input:
                return "each layer has one bias per output unit, not one per input"
            return ("a layer of width w on n inputs has n × w weights and w biases, and its output is the next "
                    "layer's input")
        return lambda got: exactly(got, want, "a count is a whole number", tip)

    cases = ((f"fc_parameters({n_in}, {list(widths)})", (n_in, list(widths)), judge(n_in, widths))
             for n_in, widths in FC_CASES)
    return run_cases(fn, "check_fc_parameters(fc_parameters)", cases,
                     "your counts are right, for LeNet-5's classifier, AlexNet's three fully connected layers and "
                     "an empty stack")

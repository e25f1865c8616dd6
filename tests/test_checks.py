"""The argument checks: each accepts exactly the valid values and names argument, value and range otherwise."""

import math

import pytest

from alexnet_lib._checks import check_bool, check_choice, check_int, check_number, check_probability, check_seeds


def message(call) -> str:
    """The message of the ValueError `call()` raises (exactly a ValueError, not a subclass)."""
    with pytest.raises(ValueError) as err:
        call()
    assert type(err.value) is ValueError
    return str(err.value)


# ----------------------------------------------------------------------------- check_int


def test_check_int_accepts_the_range_ends_and_returns_a_plain_int():
    np = pytest.importorskip("numpy")
    assert check_int("n", 1, 1) == 1
    assert check_int("n", 7, 1, 7) == 7
    got = check_int("n", np.int64(3), 0, 5)  # numpy integers are integers
    assert got == 3 and type(got) is int


@pytest.mark.parametrize("value, minimum, maximum, words", [
    (0, 1, None, ["epochs=0", "an integer >= 1"]),
    (-3, 0, None, ["epochs=-3", "an integer >= 0"]),
    (11, 1, 10, ["epochs=11", "an integer from 1 to 10"]),
    (2.0, 1, None, ["epochs=2.0", "an integer >= 1", "(got float)"]),
    ("3", 1, None, ["epochs='3'", "(got str)"]),
    (None, 1, None, ["epochs=None", "(got NoneType)"]),
])
def test_check_int_names_argument_value_and_range(value, minimum, maximum, words):
    text = message(lambda: check_int("epochs", value, minimum, maximum))
    for word in words:
        assert word in text, (word, text)


@pytest.mark.parametrize("flag", [True, False])
def test_check_int_refuses_bools_although_they_are_ints(flag):
    assert isinstance(flag, int)  # what makes the check necessary
    text = message(lambda: check_int("kernel", flag, 0))
    assert f"kernel={flag}" in text and "(got bool)" in text


def test_check_int_appends_the_hint():
    assert message(lambda: check_int("groups", 3, 1, 2, hint=" (1 or 2)")).endswith("(1 or 2)")


# ----------------------------------------------------------------------------- check_number


def test_check_number_accepts_closed_ends_and_ints():
    assert check_number("lr", 0, 0.0, 1.0) == 0.0
    assert check_number("lr", 1, 0.0, 1.0) == 1.0
    assert type(check_number("lr", 1, 0.0, 1.0)) is float


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, float("nan")])
def test_check_number_refuses_nan_and_inf_even_without_bounds(value):
    text = message(lambda: check_number("lr", value))
    assert f"lr={value!r}" in text and "a finite number" in text


@pytest.mark.parametrize("value", [True, False, "0.1", None, [0.1]])
def test_check_number_refuses_what_is_not_a_real_number(value):
    assert f"lr={value!r}" in message(lambda: check_number("lr", value))


@pytest.mark.parametrize("value, kwargs, words", [
    (0.0, dict(low=0.0, low_open=True), ["lr=0.0", "> 0"]),
    (-1, dict(low=0.0), ["lr=-1", ">= 0"]),
    (10.0, dict(low=0.0, high=10.0, high_open=True), ["lr=10.0", ">= 0 and < 10"]),
    (11, dict(low=0.0, high=10.0), ["lr=11", ">= 0 and <= 10"]),
    (-5, dict(high=-6.0), ["lr=-5", "<= -6"]),
])
def test_check_number_names_the_interval_and_its_open_ends(value, kwargs, words):
    text = message(lambda: check_number("lr", value, **kwargs))
    for word in words:
        assert word in text, (word, text)


def test_check_probability_is_half_open():
    assert check_probability("p", 0) == 0.0
    assert check_probability("p", 0.999) == 0.999
    for bad in (1, 1.0, -0.1, math.nan, True):
        text = message(lambda: check_probability("p", bad))
        assert f"p={bad!r}" in text and ">= 0 and < 1" in text


# ----------------------------------------------------------------------------- bool, choice, seeds


def test_check_bool_takes_only_true_and_false():
    assert check_bool("lrn", True) is True and check_bool("lrn", False) is False
    for bad in (1, 0, "yes", None):
        text = message(lambda: check_bool("lrn", bad))
        assert f"lrn={bad!r}" in text and "True or False" in text


def test_check_choice_lists_every_choice():
    assert check_choice("recipe", "fast", ("paper", "fast")) == "fast"
    assert check_choice("recipe", "d2l", {"d2l": 1, "fast": 2}) == "d2l"  # a dict's keys are its choices
    text = message(lambda: check_choice("recipe", "adam", {"paper": 1, "d2l": 2, "fast": 3}))
    assert text.startswith("recipe='adam' is not valid") and "'paper', 'd2l', 'fast'" in text
    # An unhashable value against a dict is a clear "not valid", not a TypeError.
    assert "recipe=['fast']" in message(lambda: check_choice("recipe", ["fast"], {"fast": 1}))


def test_check_seeds():
    assert check_seeds("seeds", [2, 0, 1]) == [2, 0, 1]
    assert check_seeds("seeds", range(3)) == [0, 1, 2]
    assert check_seeds("seeds", (5,)) == [5]
    assert "must be a non-empty list" in message(lambda: check_seeds("seeds", []))
    assert "seeds=3" in message(lambda: check_seeds("seeds", 3))
    assert "must not repeat a seed" in message(lambda: check_seeds("seeds", [1, 1]))
    assert "seeds=-1 must be an integer >= 0" in message(lambda: check_seeds("seeds", [0, -1]))
    assert "(got bool)" in message(lambda: check_seeds("seeds", [True]))

"""Argument checks: each refuses a bad value before any work, naming the argument, its value and what is valid."""

from __future__ import annotations

import math
import numbers
from typing import Any, Iterable, Optional


def check_int(name: str, value: object, minimum: int = 0, maximum: Optional[int] = None, hint: str = "") -> int:
    """`value` as an int in [minimum, maximum], or a ValueError saying which range is valid."""
    valid = f"an integer >= {minimum}" if maximum is None else f"an integer from {minimum} to {maximum}"
    # bool is an int subclass in Python, but True as a kernel size or an epoch count is always a mistake.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name}={value!r} must be {valid} (got {type(value).__name__}){hint}")
    if value < minimum or (maximum is not None and value > maximum):
        raise ValueError(f"{name}={value!r} must be {valid}{hint}")
    return int(value)


def check_number(name: str, value: object, low: Optional[float] = None, high: Optional[float] = None, *,
                 low_open: bool = False, high_open: bool = False, hint: str = "") -> float:
    """`value` as a finite float in the given interval (ends closed unless `*_open`), else a ValueError."""
    lo = "" if low is None else f"{'>' if low_open else '>='} {low:g}"
    hi = "" if high is None else f"{'<' if high_open else '<='} {high:g}"
    valid = "a finite number" + (f" {lo}" if lo else "") + (" and" if lo and hi else "") + (f" {hi}" if hi else "")
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise ValueError(f"{name}={value!r} must be {valid}{hint}")
    v = float(value)
    if low is not None and (v < low or (low_open and v == low)):
        raise ValueError(f"{name}={value!r} must be {valid}{hint}")
    if high is not None and (v > high or (high_open and v == high)):
        raise ValueError(f"{name}={value!r} must be {valid}{hint}")
    return v


def check_probability(name: str, value: object, hint: str = "") -> float:
    """A probability in [0, 1): 1 would drop (or keep nothing of) every unit."""
    return check_number(name, value, 0.0, 1.0, high_open=True, hint=hint)


def check_bool(name: str, value: object) -> bool:
    """True or False, and nothing that merely looks true (1, 'yes')."""
    if not isinstance(value, bool):
        raise ValueError(f"{name}={value!r} must be True or False")
    return value


def check_choice(name: str, value: Any, choices: Iterable[Any], hint: str = "") -> Any:
    """`value` if it is one of `choices`, else a ValueError listing them."""
    options = tuple(choices)
    try:
        ok = value in options
    except TypeError:  # an unhashable value against a dict/set of choices
        ok = False
    if not ok:
        raise ValueError(f"{name}={value!r} is not valid; choose one of {', '.join(repr(c) for c in options)}{hint}")
    return value


def check_seeds(name: str, seeds: object) -> list[int]:
    """A non-empty list of distinct non-negative integers."""
    if isinstance(seeds, range):
        seeds = list(seeds)
    if not isinstance(seeds, (list, tuple)) or not seeds:
        raise ValueError(f"{name}={seeds!r} must be a non-empty list of distinct integers, e.g. [0, 1, 2]")
    values = [check_int(name, s, 0) for s in seeds]
    if len(set(values)) != len(values):
        raise ValueError(f"{name}={seeds!r} must not repeat a seed: a repeated seed repeats a run")
    return values

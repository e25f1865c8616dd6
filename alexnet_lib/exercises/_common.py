"""What every checker shares: calling the learner's function safely, reading its answer, and the verdict line.

A checker prints ✅ or ❌ with a hint and returns a bool. It never raises and never lets a wrong answer through:
an exception or `exit()` in the learner's code, NaN or inf anywhere, an overflow, a wrong type or shape all end
in ❌. Numerically equal answers of any numeric type (int, float, numpy scalars, 0-d tensors, float64 tensors
where float32 went in) count as right. No message prints the answer to its own question.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import io
import itertools
import math
import numbers
import os
import random
import secrets
import signal
import threading
import traceback
from typing import Any, Callable, Iterable, Iterator, Optional, TypeVar

import numpy as np
import torch

from . import _isolation

T = TypeVar("T")

#: One case: how the call reads in a message, the arguments, and a judge that raises Wrong for a wrong result.
Case = tuple[str, tuple, Callable[[Any], None]]


class Wrong(Exception):
    """The learner's answer is wrong: the message is the hint printed after ❌ (never the right answer)."""


def report(ok: bool, success: str, hint: str) -> bool:
    """Print the verdict in the one format every checker uses, and return it."""
    print(f"✅ {success}" if ok else f"❌ {hint}")
    return ok


def describe(error: BaseException) -> str:
    """'TypeName: message', even for an exception whose str() itself fails."""
    try:
        text = " ".join(str(error).split())
    except Exception:  # a learner's exception class with a broken __str__
        text = "(its message cannot be shown)"
    text = text if len(text) <= 200 else text[:199] + "…"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def show(value: Any, limit: int = 60) -> str:
    """A short, safe repr of a learner's value for a message (floats to 6 significant digits)."""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, int) and not isinstance(value, bool) and len(str(abs(value))) > limit:
        return f"a {len(str(abs(value)))}-digit integer"
    try:
        text = repr(value)
    except Exception:
        text = f"<a {type(value).__name__} that cannot be shown>"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


_HERE = os.path.dirname(os.path.abspath(__file__))


def _learner_line(error: BaseException) -> str:
    """' (line N)' of the innermost frame outside PyTorch, numpy and the standard library, when there is one."""
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if not any(part in f.filename for part in ("site-packages", "dist-packages", "/lib/python", "torch"))
              and not f.filename.startswith(_HERE)]
    return f" (line {frames[-1].lineno})" if frames else ""


#: The most seconds one call of a learner's function may take before the checker stops it (an endless loop).
CALL_SECONDS = 20.0


class _TooSlow(BaseException):
    """Raised inside a learner's function that ran past CALL_SECONDS."""


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after `seconds` (main thread on Unix, where a cell runs; elsewhere no limit)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise _TooSlow()

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


_MUTABLE = (torch.Tensor, np.ndarray, list, dict, set, bytearray, tuple)


def _copy(value: Any) -> Any:
    """A copy of an argument the learner could change in place (tensors, arrays, lists, dicts); `value` itself for
    anything else, or for what cannot be copied (then it is not checked either)."""
    if not isinstance(value, _MUTABLE):
        return value
    try:
        return copy.deepcopy(value)
    except Exception:  # e.g. a non-leaf tensor that requires grad
        return value


def _same(a: Any, b: Any) -> bool:
    """Whether an argument still equals the checker's original (tensors and arrays bit for bit, NaN equal NaN)."""
    try:
        if isinstance(a, torch.Tensor):
            return isinstance(b, torch.Tensor) and a.shape == b.shape and a.dtype == b.dtype and bool(
                torch.equal(a, b) or torch.allclose(a, b, rtol=0, atol=0, equal_nan=True))
        if isinstance(a, np.ndarray):
            return isinstance(b, np.ndarray) and a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))
        if isinstance(a, (list, tuple)):
            return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
        if isinstance(a, dict):
            return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
        return bool(a == b) or (a != a and b != b)  # NaN stays NaN
    except Exception:  # a value that cannot be compared: nothing to say about it
        return True


def _call_here(fn: Callable[..., Any], args: tuple) -> tuple[Any, str]:
    """`call` in this process: copies in, a time limit, every exception a hint, an in-place change refused."""
    given = tuple(_copy(a) for a in args)
    try:
        with _time_limit(CALL_SECONDS):
            result = fn(*given)
    except KeyboardInterrupt:
        raise
    except _TooSlow:
        return None, _too_slow()
    except NotImplementedError:
        return None, "it raises NotImplementedError: replace that line with your code"
    except SystemExit:
        return None, "it called exit() (SystemExit): return the answer instead of stopping Python"
    except RecursionError:
        return None, "it raised RecursionError: a function that calls itself needs a case that stops"
    except BaseException as e:  # a learner's bug must become a hint, not a traceback
        if _isolation.in_child() and "forked subprocess" in describe(e):
            raise _isolation.RedoHere() from None  # CUDA cannot start in a forked child: this call is made again here
        return None, f"it raised {describe(e)}{_learner_line(e)}"
    changed = [i for i, (a, g) in enumerate(zip(args, given)) if g is not a and not _same(a, g)]
    if changed:
        which = ", ".join(f"argument {i + 1}" for i in changed)
        return None, (f"it changed its input in place ({which}); leave the input as it was and return a new "
                      f"value (e.g. x.clone() or a copy of the list first)")
    return result, ""


def _too_slow() -> str:
    return (f"it ran for more than {CALL_SECONDS:g} s and was stopped: a loop that never ends? (the cases are "
            f"small; a right answer takes well under a second)")


#: Seconds the parent waits beyond CALL_SECONDS for a child whose own time limit did not stop it (a C loop).
_GRACE_SECONDS = 5.0


def isolated() -> bool:
    """Whether a learner's code runs in a forked child process (Linux), so that os._exit, a crash or a patch of
    the checker's own functions costs only that exercise. Elsewhere (Windows; macOS, where fork is unsafe) it runs
    in this process, unprotected from a crash; ALEXNET_CHECK_NO_FORK=1 chooses that on Linux too."""
    return _isolation.available()


def _each(tasks: list[Callable[[], T]], failed: Callable[[int, str], T]) -> Iterator[T]:
    """Each task's value in order, the tasks done in a forked child where `isolated()`; `failed(i, why)` stands
    for task i when the child died or went silent ('why' reads "it ..."). Stop iterating at will."""
    if not isolated():
        yield from (task() for task in tasks)
        return
    outcomes = _isolation.run_in_child(tasks, lambda: CALL_SECONDS + _GRACE_SECONDS)
    try:
        for i, (kind, value) in enumerate(outcomes):
            if kind == "slow":
                yield failed(i, _too_slow())
            elif kind == "ended":
                yield failed(i, f"it {value}: only this exercise is marked wrong; return the answer instead")
            else:
                yield tasks[i]() if kind == "redo" else value
    finally:
        outcomes.close()


def call(fn: Callable[..., Any], *args: Any) -> tuple[Any, str]:
    """Call a learner's function: (result, '') or (None, a one-line description of what went wrong).

    The function gets copies of the arguments, so changing them cannot change the checker's cases, and
    changing one in place is itself a ❌; a call that runs past CALL_SECONDS is stopped. SystemExit
    (`exit()`, `sys.exit()`) is caught like any exception; KeyboardInterrupt still stops the cell; where
    `isolated()`, `os._exit` or a crash is a ❌ too (a result that cannot be sent back is made again here).
    """
    return next(_each([lambda: _call_here(fn, args)], lambda i, why: (None, why)))


def _attempt(fn: Callable[..., Any], label: str, args: tuple, judge: Callable[[Any], None]) -> tuple[bool, Any]:
    """Call `fn(*args)`: (True, hint) when settled where the call ran (it failed, or its result is of the learner's
    own types, whose methods judging would run), else (False, result) for a result of Python's and torch's own
    types, for the caller to judge: where isolated(), in the parent, out of reach of the learner's code."""
    got, error = _call_here(fn, args)
    if error:
        return True, f"{label}: {error}"
    return (False, got) if _plain(got) else (True, _judged(judge, got, label))


def _judged(judge: Callable[[Any], None], got: Any, label: str) -> str:
    """'' when `got` passes `judge`, else the hint after `label`."""
    return _rejection(judge, got, f"{label}: ", "returned something that cannot be checked") or ""


def case_rng() -> random.Random:
    """A random source seeded afresh at each check: the cases drawn from it change from call to call, so only a
    function that computes its answer passes, never a table of the fixed teaching cases."""
    return random.Random(secrets.randbits(64))


def run_cases(fn: Any, usage: str, cases: Iterable[Case], success: str) -> bool:
    """The loop every checker shares: refuse a non-function, call `fn` on each case, let the case's judge decide.

    The first error or Wrong ends the check with ❌ and the case's hint; an unforeseen error while judging a
    strange answer ends it with ❌ too. Only a run through every case prints ✅ `success`.
    """
    if not callable(fn):
        return report(False, "", f"pass your function itself, e.g. {usage}, not {show(fn)}")
    cases = list(cases)
    tasks = [functools.partial(_attempt, fn, label, args, judge) for label, args, judge in cases]
    outcomes = _each(tasks, lambda i, why: (True, f"{cases[i][0]}: {why}"))
    try:
        for (label, _, judge), (settled, value) in zip(cases, outcomes):
            hint = value if settled else _judged(judge, value, label)
            if hint:
                return report(False, "", hint)
    finally:
        outcomes.close()
    return report(True, success, "")


def _rejection(judge: Callable[[Any], None], got: Any, prefix: str, unreadable: str) -> Optional[str]:
    """The hint when `judge` rejects `got` (a Wrong, or an error while judging it); None when it passes."""
    try:
        judge(got)
    except Wrong as wrong:
        return f"{prefix}{wrong}"
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # judging an answer nobody foresaw (even one that calls exit()): a ❌, never a traceback
        return f"{prefix}{unreadable} ({describe(e)})"
    return None


def checker(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    """Make a checker total: should its own set-up fail (building a model, a tensor), it prints ❌ saying so.

    The learner's code runs inside `run_cases`, which catches everything it does; this catches the rest.
    """
    @functools.wraps(check)
    def total(fn: Any) -> bool:
        try:
            return check(fn)
        except KeyboardInterrupt:
            raise
        except BaseException as e:  # the checker's fault, or a learner's exit() in set-up: say so instead of raising
            return report(False, "", f"the checker could not prepare its cases ({describe(e)}); your function "
                                     f"was not judged, please report this")
    return total


def judge_answer(answer: Any, judge: Callable[[Any], None], success: str) -> bool:
    """The one-answer form of `run_cases`, for a value the learner wrote down (a prediction, a design's numbers).

    A function passed where a value is wanted, a Wrong from the judge or an unforeseen error all end in ❌.
    """
    if callable(answer) and not isinstance(answer, (torch.Tensor, np.ndarray)):
        return report(False, "", f"pass your answer itself (a value), not the function {show(answer)}")
    def judged() -> Optional[str]:
        return _rejection(judge, answer, "your answer ", "cannot be checked")

    # an object of the learner's own class runs its methods while it is judged: in a child, where isolated()
    hint = judged() if _plain(answer) else next(_each([judged], lambda i, why: f"your answer: judging {why}"))
    return report(False, "", hint) if hint else report(True, success, "")


_PLAIN = (int, float, complex, str, bytes, bool, type(None), torch.Tensor, np.ndarray)


def _plain(value: Any, depth: int = 0) -> bool:
    """Whether `value` is built of Python's and torch's own types only, so judging it runs none of the learner's
    code (a subclass or a class of the learner's own may define __eq__ or __iter__ to do anything)."""
    if type(value) in _PLAIN or isinstance(value, np.generic):
        return True
    if depth > 4 or type(value) not in (tuple, list, set, frozenset, dict):
        return False
    items = [*value.keys(), *value.values()] if type(value) is dict else list(value)
    return len(items) <= 1000 and all(_plain(x, depth + 1) for x in items)


def assert_passes(check: Callable[..., bool], *args: Any) -> None:
    """The autograder's form of any checker: silent when the answer passes, AssertionError with the hint when not.

    nbgrader gives a test cell its points when it runs without an exception; the friendly checkers never raise,
    so the test cells call them through this. The checker's ❌ line becomes the assertion's message.
    """
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        ok = check(*args)
    if ok is not True:
        verdict = [line for line in printed.getvalue().splitlines() if line.startswith("❌")]
        raise AssertionError(verdict[-1] if verdict else f"{getattr(check, '__name__', 'the check')} did not pass")


def one_of(got: Any, options: Iterable[str], what: str) -> str:
    """A string answer that is one of `options` (case and surrounding spaces ignored), else Wrong."""
    options = list(options)
    if not isinstance(got, str) or got.strip().lower() not in options:
        raise Wrong(f"for {what} is {show(got)}; write one of {', '.join(repr(o) for o in options)}")
    return got.strip().lower()


def subset_of(got: Any, options: Iterable[Any], what: str, match: Callable[[Any, Any], bool] = lambda a, b: a == b
              ) -> set:
    """A collection (set, list, tuple) whose every element matches one of `options`, as a set of those options."""
    options = list(options)
    if isinstance(got, (str, bytes, dict)) or not isinstance(got, Iterable):
        raise Wrong(f"for {what} is {show(got)}; give a set such as {{{show(options[0])}}} (or set() for none)")
    chosen = set()
    for item in itertools.islice(iter(got), len(options) * 4 + 1):
        found = [o for o in options if _matches(match, item, o)]
        if not found:
            raise Wrong(f"for {what} contains {show(item)}, which is not one of {', '.join(show(o) for o in options)}")
        chosen.add(found[0])
    return chosen


def _matches(match: Callable[[Any, Any], bool], item: Any, option: Any) -> bool:
    """`match(item, option)`, with an answer that cannot even be compared counting as no match."""
    try:
        return bool(match(item, option))
    except Exception:  # a learner's odd element (a tensor, an object) is simply not one of the options
        return False


def too(value: float, want: float) -> str:
    """'too large' or 'too small': the direction of a miss, never the right value."""
    return "too large" if value > want else "too small"


# ----------------------------------------------------------------------------- reading answers


def number(got: Any, what: str = "a number") -> float | int:
    """A finite real number from any numeric type (int, float, numpy scalar, 0-d array or tensor), else Wrong.

    Integers stay exact Python ints (no overflow); everything else becomes a float.
    """
    if isinstance(got, torch.Tensor):
        if got.dim() != 0:
            raise Wrong(f"returned a tensor of shape {tuple(got.shape)}; return {what} (a single value, e.g. "
                        f"float(t) or t.item())")
        if got.dtype == torch.bool or got.is_complex():
            raise Wrong(f"returned a {got.dtype} tensor; return {what}")
        got = got.detach().cpu().item()
    elif isinstance(got, np.ndarray):
        if got.ndim != 0:
            raise Wrong(f"returned an array of shape {got.shape}; return {what} (a single value)")
        got = got.item()
    elif isinstance(got, np.generic):
        got = got.item()
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, numbers.Real):
        raise Wrong(f"returned {show(got)} ({type(got).__name__}); return {what}")
    if isinstance(got, numbers.Integral):
        if abs(int(got)) > 2 ** 53:  # far beyond any answer here, and beyond what a float holds exactly
            raise Wrong(f"returned {show(int(got))}: far too large to be the answer (did something overflow?)")
        return int(got)
    try:
        value = float(got)
    except (OverflowError, ValueError, TypeError):
        raise Wrong(f"returned {show(got)}, which does not fit in a float: it overflowed") from None
    if not math.isfinite(value):
        raise Wrong(f"returned {value}: the answer must be a finite number (look for a division by zero, a log "
                    f"of 0 or an overflow)")
    return value


def near(got: Any, want: float, tolerance: float, what: str, tip: Callable[[float], str]) -> float:
    """The answer as a number within `tolerance` of `want`, else Wrong: which way it is off, and `tip(value)`."""
    value = number(got, what)
    if not abs(value - want) <= tolerance:
        raise Wrong(f"returned {show(value)}, {too(value, want)}; {tip(value)}")
    return value


def whole_number(got: Any, hint: str = "return an int (use // for division)") -> int:
    """A whole number of any numeric type (27, 27.0, numpy.int64(27), tensor(27)) as an int, else Wrong."""
    value = number(got, "a whole number")
    if isinstance(value, float):
        if not value.is_integer():
            raise Wrong(f"returned {value:g}, not a whole number; {hint}")
        return int(value)
    return value


def exactly(got: Any, want: int, fraction_hint: str, tip: Callable[[int], str]) -> int:
    """The answer as a whole number equal to `want`, else Wrong: which way it is off, and `tip(value)`."""
    value = whole_number(got, fraction_hint)
    if value != want:
        raise Wrong(f"returned {show(value)}, {too(value, want)}; {tip(value)}")
    return value


def numbers_of(got: Any, most: int, what: str = "a list of numbers") -> list:
    """At most `most` numbers from a list, tuple, range, set, 1-D tensor or array, or any iterable, else Wrong."""
    if isinstance(got, (torch.Tensor, np.ndarray)):
        if got.ndim != 1:
            raise Wrong(f"returned an array of shape {tuple(got.shape)}; return {what} (one dimension)")
        got = [got[i] for i in range(min(len(got), most + 1))]
    if isinstance(got, (str, bytes, dict)) or not isinstance(got, Iterable):
        raise Wrong(f"returned {show(got)} ({type(got).__name__}); return {what}")
    values = list(itertools.islice(iter(got), most + 1))
    if len(values) > most:
        raise Wrong(f"returned more than {most} values; return {what}, one per position")
    try:
        return [number(v, "numbers") for v in values]
    except Wrong as wrong:
        raise Wrong(f"returned {show(got)}: every element must be a number ({wrong})") from None


def tensor_like(got: Any, like: torch.Tensor, name: str = "x") -> torch.Tensor:
    """A float64 copy of a tensor answer shaped like the input `like`; Wrong for another type, shape, or NaN/inf.

    Any real dtype is accepted (float64 where float32 went in, too): the values are what is judged.
    """
    if not isinstance(got, torch.Tensor):
        raise Wrong(f"returned {type(got).__name__}; return a tensor (use torch operations on {name})")
    if tuple(got.shape) != tuple(like.shape):
        raise Wrong(f"returned shape {tuple(got.shape)}, but {name} has shape {tuple(like.shape)}: work element-wise "
                    f"on {name} and keep its shape")
    if got.dtype == torch.bool or got.is_complex():
        raise Wrong(f"returned a {got.dtype} tensor; return real numbers")
    values = got.detach().to("cpu", torch.float64)
    bad = ~torch.isfinite(values)
    if bad.any():
        i = int(bad.flatten().nonzero()[0])
        where = f"{name} = {float(like.flatten()[i]):g}" if like.is_floating_point() else f"position {i}"
        raise Wrong(f"gave {float(values.flatten()[i])} where {where}: every output must be a finite number "
                    f"(look for a division by zero, such as 0/0, or an overflow)")
    return values


def first_mismatch(got: torch.Tensor, want: torch.Tensor, atol: float, rtol: float = 0.0) -> Optional[int]:
    """The flat index of the first value of `got` that differs from `want` beyond the tolerance, else None.

    Written so that NaN anywhere counts as a mismatch (a comparison with NaN is False).
    """
    ok = (got - want).abs() <= atol + rtol * want.abs()
    bad = (~ok).flatten().nonzero()
    return int(bad[0]) if len(bad) else None

"""The second hostile-user sweep (issue #31), kept as tests: damaged files trusted, hand-edited fields, checkers
fooled or stuck, crashes that cost other exercises, and silent surprises. Every case must end in the expected
behaviour: a clear refusal naming what is wrong, a ❌ naming the fault, or the right result.

Each case raises Silent (no error where one is due), Unclear (an error, but not the one that says what to do),
or lets a raw exception through (a traceback); /tmp/sweep31.md counts them before and after the fixes.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
from pathlib import Path
from typing import Any, Callable

import pytest
import torch

from alexnet_lib import exercises as E
from alexnet_lib.engine import records
from alexnet_lib.engine.records import History
from alexnet_lib.exercises.lrn import LRN_CASES

ROOT = Path(__file__).resolve().parent.parent
RUN_FILES = sorted((ROOT / "data" / "runs").glob("*.json"))
EXPERIMENTS = [p.stem for p in RUN_FILES if json.loads(p.read_text()).get("schema") == "alexnet_lib.experiment/1"]


class Silent(AssertionError):
    """No error and no ❌ where one was due: a silently wrong result."""


class Unclear(AssertionError):
    """An error or a ❌, but not the one that says what is wrong."""


def refused(action: Callable[[], Any], words: str) -> None:
    """`action()` must raise a ValueError whose message matches `words`; any other exception is a traceback."""
    try:
        action()
    except ValueError as e:
        if not re.search(words, str(e), re.S):
            raise Unclear(f"refused, but without {words!r}: {e}") from None
        return
    raise Silent(f"no error; expected one saying {words!r}")


def crossed(check: Callable[[Any], bool], answer: Any, words: str) -> None:
    """`check(answer)` must print one ❌ line matching `words` and return False."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        ok = check(answer)
    text = out.getvalue()
    if ok is not False:
        raise Silent(f"✅ for an answer that must fail: {text.strip()[:200]}")
    if not text.startswith("❌") or not re.search(words, text, re.S):
        raise Unclear(f"❌ without {words!r}: {text.strip()[:300]}")


@contextlib.contextmanager
def private_runs(folder: Path):
    """data/runs, the fetch cache and the working folder all in `folder`, and no network."""
    saved = records.RUNS_DIR, records.CACHE_DIR, records.urllib.request.urlopen, os.getcwd()

    def offline(*a: Any, **k: Any) -> Any:
        raise OSError("offline in tests")

    records.RUNS_DIR, records.CACHE_DIR = folder, folder / "cache"
    records.urllib.request.urlopen = offline
    os.chdir(folder)
    try:
        yield folder
    finally:
        records.RUNS_DIR, records.CACHE_DIR, records.urllib.request.urlopen = saved[:3]
        os.chdir(saved[3])


CASES: list[tuple[str, str, Callable[[Path], None]]] = []


def case(cls: str, name: str) -> Callable[[Callable[[Path], None]], Callable[[Path], None]]:
    def register(fn: Callable[[Path], None]) -> Callable[[Path], None]:
        CASES.append((cls, name, fn))
        return fn
    return register


# ----------------------------------------------------------------------------- damaged or hand-edited records


def _leaves(data: Any, kind: type, path: tuple = ()) -> list[tuple]:
    """Paths to every leaf of JSON `data` of `kind` (bools are not numbers), the checksum left out."""
    if isinstance(data, dict):
        return [p for k, v in data.items() if k != "checksum" for p in _leaves(v, kind, path + (k,))]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in _leaves(v, kind, path + (i,))]
    ok = isinstance(data, kind) and not isinstance(data, bool)
    return [path] if ok else []


def _set(data: Any, path: tuple, value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


def _get(data: Any, path: tuple) -> Any:
    for key in path:
        data = data[key]
    return data


def _edit_number(d: dict) -> None:
    path = _leaves(d, (int, float))[-1]
    _set(d, path, _get(d, path) + 1)


def _edit_string(d: dict) -> None:
    path = _leaves(d, str)[0]
    _set(d, path, _get(d, path) + " (edited)")


def _drop_key(d: dict) -> None:
    d.pop([k for k in d if k != "checksum"][-1])


def _add_key(d: dict) -> None:
    d["edited_by_hand"] = True


EDITS = {"number": _edit_number, "string": _edit_string, "dropped key": _drop_key, "added key": _add_key}


def _record_case(path: Path, edit: Callable[[dict], None]) -> Callable[[Path], None]:
    def run(tmp: Path) -> None:
        data = json.loads(path.read_text(encoding="utf-8"))
        edit(data)
        (tmp / path.name).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        with private_runs(tmp):
            refused(lambda: records.load_record(path.stem), r"damaged or hand-edited.*restore it with git")
    return run


for _path in RUN_FILES:
    for _what, _edit in EDITS.items():
        case("damaged file trusted", f"data/runs/{_path.stem}.json, {_what} edited")(_record_case(_path, _edit))


def _experiment_case(name: str) -> Callable[[Path], None]:
    def run(tmp: Path) -> None:
        from alexnet_lib import experiments

        data = json.loads((ROOT / "data" / "runs" / f"{name}.json").read_text(encoding="utf-8"))
        data["runs"][0] = {**data["runs"][0], "edited": 1}
        (tmp / "edited.json").write_text(json.dumps(data), encoding="utf-8")
        refused(lambda: experiments.load(tmp / "edited.json"), r"damaged or hand-edited")
    return run


for _name in EXPERIMENTS:
    case("damaged file trusted", f"experiments.load of an edited copy of {_name}.json")(_experiment_case(_name))


# ----------------------------------------------------------------------------- a run's history.json


def _history_dict() -> dict:
    """A real budgeted run's history (config with its plan and re-plans, provenance, one epoch)."""
    data = json.loads((ROOT / "data" / "runs" / "cpu_minutes5_bf16.json").read_text(encoding="utf-8"))
    return {k: data[k] for k in ("config", "provenance", "epochs")}


def _saved_history(tmp: Path, d: dict | None = None) -> Path:
    d = d if d is not None else _history_dict()
    return History(config=d["config"], provenance=d["provenance"], epochs=d["epochs"]).save(tmp / "history.json")


def _text_edit(change: Callable[[str], str], words: str) -> Callable[[Path], None]:
    def run(tmp: Path) -> None:
        path = _saved_history(tmp)
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
        refused(lambda: History.load(path), words)
    return run


def _json_edit(change: Callable[[dict], None], words: str) -> Callable[[Path], None]:
    def run(tmp: Path) -> None:
        path = _saved_history(tmp)
        data = json.loads(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(json.dumps(data, indent=2), encoding="utf-8")
        refused(lambda: History.load(path), words)
    return run


DAMAGED = r"damaged or hand-edited"
HISTORY_EDITS = {
    "test accuracy raised": _json_edit(lambda d: d["epochs"][-1].update(test_acc=0.99), DAMAGED),
    "an epoch removed": _json_edit(lambda d: d["epochs"].pop(), DAMAGED),
    "recipe renamed": _json_edit(lambda d: d["config"].update(recipe="paper"), DAMAGED),
    "a re-plan removed": _json_edit(lambda d: d["config"]["budget"]["replans"].pop(), DAMAGED),
    "wall time halved": _json_edit(lambda d: d["provenance"].update(
        wall_seconds=d["provenance"]["wall_seconds"] / 2), DAMAGED),
    "checksum of another file": _json_edit(lambda d: d.update(checksum="sha256:" + "0" * 64), DAMAGED),
    "checksum not a string": _json_edit(lambda d: d.update(checksum=5), DAMAGED),
    "checksum removed": _json_edit(lambda d: d.pop("checksum", None), r"carries no checksum.*stamp"),
    "cut in half": _text_edit(lambda t: t[:len(t) // 2], r"not a readable run history.*re-run training"),
    "a byte flipped in a number": _text_edit(lambda t: t.replace('"steps": 550', '"steps": 551', 1), DAMAGED),
}
for _what, _run in HISTORY_EDITS.items():
    case("damaged file trusted", f"history.json, {_what}")(_run)


@case("silent surprise", "history.json re-indented and its keys reordered is still the same run")
def _reindented(tmp: Path) -> None:
    path = _saved_history(tmp)
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(dict(reversed(list(data.items()))), indent=5), encoding="utf-8")
    loaded = History.load(path)
    if loaded.epochs != _history_dict()["epochs"]:
        raise Silent("a re-indented history changed its content")


def _analyse_case(edit: Callable[[Path], None], words: str) -> Callable[[Path], None]:
    def run(tmp: Path) -> None:
        from alexnet_lib.__main__ import main

        run_dir = tmp / "run"
        run_dir.mkdir()
        _saved_history(run_dir)
        edit(run_dir / "history.json")
        (run_dir / "checkpoint.pt").write_bytes(b"not read: the history is refused first")
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = main(["analyse", str(run_dir)])
        text = err.getvalue()
        if code == 0:
            raise Silent("analyse accepted it")
        if len(text.strip().splitlines()) != 1 or not re.search(words, text):
            raise Unclear(text[:300])
    return run


case("damaged file trusted", "analyse RUN whose history.json was edited")(_analyse_case(
    lambda p: p.write_text(p.read_text().replace('"epoch": 1', '"epoch": 4', 1)), r"^error: .*damaged or hand-edited"))
case("damaged file trusted", "analyse RUN whose history.json has no checksum")(_analyse_case(
    lambda p: p.write_text(json.dumps({k: v for k, v in json.loads(p.read_text()).items() if k != "checksum"})),
    r"^error: .*carries no checksum"))


# ----------------------------------------------------------------------------- hand-edited fields, stamped anew


def _field_case(change: Callable[[dict], None], words: str) -> Callable[[Path], None]:
    def run(tmp: Path) -> None:
        d = _history_dict()
        change(d)
        path = _saved_history(tmp, d)  # written (and stamped) as the library writes: only the fields are wrong

        def use() -> None:
            h = History.load(path)
            h.summary()
            h.budget_summary()
        refused(use, words)
    return run


def _plan(d: dict) -> dict:
    return d["config"]["budget"]


FIELD_EDITS = {
    "epochs[0].seconds a string": (lambda d: d["epochs"][0].update(seconds="268"), r"epochs\[0\]\.seconds"),
    "epochs[0].test_acc a string": (lambda d: d["epochs"][0].update(test_acc="0.88"), r"epochs\[0\]\.test_acc"),
    "epochs[0].train_loss a list": (lambda d: d["epochs"][0].update(train_loss=[1.0]), r"epochs\[0\]\.train_loss"),
    "epochs[0].images_per_s a dict": (lambda d: d["epochs"][0].update(images_per_s={}), r"epochs\[0\]\.images_per_s"),
    "epochs[0].epoch a string": (lambda d: d["epochs"][0].update(epoch="1"), r"epochs\[0\]\.epoch"),
    "epochs[0].train_seconds true": (lambda d: d["epochs"][0].update(train_seconds=True),
                                     r"epochs\[0\]\.train_seconds"),
    "provenance.wall_seconds a string": (lambda d: d["provenance"].update(wall_seconds="300"),
                                         r"provenance\.wall_seconds"),
    "budget.minutes removed": (lambda d: _plan(d).pop("minutes"), r"config\.budget\.minutes"),
    "budget.minutes zero": (lambda d: _plan(d).update(minutes=0), r"config\.budget\.minutes"),
    "budget.minutes a string": (lambda d: _plan(d).update(minutes="5"), r"config\.budget\.minutes"),
    "budget.steps removed": (lambda d: _plan(d).pop("steps"), r"config\.budget\.steps"),
    "budget.batch_size a string": (lambda d: _plan(d).update(batch_size="64"), r"config\.budget\.batch_size"),
    "budget.seconds_per_step zero": (lambda d: _plan(d).update(seconds_per_step=0),
                                     r"config\.budget\.seconds_per_step"),
    "budget.images removed": (lambda d: _plan(d).pop("images"), r"config\.budget\.images"),
    "budget.train_images zero": (lambda d: _plan(d).update(train_images=0), r"config\.budget\.train_images"),
    "budget.predicted_seconds null": (lambda d: _plan(d).update(predicted_seconds=None),
                                      r"config\.budget\.predicted_seconds"),
    "budget a string": (lambda d: d["config"].update(budget="5 min"), r"config\.budget is a str"),
    "budget.replans an object": (lambda d: _plan(d).update(replans={"at_step": 1}), r"config\.budget\.replans is"),
    "replans[0].at_step removed": (lambda d: _plan(d)["replans"][0].pop("at_step"),
                                   r"config\.budget\.replans\[0\]\.at_step"),
    "replans[0].seconds_per_step a string": (lambda d: _plan(d)["replans"][0].update(seconds_per_step="x"),
                                             r"config\.budget\.replans\[0\]\.seconds_per_step"),
    "replans[0].steps zero": (lambda d: _plan(d)["replans"][0].update(steps=0), r"config\.budget\.replans\[0\]\.steps"),
    "replans[-1] a number": (lambda d: _plan(d)["replans"].append(3), r"config\.budget\.replans\[\d+\]\.at_step"),
}
for _what, (_change, _words) in FIELD_EDITS.items():
    case("traceback (hand-edited field)", f"history with {_what}")(_field_case(_change, _words))


@case("traceback (hand-edited field)", "history whose metrics are null (an older run) still summarises")
def _null_metrics(tmp: Path) -> None:
    d = _history_dict()
    d["epochs"][0].update(train_loss=None, images_per_s=None)
    text = History.load(_saved_history(tmp, d)).summary()
    if "train loss n/a" not in text:
        raise Unclear(text)


# ----------------------------------------------------------------------------- checkers fooled by a table


def _exact_sizes(lo: int, hi: int) -> list:
    return [W for W in range(lo, hi) if W >= 11 and (W - 11) % 4 == 0]


def _flatten(W: int) -> int:
    from alexnet_lib.net.model import AlexNetConfig

    return AlexNetConfig(input_size=W).flatten_features


def _lrn(a: list, n: int, alpha: float, beta: float, k: float) -> list:
    from alexnet_lib.toolkits.lrn import lrn_profile

    return lrn_profile(a, n, alpha, beta, k).tolist()


def _depth(limit: float) -> int:
    from alexnet_lib.net import activations

    for d in range(1, 31):
        norms = activations.gradient_norms("sigmoid", depth=d)
        if norms[0] < limit * norms[-1]:
            return d
    return -1


TABLES = {
    "check_exact_sizes": (E.check_exact_sizes, _exact_sizes, [(200, 241), (11, 40), (5, 12)]),
    "check_flatten_size": (E.check_flatten_size, _flatten, [(w,) for w in (227, 224, 256, 195, 320)]),
    "check_lrn_1d": (E.check_lrn_1d, _lrn, [tuple(c) for c in LRN_CASES]),
    "check_vanishing_depth": (E.check_vanishing_depth, _depth, [(1e-3,), (1e-6,)]),
}


def _table_case(check: Callable, solution: Callable, fixed: list) -> Callable[[Path], None]:
    def run(tmp: Path) -> None:
        table = {repr(args): solution(*args) for args in fixed}
        crossed(check, lambda *args: table.get(repr(args), table[repr(fixed[0])]), r"returned|misses|includes|is ")
    return run


for _name, (_check, _solution, _fixed) in TABLES.items():
    case("checker fooled", f"{_name} with a lookup table of its fixed cases")(_table_case(_check, _solution, _fixed))


# ----------------------------------------------------------------------------- dropout masks that are not random


def _scaled(x: torch.Tensor, keep: torch.Tensor, p: float) -> torch.Tensor:
    return x * keep.to(x.dtype) / (1 - p)


_CACHED: dict = {}
MASKS = {
    "drops the first p of the elements": lambda x, p: (torch.arange(x.numel()) >= round(p * x.numel())).view_as(x),
    "drops the last p of the elements": lambda x, p: (torch.arange(x.numel()) < round((1 - p) * x.numel())
                                                      ).view_as(x),
    "the same generator seed every call": lambda x, p: torch.rand(x.shape, generator=torch.Generator()
                                                                  .manual_seed(7)) >= p,
    "a fixed permutation": lambda x, p: (torch.randperm(x.numel(), generator=torch.Generator().manual_seed(3))
                                         >= round(p * x.numel())).view_as(x),
    "one mask cached per p": lambda x, p: _CACHED.setdefault(p, torch.rand(x.shape) >= p),
    "stripes of ten": lambda x, p: ~(torch.arange(x.numel()) % 10 < round(p * 10)).view_as(x),
    "the first p of every row": lambda x, p: (torch.arange(x.shape[1]) >= round(p * x.shape[1])).expand_as(x),
    "the smallest values": lambda x, p: x > x.flatten().kthvalue(max(1, round(p * x.numel()))).values,
    "pairs of neighbours share a draw": lambda x, p: (torch.rand(x.shape[0], x.shape[1] // 2) >= p)
    .repeat_interleave(2, dim=1),
    "whole rows at random": lambda x, p: (torch.rand(x.shape[0], 1) >= p).expand_as(x),
    "a checkerboard at p=0.5": lambda x, p: ((torch.arange(x.shape[0])[:, None] + torch.arange(x.shape[1])) % 2 == 1)
    if p == 0.5 else torch.rand_like(x) >= p,
    "blocks of 2x2 at random": lambda x, p: (torch.rand(x.shape[0] // 2, x.shape[1] // 2) >= p)
    .repeat_interleave(2, 0).repeat_interleave(2, 1),
}


def _mask_case(mask: Callable) -> Callable[[Path], None]:
    def run(tmp: Path) -> None:
        _CACHED.clear()
        crossed(E.check_dropout, lambda x, p: x if p == 0 else _scaled(x, mask(x, p), p),
                r"dropout\(x, 0\.\d\)")
    return run


for _what, _mask in MASKS.items():
    case("checker fooled", f"check_dropout with a mask that {_what}")(_mask_case(_mask))


# ----------------------------------------------------------------------------- one answer's crash


CRASHES = {
    "os._exit(0)": lambda: os._exit(0),
    "os._exit(1)": lambda: os._exit(1),
    "a segfault": lambda: os.kill(os.getpid(), signal.SIGSEGV),
    "os.abort()": lambda: os.abort(),
    "SIGKILL to itself": lambda: os.kill(os.getpid(), signal.SIGKILL),
}
FUNCTION_CHECKS = {"check_max_pool_1d": E.check_max_pool_1d, "check_exact_sizes": E.check_exact_sizes,
                   "check_flatten_size": E.check_flatten_size, "check_tanh_grad": E.check_tanh_grad,
                   "check_dropout": E.check_dropout, "check_top_k_accuracy": E.check_top_k_accuracy}


def _crash_case(check: Callable, crash: Callable[[], None]) -> Callable[[Path], None]:
    def run(tmp: Path) -> None:
        def answer(*args: Any) -> None:
            crash()
        crossed(check, answer, r"(ended|crashed) the Python process.*only this exercise")
    return run


for _check_name, _check in FUNCTION_CHECKS.items():
    for _how, _crash in CRASHES.items():
        case("checker crash costs the notebook", f"{_check_name} with an answer that calls {_how}")(
            _crash_case(_check, _crash))


class _ExitOnIter(tuple):
    def __iter__(self) -> Any:
        os._exit(0)


class _ExitOnEq:
    def __eq__(self, other: object) -> bool:
        os._exit(0)

    __hash__ = object.__hash__


class _SegfaultOnLen(list):
    def __len__(self) -> int:
        os.kill(os.getpid(), signal.SIGSEGV)
        return 0


VALUE_CRASHES = {
    "check_pool3_widths with a tuple whose __iter__ exits": (E.check_pool3_widths, lambda: _ExitOnIter((67, 98))),
    "check_rule_side with a value whose __eq__ exits": (E.check_rule_side, lambda: {"relu": _ExitOnEq(),
                                                                                    "softmax": "either"}),
    "check_unread_widths with a list whose __len__ segfaults": (E.check_unread_widths,
                                                               lambda: _SegfaultOnLen([51, 53])),
}


def _value_crash_case(check: Callable, make: Callable[[], Any]) -> Callable[[Path], None]:
    def run(tmp: Path) -> None:
        crossed(check, make(), r"(ended|crashed) the Python process|is <|not one of|give")
    return run


for _what, (_check, _make) in VALUE_CRASHES.items():
    case("checker crash costs the notebook", _what)(_value_crash_case(_check, _make))


# ----------------------------------------------------------------------------- a checker stuck


def _stuck_case(check: Callable) -> Callable[[Path], None]:
    def run(tmp: Path) -> None:
        from alexnet_lib.exercises import _common

        saved = _common.CALL_SECONDS, getattr(_common, "_GRACE_SECONDS", None)
        _common.CALL_SECONDS, _common._GRACE_SECONDS = 0.3, 0.3

        def answer(*args: Any) -> None:  # turns off the alarm that would stop it, then never ends
            signal.signal(signal.SIGALRM, signal.SIG_IGN)
            while True:
                pass
        try:
            crossed(check, answer, r"ran for more than 0\.3 s and was stopped")
        finally:
            _common.CALL_SECONDS, _common._GRACE_SECONDS = saved
    return run


for _check_name in ("check_max_pool_1d", "check_exact_sizes"):
    case("checker stuck", f"{_check_name} with an endless answer that ignores SIGALRM")(
        _stuck_case(FUNCTION_CHECKS[_check_name]))


# ----------------------------------------------------------------------------- silent surprises, lost files


@case("silent surprise", "the smoke profile's network is sized for a seconds-long proof (checkpoint < 50 MB)")
def _smoke_size(tmp: Path) -> None:
    from alexnet_lib.engine import run as run_module
    from alexnet_lib.engine.profiles import PROFILES
    from alexnet_lib.net.model import alexnet_d2l, count_parameters

    build = getattr(run_module, "_default_model", None)
    model = build(PROFILES["smoke"], None) if build else alexnet_d2l()
    megabytes = count_parameters(model) * 4 * 2 / 2 ** 20  # weights and momentum, as fit saves them
    if megabytes > 50:
        raise Silent(f"a smoke checkpoint would take {megabytes:.0f} MB")


def _stamp(args: list, words: str, code: int = 2) -> Callable[[Path], None]:
    def run(tmp: Path) -> None:
        from alexnet_lib.__main__ import main

        (tmp / "list.json").write_text("[1, 2]")
        (tmp / "bad.json").write_text("{bad")
        (tmp / "folder.json").mkdir()
        (tmp / "ok.json").write_text('{"a": 1}\n')
        (tmp / "damaged.json").write_text('{"a": 2, "checksum": "sha256:' + "0" * 64 + '"}\n')
        out, err = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                got = main(["stamp", *[str(tmp / a) if a.endswith(".json") else a for a in args]])
        except SystemExit:  # argparse: a command this version does not have
            raise Unclear(f"stamp is not a command here ({err.getvalue().strip()[-120:]})") from None
        text = (out.getvalue() + err.getvalue()).strip()
        if got != code or not re.search(words, text) or len(text.splitlines()) != 1:
            raise Unclear(f"exit {got}: {text[:300]}")
    return run


STAMPS = {
    "a file that does not exist": (["none.json"], r"^error: .*does not exist"),
    "a folder": (["folder.json"], r"^error: .*not a readable JSON file"),
    "a JSON list": (["list.json"], r"^error: .*only an object can carry a checksum"),
    "malformed JSON": (["bad.json"], r"^error: .*not a readable JSON file"),
    "a damaged file, without --force": (["damaged.json"], r"^error: .*does not match its content.*--force"),
    "a damaged file, with --force": (["--force", "damaged.json"], r"stamped sha256:", 0),
    "an unstamped file": (["ok.json"], r"stamped sha256:", 0),
}
for _what, (_args, _words, *_code) in STAMPS.items():
    case("silent surprise", f"stamp {_what}")(_stamp(_args, _words, *_code))


@case("damaged file trusted", "a stamped file stays stamped: stamping twice changes nothing")
def _stamp_twice(tmp: Path) -> None:
    from alexnet_lib.__main__ import main

    (tmp / "ok.json").write_text('{"a": 1}\n')
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            main(["stamp", str(tmp / "ok.json")])
        except SystemExit:
            raise Unclear("stamp is not a command here") from None
    first = (tmp / "ok.json").read_text()
    with contextlib.redirect_stdout(io.StringIO()):
        main(["stamp", str(tmp / "ok.json")])
    if (tmp / "ok.json").read_text() != first:
        raise Silent("stamping a stamped file changed it")


def _fetch_case(body: bytes) -> Callable[[Path], None]:
    def run(tmp: Path) -> None:
        with private_runs(tmp):
            records.urllib.request.urlopen = lambda url, timeout: io.BytesIO(body)
            refused(lambda: records.load_record("lrn"), r"could not be fetched")
            if (tmp / "cache" / "lrn.json").exists():
                raise Silent("a bad download was cached as the record")
    return run


case("damaged file trusted", "a fetched record without its checksum is not cached")(
    _fetch_case(json.dumps({"schema": "x", "runs": []}).encode()))
case("damaged file trusted", "a fetched record whose checksum does not match is not cached")(
    _fetch_case(json.dumps({"runs": [], "checksum": "sha256:" + "1" * 64}).encode()))


@case("damaged file trusted", "an unstamped copy left in the fetch cache is refused, with the way out")
def _stale_cache(tmp: Path) -> None:
    with private_runs(tmp):
        (tmp / "cache").mkdir()
        (tmp / "cache" / "lrn.json").write_text('{"schema": "old"}')
        refused(lambda: records.load_record("lrn"), r"carries no checksum.*delete it to fetch it again")


@case("damaged file trusted", "an experiment record written by save() and then edited is refused")
def _saved_then_edited(tmp: Path) -> None:
    from alexnet_lib.experiments import schema

    record = schema.make_record("demo", "q?", {"epochs": 1}, [{"seed": 0, "acc": 0.5}])
    schema.save(record, tmp / "demo.json")
    text = (tmp / "demo.json").read_text().replace('"acc": 0.5', '"acc": 0.9')
    (tmp / "demo.json").write_text(text)
    refused(lambda: schema.load(tmp / "demo.json"), DAMAGED)


@case("damaged file trusted", "bench --out writes its measurement with a checksum")
def _bench_stamped(tmp: Path) -> None:
    from alexnet_lib.experiments.bench import BenchResult

    result = BenchResult(d2l_images_per_s=10.0, ours_images_per_s=20.0, images=64, batch_size=32, size=224,
                         precision="fp32", device_name="cpu", fp32_gflops=100.0, our_gflops=100.0,
                         flops_per_image=1e9)
    path = result.save(tmp / "bench.json")
    if "checksum" not in json.loads(path.read_text()):
        raise Silent("bench.json carries no checksum")


# ----------------------------------------------------------------------------- answers that cheat or surprise


def _max_pool(v: list, z: int, s: int) -> list:
    return [max(v[j * s:j * s + z]) for j in range((len(v) - z) // s + 1)]


def _patching(target: str, attribute: str, value: Callable[[], Any], check: Callable, wrong: Callable,
              words: str) -> Callable[[Path], None]:
    """An answer that patches the checker's own code (or Python's) so that its wrong result passes."""
    def run(tmp: Path) -> None:
        module = __import__(target, fromlist=["_"])
        saved = getattr(module, attribute)

        def cheat(*args: Any) -> Any:
            setattr(module, attribute, value())
            return wrong(*args)
        try:
            crossed(check, cheat, words)
        finally:
            setattr(module, attribute, saved)  # where the checker does not isolate the answer, undo it here
    return run


case("checker fooled", "check_max_pool_1d with an answer that patches the checker's _rejection")(_patching(
    "alexnet_lib.exercises._common", "_rejection", lambda: (lambda *a, **k: None), E.check_max_pool_1d,
    lambda v, z, s: [0], r"max_pool_1d\("))
case("checker fooled", "check_tanh_grad with an answer that patches first_mismatch")(_patching(
    "alexnet_lib.exercises.relu_tanh", "first_mismatch", lambda: (lambda *a, **k: None), E.check_tanh_grad,
    lambda x: torch.zeros_like(x), r"tanh_grad\(x\): gave"))
case("checker fooled", "check_top_k_accuracy with an answer that patches abs()")(_patching(
    "builtins", "abs", lambda: (lambda x: 0), E.check_top_k_accuracy, lambda s, y, k: 0.123, r"top_k"))


class _ExitingList(list):
    def __iter__(self) -> Any:
        os._exit(0)


class _SegfaultingList(list):
    def __iter__(self) -> Any:
        os.kill(os.getpid(), signal.SIGSEGV)
        return iter([])


case("checker crash costs the notebook", "check_exact_sizes with a result whose __iter__ exits")(
    lambda tmp: crossed(E.check_exact_sizes, lambda lo, hi: _ExitingList([lo]), r"ended the Python process"))
case("checker crash costs the notebook", "check_max_pool_1d with a result whose __iter__ segfaults")(
    lambda tmp: crossed(E.check_max_pool_1d, lambda v, z, s: _SegfaultingList([1]),
                        r"crashed the Python process \(SIGSEGV\)"))


class _Liar(int):
    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    __hash__ = int.__hash__


case("checker fooled", "check_flatten_size with an int that claims to equal everything")(
    lambda tmp: crossed(E.check_flatten_size, lambda W: _Liar(7), r"returned 7, too small"))


def _passes(check: Callable, answer: Callable, printed: str = "") -> Callable[[Path], None]:
    """A right answer, written in an unusual but valid way, must pass (and what it prints must show)."""
    def run(tmp: Path) -> None:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            ok = check(answer)
        if ok is not True:
            raise Unclear(f"a right answer failed: {out.getvalue().strip()[-300:]}")
        if printed not in out.getvalue():
            raise Silent(f"what the answer printed did not show ({printed!r})")
    return run


def _chatty(v: list, z: int, s: int) -> list:
    print("\n".join(f"window {i}" for i in range(20_000)))
    return _max_pool(v, z, s)


def _cuda_in_child(tmp: Path) -> None:
    """A right answer that uses CUDA, which cannot start in a forked child: made again where it can run."""
    checking = os.getpid()

    def answer(v: list, z: int, s: int) -> list:
        if os.getpid() != checking:
            raise RuntimeError("Cannot re-initialize CUDA in forked subprocess. To use CUDA with multiprocessing, "
                               "you must use the 'spawn' start method")
        return _max_pool(v, z, s)
    _passes(E.check_max_pool_1d, answer)(tmp)


case("silent surprise", "check_max_pool_1d with an answer that prints 20,000 lines")(
    _passes(E.check_max_pool_1d, _chatty, "window 19999"))
case("silent surprise", "check_exact_sizes with a right answer that returns a generator")(
    _passes(E.check_exact_sizes, lambda lo, hi: (W for W in range(lo, hi) if W >= 11 and (W - 11) % 4 == 0)))
case("silent surprise", "check_max_pool_1d with a right answer that needs CUDA (not in a forked child)")(
    _cuda_in_child)
case("silent surprise", "check_max_pool_1d with a right answer that returns a numpy array")(
    _passes(E.check_max_pool_1d, lambda v, z, s: __import__("numpy").array(_max_pool(v, z, s))))


IDS = [f"{cls}: {name}" for cls, name, _ in CASES]


@pytest.mark.parametrize("cls, name, run", CASES, ids=IDS)
def test_case(tmp_path: Path, cls: str, name: str, run: Callable[[Path], None]) -> None:
    run(tmp_path)


def test_the_sweep_has_at_least_150_cases_in_every_class():
    classes = {cls for cls, _, _ in CASES}
    assert len(CASES) >= 150 and len(set(IDS)) == len(IDS)
    assert all(sum(c == cls for c, _, _ in CASES) >= 2 for cls in classes), classes

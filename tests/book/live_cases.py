"""Every explorer of the book, built as its chapter builds it, and how to compare what a page shows with Python.

Shared by tests/book/test_live.py (each explorer alone in Chromium, thousands of settings) and
tests/book/test_browser.py (every control of every explorer moved on the built book).
"""

from __future__ import annotations

import importlib
import math
from typing import Any, Callable

from alexnet_lib.book.live import LiveExplorer


def _default(module: str, name: str) -> Callable[[], LiveExplorer]:
    """A builder of the explorer `name` of `module` with its defaults, imported only when built."""
    return lambda: getattr(importlib.import_module(module), name)()


def _ensemble():
    from alexnet_lib.book.results import EnsembleExplorer
    from alexnet_lib.experiments.ensembles import load_ensembles
    return EnsembleExplorer(load_ensembles())


def _budget():
    from alexnet_lib.book.budget import BudgetExplorer
    from alexnet_lib.engine.records import load_record
    return BudgetExplorer([load_record(f"cpu_minutes{m}_bf16{s}") for m in (5, 10, 30) for s in ("", "_seed1")])


_BLOCKS = "alexnet_lib.book.explorers"
#: kind -> a function that builds the explorer the way its chapter does.
BUILDERS: dict[str, Callable[[], LiveExplorer]] = {
    "output_size": _default(_BLOCKS, "OutputSizeExplorer"), "activation": _default(_BLOCKS, "ActivationExplorer"),
    "dropout": _default(_BLOCKS, "DropoutExplorer"), "lrn": _default(_BLOCKS, "LRNExplorer"),
    "pooling": _default(_BLOCKS, "PoolingExplorer"),
    "layers": _default("alexnet_lib.book.history", "LeNetAlexNetExplorer"),
    "towers": _default("alexnet_lib.book.architecture", "TowersExplorer"),
    "patch": _default("alexnet_lib.book.augmentation", "PatchExplorer"), "ensemble": _ensemble, "budget": _budget,
    "init_scale": _default("alexnet_lib.book.init_scale", "InitScaleExplorer"),
}
#: How close the browser's floats must be to Python's, where float64 in the browser meets float32 in torch.
TOLERANCE = {"activation": 1e-7, "patch": 1e-4, "ensemble": 1e-6, "init_scale": 1e-8}


def differences(js: Any, py: Any, where: str = "", rel: float = 1e-9, atol: float = 1e-12) -> list[str]:
    """Where the browser's values differ from Python's (floats within `rel`/`atol`), as readable lines."""
    if isinstance(py, dict):
        if not isinstance(js, dict):
            return [f"{where}: browser gave {js!r}, Python a dict"]
        out = []
        for key in py:
            if key not in js:
                out.append(f"{where}.{key}: missing in the browser")
            else:
                out += differences(js[key], py[key], f"{where}.{key}", rel, atol)
        return out
    if isinstance(py, (list, tuple)):
        if not isinstance(js, list) or len(js) != len(py):
            return [f"{where}: browser gave {js!r}, Python {py!r}"]
        return [d for i, (a, b) in enumerate(zip(js, py)) for d in differences(a, b, f"{where}[{i}]", rel, atol)]
    if isinstance(py, bool) or py is None or isinstance(py, str):
        return [] if js == py else [f"{where}: browser {js!r}, Python {py!r}"]
    if isinstance(js, bool) or not isinstance(js, (int, float)):
        return [f"{where}: browser {js!r}, Python {py!r}"]
    if isinstance(py, int) and not isinstance(py, bool) and float(js).is_integer():
        return [] if int(js) == py else [f"{where}: browser {js}, Python {py}"]
    return [] if math.isclose(js, py, rel_tol=rel, abs_tol=atol) else [f"{where}: browser {js!r}, Python {py!r}"]


def compare(js: dict, py: dict, rel: float = 1e-9, atol: float = 1e-12) -> list[str]:
    """differences(), where an impossible setting must be impossible in both (the messages may differ)."""
    if "error" in py or "error" in js:
        if ("error" in py) != ("error" in js):
            return [f"browser {'error ' + js['error'] if 'error' in js else 'no error'}; "
                    f"Python {'error ' + py['error'] if 'error' in py else 'no error'}"]
        return []
    return differences(js, py, "", rel, atol)


_STATE = """(root) => ({text: root.querySelector('.ax-result').innerText,
                         picture: root.querySelector('.ax-figure').innerHTML + [...root.querySelectorAll('canvas')]
                                    .map((c) => c.toDataURL()).join(),
                         updates: Number(root.dataset.updates || 0),
                         values: root.dataset.error ? {error: root.dataset.error} : JSON.parse(root.dataset.values),
                         settings: JSON.parse(root.dataset.settings)})"""


def _wait_for_update(root, before: int) -> None:
    root.evaluate("(root, n) => new Promise((done) => { const wait = () => Number(root.dataset.updates) > n ? "
                  "done() : requestAnimationFrame(wait); wait(); })", before)


def move_every_control(page, root) -> list[dict]:
    """Move each control of the explorer `root` (a Playwright locator) once from the explorer's first state, as a
    reader would: a slider one step by keyboard (back, at its end), a checkbox by a click, a choice to its next
    option; then put it back. Returns, per control, whether the text and the picture changed, the values and
    settings the page then showed, and whether putting it back restored the first text."""
    moves = []
    for row in root.locator(".ax-control").all():
        before = root.evaluate(_STATE)
        control = row.locator("input, select").first
        kind = control.evaluate("(c) => c.tagName === 'SELECT' ? 'select' : c.type")
        start = control.input_value()
        if kind == "range":
            control.focus()
            page.keyboard.press("ArrowRight")
            back = "ArrowLeft"
            if control.input_value() == start:
                page.keyboard.press("ArrowLeft")
                back = "ArrowRight"
        elif kind == "checkbox":
            control.click()
        else:
            values = [o.get_attribute("value") for o in control.locator("option").all()]
            control.select_option(values[(values.index(start) + 1) % len(values)])
        _wait_for_update(root, before["updates"])
        after = root.evaluate(_STATE)
        if kind == "range":
            page.keyboard.press(back)
        elif kind == "checkbox":
            control.click()
        else:
            control.select_option(start)
        _wait_for_update(root, after["updates"])
        restored = root.evaluate(_STATE)
        moves.append({"name": row.get_attribute("data-name"), "values": after["values"], "settings": after["settings"],
                      "changed": after["text"] != before["text"] and (after["picture"] != before["picture"]
                                                                      or "error" in after["values"]),
                      "restored": restored["text"] == before["text"]})
    return moves

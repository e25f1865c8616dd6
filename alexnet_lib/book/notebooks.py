"""Executing the chapter notebooks the way the book needs them, and checking what a committed notebook shows.

The book is built from the committed outputs, so a chapter must be executed with an inline matplotlib
backend (an `MPLBACKEND=Agg` in the environment silently drops every figure), with the `smoke` training
profile (seconds, not half an hour), and without tqdm's progress bars (an ipywidgets bar would need a widget
manager on the static page to show a frozen 100%; the run's own summary lines say what it did). `execute`
does exactly that, drops the bars, and refuses to write a notebook that lost a figure or an explorer.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from pathlib import Path
from typing import Any, Iterator, Union

from ..files import atomic_write_text

#: A code cell that draws: it calls one of the library's plot_* functions or matplotlib's pyplot.
PLOTTING = re.compile(r"\bplot_\w+\(|\bplt\.")
#: A code cell that shows an explorer: a bare `SomethingExplorer(...)` statement (not an assignment).
SHOWS_EXPLORER = re.compile(r"^\w*Explorer\(", re.MULTILINE)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: What every explorer's HTML output contains (alexnet_lib.book.live).
EXPLORER_MARK = 'class="alexnet-explorer"'
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def _source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def missing_outputs(nb: dict[str, Any]) -> list[str]:
    """What a page built from `nb` would lack: plotting cells without an image, explorers without their HTML, and
    any ipywidgets output (the static page has no widget manager to draw it)."""
    problems = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        outputs = cell.get("outputs", [])
        data = [o.get("data", {}) for o in outputs]
        if PLOTTING.search(_source(cell)) and not any("image/png" in d for d in data):
            problems.append(f"cell {i} draws a figure but has no image output (executed with a non-inline backend?)")
        if any(WIDGET_VIEW in d for d in data):
            problems.append(f"cell {i} shows an ipywidgets widget, which the static page cannot draw")
        html = ["".join(d.get("text/html", "")) for d in data]
        if SHOWS_EXPLORER.search(_source(cell)) and not any(EXPLORER_MARK in h for h in html):
            problems.append(f"cell {i} builds an explorer but shows no explorer HTML")
    return problems


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    """Set environment variables for the kernels started inside, then restore them."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def execute(path: Union[str, Path], profile: str = "smoke", timeout: int = 900) -> Path:
    """Execute the notebook at `path` in place with inline figures and `profile`, its progress bars dropped.

    The file is replaced atomically, and only if every figure and explorer came out (see `missing_outputs`).
    """
    try:
        import nbformat
        from nbclient import NotebookClient
    except ImportError as e:
        raise ValueError(f"executing notebooks needs nbclient and nbformat ({e}); install requirements.txt") from None
    path = Path(path)
    if path.suffix != ".ipynb" or not path.is_file():
        raise ValueError(f"{path} is not a notebook file (.ipynb); pass chapters such as chapters/lrn.ipynb")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as e:  # nbformat raises JSON, validation and encoding errors alike
        raise ValueError(f"{path} is not a readable notebook ({type(e).__name__}: {e})") from None
    with _environment(ALEXNET_PROFILE=profile, MPLBACKEND=INLINE_BACKEND, PYDEVD_DISABLE_FILE_VALIDATION="1"):
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=False,
                                resources={"metadata": {"path": str(path.parent)}})
        client.execute()
    for cell in nb.cells:  # tqdm's notebook bars: live feedback only, and nothing a static page can draw
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if WIDGET_VIEW not in o.get("data", {})]
    problems = missing_outputs(json.loads(nbformat.writes(nb)))
    if problems:
        raise ValueError(f"{path} was not rewritten: " + "; ".join(problems))
    return atomic_write_text(path, nbformat.writes(nb) + "\n")

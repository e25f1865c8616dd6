"""Student notebooks: the chapter with every solution removed, in nbgrader's conventions."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Union

from .records import atomic_write_text, read_json

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
#: What replaces a solution, as nbgrader writes it.
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
_SOLUTION_DIRECTIVE = re.compile(r"^(```+|:::+)\s*\{solution\}")
#: A line that looks like a solution marker but is not exactly one: a typo that would leak the solution.
_NEAR_MARKER = re.compile(r"^#+\s*(BEGIN|END)\s*SOL", re.IGNORECASE)


def strip_solution_directives(markdown: str, where: str = "cell") -> str:
    """Remove every `{solution}` directive block from a markdown cell, keeping all the text around it."""
    out: list[str] = []
    fence = None
    for line in markdown.splitlines(keepends=True):
        stripped = line.strip()
        if fence is None:
            opening = _SOLUTION_DIRECTIVE.match(stripped)
            if opening:
                fence = opening.group(1)
            else:
                out.append(line)
        elif stripped == fence:
            fence = None
    if fence is not None:
        raise ValueError(f"{where}: a {{solution}} directive opened with {fence} is never closed; close it, "
                         f"or the student notebook would lose the text after it")
    return "".join(out).strip("\n") + ("\n" if markdown.endswith("\n") else "")


def strip_solutions(source: str, where: str = "cell") -> str:
    """Replace each BEGIN/END SOLUTION block with nbgrader's stub, keeping its indentation."""
    out: list[str] = []
    inside = False
    indent = ""
    for line in source.splitlines():
        stripped = line.strip()
        if _NEAR_MARKER.match(stripped) and stripped not in (BEGIN, END):
            raise ValueError(f"{where}: {stripped!r} looks like a solution marker but is not exactly "
                             f"'{BEGIN}' or '{END}'; fix it, or the solution would stay in the student version")
        if stripped == BEGIN:
            if inside:
                raise ValueError(f"{where}: a second '{BEGIN}' before '{END}'; close the first block")
            inside, indent = True, line[: len(line) - len(line.lstrip())]
            out.extend(indent + s for s in STUB.splitlines())
        elif stripped == END:
            if not inside:
                raise ValueError(f"{where}: '{END}' without '{BEGIN}'")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{where}: '{BEGIN}' is never closed by '{END}'")
    return "\n".join(out)


def student_version(nb: dict[str, Any], name: str = "notebook") -> dict[str, Any]:
    """A copy of a notebook dict with solutions stubbed, their outputs cleared and solution text removed."""
    cells = []
    for i, cell in enumerate(nb.get("cells", [])):
        source = cell.get("source", "") if isinstance(cell, dict) else None
        if isinstance(source, list) and all(isinstance(part, str) for part in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise ValueError(f"{name}, cell {i}: not a notebook cell (a cell is an object whose 'source' is text)")
        src = source
        cell = dict(cell)
        if cell.get("cell_type") == "markdown" and "{solution}" in src:
            # Written solutions would give the answer away; the exercise statements beside them stay.
            kept = strip_solution_directives(src, f"{name}, cell {i}")
            if not kept.strip():
                continue
            cell["source"] = kept
        if cell.get("cell_type") == "code" and (BEGIN in src or any(_NEAR_MARKER.match(line.strip())
                                                                   for line in src.splitlines())):
            cell["source"] = strip_solutions(src, f"{name}, cell {i}")
            cell["outputs"], cell["execution_count"] = [], None
            tags = [t for t in cell.get("metadata", {}).get("tags", []) if t not in ("hide-input", "remove-input")]
            cell["metadata"] = {**cell.get("metadata", {}), "tags": tags}
        cells.append(cell)
    return {**nb, "cells": cells}


def make_student_notebook(path: Union[str, Path], out_dir: Union[str, Path] = "student") -> Path:
    """Write the student version of the notebook at `path` into `out_dir` (same file name)."""
    path = Path(path)
    if not path.is_file() or path.suffix != ".ipynb":
        raise ValueError(f"{path} is not a notebook file; pass chapter notebooks such as chapters/output_size.ipynb")
    nb = read_json(path, "notebook")
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError(f"{path} is JSON but not a notebook (no 'cells' list)")
    target = Path(out_dir) / path.name
    if target.resolve() == path.resolve():
        raise ValueError(f"--out {out_dir} would overwrite the chapter itself; choose another folder")
    return atomic_write_text(target, json.dumps(student_version(nb, path.name), indent=1, ensure_ascii=False) + "\n")

"""Student notebooks: the chapter with every solution removed, in nbgrader's conventions."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Union

from .train import atomic_write_text

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
#: What replaces a solution, as nbgrader writes it.
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
_SOLUTION_DIRECTIVE = re.compile(r"^(```+|:::+)\s*\{solution\}", re.MULTILINE)


def strip_solutions(source: str, where: str = "cell") -> str:
    """Replace each BEGIN/END SOLUTION block with nbgrader's stub, keeping its indentation."""
    out: list[str] = []
    inside = False
    indent = ""
    for line in source.splitlines():
        stripped = line.strip()
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
        src = "".join(cell.get("source", ""))
        if cell.get("cell_type") == "markdown" and _SOLUTION_DIRECTIVE.search(src):
            continue  # written solutions would give the answer away
        cell = dict(cell)
        if cell.get("cell_type") == "code" and BEGIN in src:
            cell["source"] = strip_solutions(src, f"{name}, cell {i}")
            cell["outputs"], cell["execution_count"] = [], None
            tags = [t for t in cell.get("metadata", {}).get("tags", []) if t not in ("hide-input", "remove-input")]
            cell["metadata"] = {**cell.get("metadata", {}), "tags": tags}
        cells.append(cell)
    return {**nb, "cells": cells}


def make_student_notebook(path: Union[str, Path], out_dir: Union[str, Path] = "student") -> Path:
    """Write the student version of the notebook at `path` into `out_dir` (same file name)."""
    path = Path(path)
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} does not exist; pass a chapter notebook such as chapters/output_size.ipynb")
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not a notebook (invalid JSON: {e})") from e
    target = Path(out_dir) / path.name
    if target.resolve() == path.resolve():
        raise ValueError(f"--out {out_dir} would overwrite the chapter itself; choose another folder")
    return atomic_write_text(target, json.dumps(student_version(nb, path.name), indent=1, ensure_ascii=False) + "\n")

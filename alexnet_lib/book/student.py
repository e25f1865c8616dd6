"""Student notebooks through nbgrader: each chapter with every solution removed, ready to hand out and autograde.

The chapters are nbgrader source notebooks: answer cells carry nbgrader's solution metadata and their answer
sits between `### BEGIN SOLUTION` and `### END SOLUTION`; each exercise has a locked autograder test cell.
`configure(c)` sets up an nbgrader config for them: nbgrader's own generate_assignment steps, except that
figures and widgets keep their outputs (only answer cells are cleared) and the written `{solution}` blocks,
which nbgrader does not know, are removed. `make_student_notebooks` runs generate_assignment in a temporary
course folder and copies the released notebooks out.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterable, Union

from ..files import read_json

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


NBGRADER = "nbgrader==0.9.6"


class NbgraderMissing(ImportError, ValueError):
    """nbgrader is not installed (a ValueError too, so the command line reports it in one line)."""


def _nbgrader() -> Any:
    """The nbgrader package, or an ImportError that says how to install it."""
    try:
        import nbgrader.preprocessors
    except ImportError:
        raise NbgraderMissing(f"student notebooks are made with nbgrader, which is not installed: "
                          f"pip install {NBGRADER}") from None
    return nbgrader.preprocessors


def _is_answer_cell(cell: Any) -> bool:
    """Whether nbgrader's metadata marks the cell as one the learner fills in."""
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("solution"))


def student_cells(nb: Any, name: str = "notebook") -> Any:
    """Prepare a notebook node for nbgrader's ClearSolutions: refuse malformed markers, drop written solutions,
    unfold answer cells and clear their outputs (they may show the answer). Changes `nb` in place."""
    cells = []
    for i, cell in enumerate(nb.cells):
        where = f"{name}, cell {i}"
        source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
        if cell.cell_type == "markdown" and "{solution}" in source:
            source = strip_solution_directives(source, where)
            if not source.strip():
                continue
            cell.source = source
        if cell.cell_type == "code":
            strip_solutions(source, where)  # only to refuse a typo'd or unbalanced marker; nbgrader stubs the cell
            if BEGIN in source and not _is_answer_cell(cell):
                raise ValueError(f"{where} has solution markers but no nbgrader solution metadata; add it, or "
                                 f"nbgrader refuses the notebook")
            if _is_answer_cell(cell):
                cell.outputs, cell.execution_count = [], None
                tags = [t for t in cell.metadata.get("tags", []) if t not in ("hide-input", "remove-input")]
                cell.metadata["tags"] = tags
        cells.append(cell)
    nb.cells = cells
    return nb


#: nbgrader's per-cell limit when it autogrades (its own default, 30 s, is shorter than the slowest cell of 5 of
#: the 10 chapters on a 2-core CPU with ALEXNET_PROFILE=smoke, and a stopped cell fills the feedback with errors
#: the learner did not cause).
CELL_SECONDS = 600


def configure(c: Any) -> None:
    """Set up an nbgrader config (`c`, as in nbgrader_config.py) for these chapters: generate_assignment's
    preprocessors, and a per-cell time limit that fits every chapter when autograding."""
    pre = _nbgrader()
    c.Execute.timeout = CELL_SECONDS

    class StudentCells(pre.NbGraderPreprocessor):
        """Remove written {solution} blocks and clear answer cells' outputs; refuse malformed solution markers."""

        def preprocess(self, nb: Any, resources: dict) -> tuple:
            return student_cells(nb, resources.get("unique_key", "notebook")), resources

    # nbgrader's own list, with ClearOutput replaced: figures and widgets stay, answer cells are cleared above.
    c.GenerateAssignment.preprocessors = [
        pre.IncludeHeaderFooter, pre.InstantiateTests, pre.LockCells, StudentCells, pre.ClearSolutions,
        pre.CheckCellMetadata, pre.ComputeChecksums, pre.SaveCells, pre.ClearHiddenTests, pre.ClearMarkScheme,
        pre.ComputeChecksums, pre.CheckCellMetadata]


def _notebook(path: Path) -> dict:
    """A chapter notebook read and checked: a .ipynb file holding a 'cells' list, with well-formed markers."""
    if not path.is_file() or path.suffix != ".ipynb":
        raise ValueError(f"{path} is not a notebook file; pass chapter notebooks such as chapters/output_size.ipynb")
    nb = read_json(path, "notebook")
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError(f"{path} is JSON but not a notebook (no 'cells' list)")
    student_version(nb, path.name)  # a malformed marker is reported here, before nbgrader runs
    return nb


def make_student_notebooks(paths: Iterable[Union[str, Path]], out_dir: Union[str, Path] = "student") -> list[Path]:
    """Run nbgrader generate_assignment on each chapter (one assignment each, in a temporary course folder) and
    copy the released student notebooks into `out_dir`; returns their paths."""
    paths = [Path(p) for p in paths]
    out = Path(out_dir)
    for path in paths:
        _notebook(path)
        if (out / path.name).resolve() == path.resolve():
            raise ValueError(f"--out {out_dir} would overwrite the chapter itself; choose another folder")
    _nbgrader()
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    written = []
    with tempfile.TemporaryDirectory(prefix="alexnet-course-") as course:
        c = Config()
        c.CourseDirectory.root = course
        c.CourseDirectory.db_url = f"sqlite:///{Path(course) / 'gradebook.db'}"
        configure(c)
        api = NbGraderAPI(config=c)
        for path in paths:
            source = Path(course) / "source" / path.stem
            source.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, source / path.name)
            result = api.generate_assignment(path.stem, force=True, create=True)
            released = Path(course) / "release" / path.stem / path.name
            if not result.get("success") or not released.is_file():
                raise ValueError(f"nbgrader generate_assignment failed for {path}: "
                                   f"{(result.get('error') or result.get('log') or 'no message').strip()[-2000:]}")
            out.mkdir(parents=True, exist_ok=True)
            written.append(Path(shutil.copyfile(released, out / path.name)))
    return written

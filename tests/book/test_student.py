"""Student notebooks: solutions stubbed the nbgrader way, written solutions dropped, originals untouched."""

import json

import nbformat
import pytest

from alexnet_lib.book import student as S
from alexnet_lib.book.student import STUB, make_student_notebooks, strip_solutions, student_cells, student_version


def nb(*cells):
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": list(cells)}


def code(src, tags=()):
    return {"cell_type": "code", "source": src, "metadata": {"tags": list(tags)}, "execution_count": 3,
            "outputs": [{"output_type": "stream", "name": "stdout", "text": "✅ correct"}]}


def md(src):
    return {"cell_type": "markdown", "source": src, "metadata": {}}


def test_strip_keeps_indentation_and_the_rest():
    src = "def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION\ncheck(f)"
    assert strip_solutions(src) == "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\ncheck(f)"


@pytest.mark.parametrize("src, message", [
    ("### BEGIN SOLUTION\nx = 1", "never closed"),
    ("x = 1\n### END SOLUTION", "without"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "second"),
])
def test_unbalanced_markers_are_reported(src, message):
    with pytest.raises(ValueError, match=message):
        strip_solutions(src, "ch.ipynb, cell 4")


def test_student_version():
    original = nb(md("# Title"), code("answer = 2\n"),
                  code("### BEGIN SOLUTION\nanswer = 55\n### END SOLUTION\ncheck(answer)", tags=["hide-input"]),
                  md("```{solution} ex-1\n:class: dropdown\nBecause 55.\n```"))
    student = student_version(original)
    assert [c["cell_type"] for c in student["cells"]] == ["markdown", "code", "code"]
    ex = student["cells"][2]
    assert ex["source"] == STUB + "\ncheck(answer)" and ex["outputs"] == [] and ex["execution_count"] is None
    assert "hide-input" not in ex["metadata"]["tags"]  # students must see the cell they fill in
    assert student["cells"][1]["outputs"]  # other cells keep their outputs
    assert "55" in original["cells"][2]["source"]  # the original is not modified


def test_make_student_notebooks_refuses_bad_inputs_before_running_nbgrader(tmp_path):
    src = tmp_path / "ch.ipynb"
    src.write_text(json.dumps(nb(code("### BEGIN SOLUTION\nx = 1\n### END SOLUTION"))))
    with pytest.raises(ValueError, match="overwrite the chapter"):
        make_student_notebooks([src], tmp_path)
    with pytest.raises(ValueError, match="nope.ipynb is not a notebook file"):
        make_student_notebooks([tmp_path / "nope.ipynb"], tmp_path / "s")
    (tmp_path / "bad.ipynb").write_text("{")
    with pytest.raises(ValueError, match="is not a readable notebook"):
        make_student_notebooks([tmp_path / "bad.ipynb"], tmp_path / "s")
    (tmp_path / "list.ipynb").write_text("[]")
    with pytest.raises(ValueError, match="is JSON but not a notebook"):
        make_student_notebooks([tmp_path / "list.ipynb"], tmp_path / "s")
    (tmp_path / "typo.ipynb").write_text(json.dumps(nb(code("### BEGIN SOLUTON\nx = 1\n### END SOLUTION"))))
    with pytest.raises(ValueError, match="looks like a solution marker"):
        make_student_notebooks([tmp_path / "typo.ipynb"], tmp_path / "s")
    assert not (tmp_path / "s").exists()  # nothing written for a bad input


def test_a_missing_nbgrader_says_how_to_install_it(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_nbgrader(name, *args, **kwargs):
        if name.startswith("nbgrader"):
            raise ImportError("No module named 'nbgrader'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_nbgrader)
    src = tmp_path / "ch.ipynb"
    src.write_text(json.dumps(nb(code("x = 1"))))
    with pytest.raises(ImportError, match=r"pip install nbgrader==0\.9\.6") as error:
        make_student_notebooks([src], tmp_path / "s")
    assert isinstance(error.value, ValueError)  # so the command line reports it in one line
    with pytest.raises(ImportError, match="pip install nbgrader"):
        S.configure(object())


def _node(*cells):
    return nbformat.from_dict(nb(*cells))


def test_student_cells_prepares_what_clear_solutions_cannot():
    answer = code("### BEGIN SOLUTION\nanswer = 55\n### END SOLUTION\ncheck(answer);", tags=["hide-input",
                  "remove-output"])
    answer["metadata"]["nbgrader"] = {"solution": True, "grade": False, "locked": False, "grade_id": "ex-1",
                                      "schema_version": 3}
    prepared = student_cells(_node(md("Why 55?\n\n```{solution} ex-1\n:class: dropdown\nBecause.\n```"), answer,
                                   md("```{solution} ex-1\nOnly this.\n```"), code("plot()")), "ch.ipynb")
    assert [c.cell_type for c in prepared.cells] == ["markdown", "code", "code"]  # an empty solution cell goes
    assert prepared.cells[0].source == "Why 55?"
    cell = prepared.cells[1]
    assert cell.outputs == [] and cell.execution_count is None and cell.metadata["tags"] == ["remove-output"]
    assert "55" in cell.source  # the stub is nbgrader's ClearSolutions' job, run right after
    assert prepared.cells[2].outputs  # other cells keep their outputs (figures, widgets)
    with pytest.raises(ValueError, match="no nbgrader solution metadata"):
        student_cells(_node(code("### BEGIN SOLUTION\nx = 1\n### END SOLUTION")), "ch.ipynb")
    with pytest.raises(ValueError, match="looks like a solution marker"):
        student_cells(_node(code("### END SOLUTON")), "ch.ipynb")


@pytest.mark.parametrize("line", ["### BEGIN SOLUTON", "## BEGIN SOLUTION", "### end solution", "#BEGIN SOLUTION"])
def test_a_mistyped_marker_is_refused_rather_than_leaking_the_solution(line):
    with pytest.raises(ValueError, match="looks like a solution marker but is not exactly"):
        strip_solutions(f"x = 1\n{line}\nanswer = 55\n### END SOLUTION", "ch.ipynb, cell 2")


def test_solution_directives_go_and_the_text_around_them_stays():
    text = "Exercise 1: why 55?\n\n```{solution} ex-1\n:class: dropdown\nBecause 55.\n```\n\nExercise 2: and 6?\n"
    student = student_version(nb(md(text)))
    assert student["cells"][0]["source"] == "Exercise 1: why 55?\n\n\nExercise 2: and 6?\n"
    colon = student_version(nb(md(":::{solution} ex-2\nSix.\n:::\nAfter.")))
    assert colon["cells"][0]["source"] == "After."
    with pytest.raises(ValueError, match="never closed"):
        student_version(nb(md("```{solution} ex-1\nBecause 55.")), "ch.ipynb")

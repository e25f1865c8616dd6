"""Student notebooks: solutions stubbed the nbgrader way, written solutions dropped, originals untouched."""

import json

import pytest

from alexnet_lib.student import STUB, make_student_notebook, strip_solutions, student_version


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


def test_make_student_notebook_files(tmp_path):
    src = tmp_path / "ch.ipynb"
    src.write_text(json.dumps(nb(code("### BEGIN SOLUTION\nx = 1\n### END SOLUTION"))))
    out = make_student_notebook(src, tmp_path / "student")
    assert json.loads(out.read_text())["cells"][0]["source"] == STUB
    with pytest.raises(ValueError, match="overwrite the chapter"):
        make_student_notebook(src, tmp_path)
    with pytest.raises(ValueError, match="nope.ipynb is not a notebook file"):
        make_student_notebook(tmp_path / "nope.ipynb", tmp_path / "s")
    (tmp_path / "bad.ipynb").write_text("{")
    with pytest.raises(ValueError, match="is not a readable notebook"):
        make_student_notebook(tmp_path / "bad.ipynb", tmp_path / "s")
    (tmp_path / "list.ipynb").write_text("[]")
    with pytest.raises(ValueError, match="is JSON but not a notebook"):
        make_student_notebook(tmp_path / "list.ipynb", tmp_path / "s")
    assert not (tmp_path / "s").exists()  # nothing written for a bad input


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

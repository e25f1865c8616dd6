"""What a committed notebook would lack on the built page: figures without images, explorers without their HTML,
and ipywidgets output the static page cannot draw."""

import os

import pytest

from alexnet_lib.book.notebooks import EXPLORER_MARK, WIDGET_VIEW, execute, missing_outputs

PNG = {"output_type": "display_data", "data": {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}}
TEXT = {"output_type": "stream", "name": "stdout", "text": "done\n"}
EXPLORER = {"output_type": "execute_result", "execution_count": 1,
            "data": {"text/html": f'<div {EXPLORER_MARK} id="ax-1"></div><script>...</script>',
                     "text/plain": "LRNExplorer(...)"}}


def view(model_id: str) -> dict:
    return {"output_type": "display_data",
            "data": {WIDGET_VIEW: {"model_id": model_id, "version_major": 2}, "text/plain": "HBox(...)"}}


def code(source, *outputs) -> dict:
    return {"cell_type": "code", "source": source, "metadata": {}, "execution_count": 1, "outputs": list(outputs)}


def notebook(*cells) -> dict:
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": list(cells)}


def test_a_good_notebook_has_nothing_missing():
    nb = notebook({"cell_type": "markdown", "source": "# plt.plot( in prose is not code", "metadata": {}},
                  code("x = 1\nprint(x)", TEXT),
                  code(["fig = plot_gradient_norms(norms)\n", "fig"], PNG),  # source as a list of lines
                  code("plt.imshow(img)", TEXT, PNG),
                  code("LRNExplorer()", EXPLORER))
    assert missing_outputs(nb) == []


@pytest.mark.parametrize("source", ["plot_training(history)", "plt.show()",
                                    "import matplotlib.pyplot as plt\nplt.plot([1, 2])"])
def test_a_plotting_cell_without_an_image_is_reported(source):
    nb = notebook(code("x = 1"), code(source, TEXT))
    assert missing_outputs(nb) == ["cell 1 draws a figure but has no image output (executed with a non-inline "
                                   "backend?)"]


def test_code_that_only_mentions_plot_is_not_a_plotting_cell():
    assert missing_outputs(notebook(code("plotted = 3  # no call to a plot_ function", TEXT))) == []


def test_an_ipywidgets_output_is_reported():
    nb = notebook(code("train()", TEXT, view("m2")), code("LRNExplorer()", EXPLORER))
    assert missing_outputs(nb) == ["cell 0 shows an ipywidgets widget, which the static page cannot draw"]


def test_an_explorer_cell_that_shows_no_explorer_is_reported():
    assert missing_outputs(notebook(code("x = 1\nLRNExplorer(n=5)", TEXT))) == [
        "cell 0 builds an explorer but shows no explorer HTML"]
    # An explorer kept in a variable for later use is not shown by its cell, so nothing is missing.
    assert missing_outputs(notebook(code("ex = LRNExplorer()", TEXT))) == []


def test_every_problem_of_every_cell_is_listed():
    nb = notebook(code("plt.plot([1])"), code("Explorer()"), code("ok = 1"), code("plot_x()", view("m9")))
    assert missing_outputs(nb) == [
        "cell 0 draws a figure but has no image output (executed with a non-inline backend?)",
        "cell 1 builds an explorer but shows no explorer HTML",
        "cell 3 draws a figure but has no image output (executed with a non-inline backend?)",
        "cell 3 shows an ipywidgets widget, which the static page cannot draw",
    ]


def test_execute_refuses_what_is_not_a_notebook_before_starting_a_kernel(tmp_path):
    pytest.importorskip("nbclient")
    with pytest.raises(ValueError, match="is not a notebook file"):
        execute(tmp_path / "missing.ipynb")
    (tmp_path / "ch.md").write_text("# text")
    with pytest.raises(ValueError, match="is not a notebook file"):
        execute(tmp_path / "ch.md")
    (tmp_path / "bad.ipynb").write_text("{")
    with pytest.raises(ValueError, match="is not a readable notebook"):
        execute(tmp_path / "bad.ipynb")
    assert (tmp_path / "bad.ipynb").read_text() == "{"  # left as it was


@pytest.mark.slow
def test_execute_draws_inline_despite_agg_and_runs_the_smoke_profile(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("nbclient")
    monkeypatch.setenv("MPLBACKEND", "Agg")  # what would silently drop every figure
    monkeypatch.setenv("ALEXNET_PROFILE", "cpu")
    path = tmp_path / "ch.ipynb"
    good = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import os\nprint(os.environ['ALEXNET_PROFILE'])"),
        nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])"),
    ])
    path.write_text(nbformat.writes(good))
    assert execute(path, profile="smoke") == path
    written = nbformat.read(path, as_version=4)
    assert written.cells[0].outputs[0]["text"] == "smoke\n"
    assert any("image/png" in o.get("data", {}) for o in written.cells[1].outputs)
    assert missing_outputs(dict(written)) == []
    assert os.environ["MPLBACKEND"] == "Agg" and os.environ["ALEXNET_PROFILE"] == "cpu"  # restored
    # A plotting cell that shows nothing fails the check, and the file on disk stays as it was.
    bad = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\n"
                                                                    "plt.close('all')")])
    path.write_text(nbformat.writes(bad))
    before = path.read_text()
    with pytest.raises(ValueError, match="was not rewritten: cell 0 draws a figure but has no image output"):
        execute(path)
    assert path.read_text() == before


def test_cli_execute_refuses_a_non_notebook_in_one_line(tmp_path, capsys):
    from alexnet_lib.__main__ import main

    (tmp_path / "ch.md").write_text("# text")
    assert main(["execute", str(tmp_path / "ch.md")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "is not a notebook file" in err and len(err.splitlines()) == 1

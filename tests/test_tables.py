"""The one table type: aligned text with rules and a totals line, escaped HTML, and rows of the right width."""

import pytest

from alexnet_lib.tables import Table


def test_text_alignment_rules_and_footer_by_hand():
    t = Table(("layer", "params"), (("conv1", 34944), ("fc", 7)), numeric=(1,), footer=("total", "34,951"))
    # Column widths are the longest cell: 5 ('layer', 'conv1', 'total') and 6 ('params', '34,951').
    assert t.to_text() == ("layer  params\n"
                           "-----  ------\n"
                           "conv1   34944\n"
                           "fc          7\n"
                           "-----  ------\n"
                           "total  34,951")
    assert str(t) == t.to_text()


def test_text_columns_align_left_unless_numeric_and_lines_have_no_trailing_spaces():
    t = Table(("name", "x"), (("a", "1"), ("longer", "22")))
    assert t.to_text().splitlines() == ["name    x", "------  --", "a       1", "longer  22"]
    assert all(line == line.rstrip() for line in t.to_text().splitlines())


def test_no_footer_means_no_second_rule():
    t = Table(("a",), (("1",),))
    assert t.to_text().splitlines() == ["a", "-", "1"]
    assert "<tfoot>" not in t._repr_html_()


def test_cells_become_strings():
    t = Table(("n", "v"), ((1, 2.5), (None, True)))
    assert t.rows == (("1", "2.5"), ("None", "True")) and t.headers == ("n", "v")


def test_html_structure_alignment_and_escaping():
    t = Table(("<b>name</b>", "n"), (("a & b", "1"),), numeric=(1,), footer=("'total'", '"2"'))
    page = t._repr_html_()
    assert page.startswith("<table>") and page.endswith("</table>")
    assert "<b>" not in page  # markup in a cell is shown, never interpreted
    assert '<th style="text-align:left">&lt;b&gt;name&lt;/b&gt;</th>' in page
    assert '<td style="text-align:left">a &amp; b</td><td style="text-align:right">1</td>' in page
    assert "<tfoot>" in page and "&#x27;total&#x27;" in page and "&quot;2&quot;" in page
    assert page.index("<thead>") < page.index("<tbody>") < page.index("<tfoot>")


@pytest.mark.parametrize("rows, footer, words", [
    ((("a", "b", "c"),), None, ["3 cells", "2 columns"]),
    ((("a",),), None, ["1 cells", "2 columns"]),
    ((("a", "b"),), ("total",), ["('total',)", "1 cells", "2 columns"]),
])
def test_a_row_or_footer_of_the_wrong_width_is_refused(rows, footer, words):
    with pytest.raises(ValueError) as err:
        Table(("x", "y"), rows, footer=footer)
    for word in words:
        assert word in str(err.value)


def test_tables_are_frozen():
    t = Table(("a",), (("1",),))
    with pytest.raises(AttributeError):
        t.rows = ()

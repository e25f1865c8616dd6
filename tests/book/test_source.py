"""A chapter shows the library's code as the library runs it: show_source."""

import inspect
import textwrap

import pytest

from alexnet_lib.book.source import show_source
from alexnet_lib.engine import loop, recipes


def test_the_source_is_the_library_code_with_its_file():
    shown = show_source(loop.fit, recipes.Schedule.before_step)
    assert [where for where, _ in shown.parts] == ["alexnet_lib/engine/loop.py", "alexnet_lib/engine/recipes.py"]
    assert shown.parts[0][1] == inspect.getsource(loop.fit).rstrip("\n")
    assert shown.parts[1][1] == textwrap.dedent(inspect.getsource(recipes.Schedule.before_step)).rstrip("\n")
    assert shown.parts[1][1].startswith("def before_step(self, step: int)")  # a method is shown from its def
    assert repr(shown).startswith("# alexnet_lib/engine/loop.py\ndef fit(")


def test_the_markdown_is_one_python_block_per_object_that_backticks_cannot_close():
    md = show_source(recipes.lr_at)._repr_markdown_()
    assert md.startswith("`alexnet_lib/engine/recipes.py`\n\n```python\ndef lr_at(") and md.endswith("\n```")

    def quoted():
        """A docstring quoting a fence: ```python ... ``` and ````."""

    fence = show_source(quoted)._repr_markdown_().split("\n")[2]
    assert fence == "`````python"


@pytest.mark.parametrize("bad", [1, "fit", None])
def test_what_has_no_source_is_refused(bad):
    with pytest.raises(ValueError, match="has no source to show"):
        show_source(bad)
    with pytest.raises(ValueError, match="needs at least one"):
        show_source()

"""The library's own code on a page: the source of its functions and classes, with the file each lives in.

A chapter that teaches a piece of the library shows that piece as the library runs it, never a copy that
could drift. In the book (and in Jupyter or Colab) the source is a highlighted code block that scrolls
sideways instead of wrapping; as plain text it is the same code under a comment naming the file.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from pathlib import Path
from typing import Any

import alexnet_lib

_PACKAGE_ROOT = Path(alexnet_lib.__file__).resolve().parent.parent


def _where(obj: Any) -> str:
    """The file `obj` is defined in, relative to the folder holding the package (e.g. alexnet_lib/engine/loop.py)."""
    path = Path(inspect.getsourcefile(obj) or "").resolve()
    try:
        return path.relative_to(_PACKAGE_ROOT).as_posix()
    except ValueError:
        return path.name


class Source:
    """The source of library objects, shown as highlighted code in a page and as plain text elsewhere."""

    def __init__(self, *objects: Any) -> None:
        if not objects:
            raise ValueError("show_source() needs at least one function or class, e.g. show_source(loop.fit)")
        self.parts: list[tuple[str, str]] = []
        for obj in objects:
            try:
                code = inspect.getsource(obj)
                where = _where(obj)
            except (TypeError, OSError) as e:
                raise ValueError(f"{obj!r} has no source to show ({e}): give a function, class or method of "
                                 f"alexnet_lib") from None
            self.parts.append((where, textwrap.dedent(code).rstrip("\n")))  # a method is shown from its def

    def __repr__(self) -> str:
        return "\n\n".join(f"# {where}\n{code}" for where, code in self.parts)

    def _repr_markdown_(self) -> str:
        # A fence one backtick longer than any run of backticks in the code, so a docstring's ``` cannot close it.
        fence = "`" * max(3, 1 + max((len(run) for _, code in self.parts for run in re.findall("`+", code)),
                                      default=0))
        return "\n\n".join(f"`{where}`\n\n{fence}python\n{code}\n{fence}" for where, code in self.parts)


def show_source(*objects: Any) -> Source:
    """The source of `objects` (functions, classes, methods of the library) for a chapter cell to display."""
    return Source(*objects)

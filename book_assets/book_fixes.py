"""A small Sphinx extension of the book (loaded by `_config.yml` through `sphinx: local_extensions`).

It shows the exercises' answers on purpose. In the book everyone reads, each answer cell stays folded under
"Show our solution" and loses nbgrader's `### BEGIN/END SOLUTION` markers, which mean nothing to a reader.
Built with `ALEXNET_BOOK_SOLUTIONS=hide` (the build for instructors who grade; see chapters/instructors.md),
every chapter is shown as its student version instead (`alexnet_lib.book.student.student_version`): answers
replaced by nbgrader's stub and the written {solution} blocks removed.

It also writes each inline <script> once per page. Sphinx 7.4 registers a body-only script added by an extension
after the builder started (sphinx-thebe's `const THEBE_JS_URL = ...`, sphinx-togglebutton's settings) twice,
once as filename None and once as filename '' (`StandaloneHTMLBuilder.prepare_writing`), so every page
declared `const THEBE_JS_URL` twice and the browser console showed "Identifier 'THEBE_JS_URL' has already
been declared" on every page.
"""

from __future__ import annotations

import json
import os

from alexnet_lib.book.student import BEGIN, END, student_version

#: The two builds: answers folded under a labelled toggle, or no answers at all.
SOLUTIONS = ("show", "hide")


def _script_key(script) -> tuple:
    attributes = tuple(sorted((k, str(v)) for k, v in getattr(script, "attributes", {}).items()))
    return (getattr(script, "filename", script) or "", getattr(script, "priority", 0), attributes)


def write_each_script_once(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen: set = set()
    unique = []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique  # the builder's own list: Sphinx restores it before the next page


def _solutions() -> str:
    choice = os.environ.get("ALEXNET_BOOK_SOLUTIONS", "show").strip().lower() or "show"
    if choice not in SOLUTIONS:
        raise ValueError(f"ALEXNET_BOOK_SOLUTIONS={choice!r} must be 'show' (answers folded, for self-learners) or "
                         f"'hide' (no answers, the build to publish for a graded course)")
    return choice


def _is_answer(cell: dict) -> bool:
    return cell.get("cell_type") == "code" and bool(cell.get("metadata", {}).get("nbgrader", {}).get("solution"))


def shape_solutions(app, docname: str, source: list) -> None:
    """Label the answer cells of a chapter notebook as solutions and drop their markers, or, in the build without
    solutions, replace the notebook with its student version."""
    if not docname.startswith("chapters/") or not source[0].lstrip().startswith("{"):
        return
    try:
        nb = json.loads(source[0])
    except ValueError:
        return  # not a notebook: the reader reports it
    if _solutions() == "hide":
        nb = student_version(nb, docname)
    else:
        for cell in nb.get("cells", []):
            if not _is_answer(cell):
                continue
            text = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            cell["source"] = "\n".join(line for line in text.split("\n") if line.strip() not in (BEGIN, END))
            cell.setdefault("metadata", {})["mystnb"] = {"code_prompt_show": "Show our solution",
                                                         "code_prompt_hide": "Hide our solution"}
    source[0] = json.dumps(nb)


def setup(app):
    _solutions()  # a misspelt choice stops the build at once, with the two valid ones
    app.connect("source-read", shape_solutions)
    # After every other handler (myst-nb adds each notebook's scripts on this event too).
    app.connect("html-page-context", write_each_script_once, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

"""Every chapter follows the anatomy: listed in the TOC, committed executed, the setup cell, >= 3 exercises."""

import json
import re

import pytest

from alexnet_lib import REPOSITORY_URL
from alexnet_lib.book.notebooks import missing_outputs
from alexnet_lib.book.student import BEGIN, student_version
from tests.chapters import CHAPTERS, ROOT

SETUP_URL = f"alexnet-lib @ git+{REPOSITORY_URL}"


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def sources(nb, kind):
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == kind]


def test_toc_lists_exactly_the_existing_pages():
    toc = (ROOT / "_toc.yml").read_text()
    listed = re.findall(r"file:\s*(\S+)", toc)
    for name in listed:
        assert any((ROOT / f"{name}{ext}").exists() for ext in (".md", ".ipynb")), f"{name} is listed but missing"
    for chapter in CHAPTERS:
        assert f"chapters/{chapter.stem}" in listed, f"{chapter.name} is not in _toc.yml"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_anatomy(chapter):
    nb = load(chapter)
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c.get("execution_count") for c in code), "commit the chapter executed (see README)"
    assert not any(o.get("output_type") == "error" for c in code for o in c.get("outputs", []))
    assert SETUP_URL in "".join(code[0]["source"]), "the first code cell is the Colab setup cell"
    markdown = "\n".join(sources(nb, "markdown"))
    assert markdown.lstrip().startswith("# ") and "What you'll learn" in markdown
    assert "## Summary" in markdown and "{footbibliography}" in markdown
    exercises = [i for i, c in enumerate(code) if BEGIN in "".join(c["source"])]
    assert len(exercises) >= 3
    for i in exercises:
        c, after = code[i], code[i + 1:]
        meta = c["metadata"].get("nbgrader", {})
        assert meta.get("solution") is True and meta.get("grade") is False and meta.get("grade_id"), "nbgrader metadata"
        # Solutions and what they print are hidden in the book: the ✅ line may say what the answer is.
        assert {"hide-input", "remove-output"} <= set(c["metadata"].get("tags", [])), "solutions are hidden in the book"
        # The checker runs in the answer cell, or in the run cell of a predict-then-run exercise right after it.
        ran = [c] + ([after[0]] if after and "nbgrader" not in after[0]["metadata"] else [])
        assert any("✅" in "".join(o.get("text", "")) for r in ran for o in r["outputs"]), "the solution passes"
        test = next(t for t in after if "nbgrader" in t["metadata"])
        grade = test["metadata"]["nbgrader"]
        assert grade["grade"] is True and grade["locked"] is True and grade["points"] > 0, "an autograder test cell"
        assert grade["grade_id"] == f"{meta['grade_id']}-test" and "assert_passes(" in "".join(test["source"])
        assert "remove-cell" in test["metadata"].get("tags", []), "test cells are not shown in the book"
    assert markdown.count("{exercise}") >= 3 and markdown.count("{solution}") >= 3
    # Exact outputs are marked with nbval's cell tag, never with a comment a reader would see.
    assert any("nbval-check-output" in c["metadata"].get("tags", []) for c in code)
    assert not any("NBVAL_" in "".join(c["source"]) for c in code), "use the nbval-check-output cell tag"
    assert chapter.stat().st_size < 2_000_000, "keep figures small (dpi <= 100)"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_committed_chapter_shows_every_figure_and_widget(chapter):
    """The book is built from the committed outputs: a figure lost to a non-inline backend is a blank page."""
    problems = missing_outputs(load(chapter))
    assert not problems, ("re-execute with `python -m alexnet_lib execute " + f"chapters/{chapter.name}`: "
                          + "; ".join(problems))


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_no_exercise_cell_echoes_its_checker_result(chapter):
    for c in load(chapter)["cells"]:
        if c["cell_type"] == "code" and "check_" in "".join(c["source"]):
            texts = [o.get("data", {}).get("text/plain", "") for o in c["outputs"]
                     if o.get("output_type") == "execute_result"]
            assert not texts, f"end the checker call with ';' so its True/False is not echoed: {texts}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_student_version_has_no_solutions(chapter):
    student = student_version(load(chapter), chapter.name)
    text = json.dumps(student)
    assert BEGIN not in text and "{solution}" not in text
    assert text.count("raise NotImplementedError()") >= 3


#: Words of the book's own history, which belongs in CHANGELOG.md: a page speaks to the learner about AlexNet.
HISTORY = re.compile(r"previous version|earlier version|earlier record|no GPU has run|has not run yet|"
                     r"\bcommit [0-9a-f]{7}|\bre-?recorded\b|this chapter used to", re.IGNORECASE)


@pytest.mark.parametrize("page", CHAPTERS + sorted((ROOT / "chapters").glob("*.md")) + [ROOT / "intro.md"],
                         ids=lambda p: p.name)
def test_a_page_tells_no_history_of_the_book(page):
    if page.name == "CONVENTIONS.md":
        return  # not a page of the book
    text = "\n".join(sources(load(page), "markdown") + sources(load(page), "code")) if page.suffix == ".ipynb" \
        else page.read_text(encoding="utf-8")
    found = sorted({m.group(0) for m in HISTORY.finditer(text)})
    assert not found, f"{page.name} tells the book's history ({found}); that goes in CHANGELOG.md"


def test_the_teaching_pages_reading_times_match_the_chapters():
    """teaching.md quotes each chapter's prose at 200 words a minute; a chapter that grows must not leave it stale."""
    table = re.findall(r"^\| \[[^]]+\]\((\w+)\) \| ~(\d+) min \|", (ROOT / "chapters" / "teaching.md").read_text(),
                       flags=re.M)
    assert sorted(name for name, _ in table) == sorted(c.stem for c in CHAPTERS)
    for name, minutes in table:
        words = sum(len(s.split()) for s in sources(load(ROOT / "chapters" / f"{name}.ipynb"), "markdown"))
        assert abs(int(minutes) - words / 200) <= 2, f"{name}: teaching.md says ~{minutes} min, its prose reads in " \
                                                     f"{words / 200:.0f}"


def test_the_instructors_page_lists_every_exercise_once():
    page = (ROOT / "chapters" / "instructors.md").read_text()
    listed = re.findall(r"^\| [^|]+ \| `(ex-[\w-]+)` \|", page, flags=re.M)
    exercise = re.compile(r"```\{exercise\}.*\n:label:\s*(\S+)")
    labels = [label for chapter in CHAPTERS
              for label in exercise.findall("\n".join(sources(load(chapter), "markdown")))]
    assert len(labels) >= 3 * len(CHAPTERS)
    assert sorted(listed) == sorted(labels)

"""The built book: it builds warning-free offline, every chapter has its Colab link, no page shows a traceback."""

import re

import pytest

from alexnet_lib import REPOSITORY_URL
from tests.chapters import CHAPTERS, ROOT

pytestmark = pytest.mark.slow  # the fast lane (-m "not slow") leaves it out


# The `html` fixture (the built book, built once per session) is in tests/conftest.py.


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_page_has_colab_link(html, chapter):
    page = (html / "chapters" / f"{chapter.stem}.html").read_text(encoding="utf-8")
    org_repo = REPOSITORY_URL.removeprefix("https://github.com/")
    link = f"https://colab.research.google.com/github/{org_repo}/blob/main/chapters/{chapter.name}"
    assert link in page


def test_no_page_shows_a_traceback(html):
    pages = list(html.rglob("*.html"))
    assert len(pages) >= len(CHAPTERS) + 1
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "Traceback (most recent call last)" not in text, page
        assert not re.search(r'class="[^"]*\btraceback\b', text), page


def test_repository_url_is_the_one_home():
    """The config, the README and every setup cell use the same GitHub home."""
    config = (ROOT / "_config.yml").read_text()
    assert f"url: {REPOSITORY_URL}\n" in config and "branch: main" in config
    assert REPOSITORY_URL in (ROOT / "README.md").read_text()
    assert f"git+{REPOSITORY_URL}" in (ROOT / "chapters" / "CONVENTIONS.md").read_text()


def test_pages_load_nothing_from_another_host(html):
    """Offline as built: every script, stylesheet and image a page loads is part of the site.

    A quick static check without a browser; tests/book/test_browser.py checks the same in Chromium, with what
    the scripts themselves request (MathJax's fonts, the widget manager's modules).
    """
    tag = re.compile(r"<(script|img|link)\b[^>]*>", re.I)
    source = re.compile(r'\b(src|href)="([^"]*)"')
    for page in html.rglob("*.html"):
        if page.relative_to(html).parts[0] == "_static":
            continue
        for match in tag.finditer(page.read_text(encoding="utf-8")):
            element = match.group(0)
            if match.group(1).lower() == "link" and not re.search(r'rel="(stylesheet|preload|icon)"', element):
                continue  # <link rel="next"/"index"/...> are links, not loads
            for _, url in source.findall(element):
                assert not re.match(r"(https?:)?//", url), f"{page.relative_to(html)} loads {url}"
    static = html / "_static"
    for served in ("mathjax/tex-chtml.js", "book.css", "fonts/alexnet-marks.ttf"):
        assert (static / served).is_file(), f"_static/{served} is missing from the built site"


def _solution_cells(chapter) -> list[str]:
    """The answers of a chapter: the lines between nbgrader's markers, in each solution cell."""
    import json

    from alexnet_lib.book.student import BEGIN, END
    answers = []
    for cell in json.loads(chapter.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "code" and cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            lines, inside = [], False
            for line in "".join(cell["source"]).splitlines():
                if line.strip() in (BEGIN, END):
                    inside = line.strip() == BEGIN
                elif inside:
                    lines.append(line.strip())
            answers.append("\n".join(lines))
    return answers


def _student_text(chapter) -> str:
    """Everything the student version of a chapter holds: its sources and its outputs' text."""
    import json

    from alexnet_lib.book.student import student_version
    nb = student_version(json.loads(chapter.read_text(encoding="utf-8")), chapter.name)
    return json.dumps(nb, ensure_ascii=False).replace("\\n", "\n").replace('\\"', '"')


def _page_text(page) -> str:
    import html as html_module
    return html_module.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_answers_are_folded_as_solutions_without_nbgraders_markers(html, chapter):
    page = (html / "chapters" / f"{chapter.stem}.html").read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in page and "END SOLUTION" not in page
    assert page.count("Show our solution") == len([a for a in _solution_cells(chapter) if a])


def test_the_book_without_solutions_has_no_answer(tmp_path):
    """The build an instructor who grades publishes (chapters/instructors.md): no answer, no written solution."""
    import os
    import subprocess
    import sys
    env = dict(os.environ, ALEXNET_BOOK_SOLUTIONS="hide")
    build = "import sys; from jupyter_book.cli.main import main; sys.exit(main())"
    proc = subprocess.run([sys.executable, "-c", build, "build", str(ROOT), "--path-output", str(tmp_path), "--all",
                           "-W", "--keep-going"], capture_output=True, text=True, timeout=900, env=env)
    assert proc.returncode == 0, f"the build without solutions failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    out = tmp_path / "_build" / "html" / "chapters"
    for chapter in CHAPTERS:
        text = _page_text(out / f"{chapter.stem}.html")
        assert "Show our solution" not in text and "YOUR CODE HERE" in text, chapter.stem
        # An answer line the student version shows anyway (the library's own code printed on the page, say) is
        # not a leak.
        elsewhere = _student_text(chapter)
        leaked = [line for answer in _solution_cells(chapter) for line in answer.splitlines()
                  if len(line) >= 25 and line in text and line not in elsewhere]
        assert not leaked, f"{chapter.stem}: answers left in the page: {leaked[:3]}"
        page = (out / f"{chapter.stem}.html").read_text(encoding="utf-8")
        assert 'class="solution' not in page, f"{chapter.stem}: a written solution is left"


def test_a_misspelt_solutions_choice_stops_the_build(monkeypatch):
    import importlib.util
    spec = importlib.util.spec_from_file_location("book_fixes", ROOT / "book_assets" / "book_fixes.py")
    fixes = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fixes)
    monkeypatch.setenv("ALEXNET_BOOK_SOLUTIONS", "hidden")
    with pytest.raises(ValueError, match="'show' .* or 'hide'"):
        fixes._solutions()
    monkeypatch.setenv("ALEXNET_BOOK_SOLUTIONS", "HIDE")
    assert fixes._solutions() == "hide"

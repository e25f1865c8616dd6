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
    for served in ("mathjax/tex-chtml.js", "require.js/require.js", "html-manager/embed-amd.js",
                   "book-widgets.js", "book.css", "fonts/alexnet-marks.ttf"):
        assert (static / served).is_file(), f"_static/{served} is missing from the built site"

"""The built book: it builds warning-free offline, every chapter has its Colab link, no page shows a traceback."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from alexnet_lib import REPOSITORY_URL
from tests.chapters import CHAPTERS, ROOT


@pytest.fixture(scope="module")
def html(tmp_path_factory) -> Path:
    """The built HTML: `$ALEXNET_BOOK_HTML` when CI built it already, else a fresh build with -W."""
    given = os.environ.get("ALEXNET_BOOK_HTML")
    if given:
        return Path(given)
    out = tmp_path_factory.mktemp("book")
    # jupyter_book has no __main__; call its click command in a fresh interpreter of this environment.
    build = "import sys; from jupyter_book.cli.main import main; sys.exit(main())"
    proc = subprocess.run([sys.executable, "-c", build, "build", str(ROOT), "--path-output", str(out),
                           "-W", "--keep-going"], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"book build failed or warned:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return out / "_build" / "html"


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

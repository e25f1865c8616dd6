"""Fixtures shared by the tests of the built book (tests/book/test_book.py and tests/book/test_browser.py)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.chapters import ROOT


@pytest.fixture(scope="session")
def html(tmp_path_factory) -> Path:
    """The built HTML: `$ALEXNET_BOOK_HTML` when CI built it already, else one fresh build with -W.

    Session-scoped, so the book tests and the browser tests share a single build.
    """
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

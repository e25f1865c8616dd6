"""The browser fixture shared by tests/book/test_browser.py (the built book) and test_live.py (the explorers)."""

import tempfile

import pytest

from tests.book.chromium import CHROMIUM_ARGS, DESKTOP, chromium_binary, missing


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium with a fresh, throw-away profile (session-scoped, so a missing browser skips or
    fails at once, before the book is built)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the Python package `playwright` is not installed")
    binary = chromium_binary()
    if binary is None:
        missing("no chromium binary on PATH")
    with tempfile.TemporaryDirectory(prefix="alexnet-chromium-") as profile, sync_playwright() as pw:
        try:
            context = pw.chromium.launch_persistent_context(
                profile, executable_path=binary, args=CHROMIUM_ARGS, headless=True,
                viewport=DESKTOP, service_workers="block")
        except Exception as error:  # noqa: BLE001 - any launch failure means "no usable browser"
            missing(f"{binary} does not start: {str(error).splitlines()[0]}")
        yield context
        context.close()

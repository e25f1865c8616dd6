"""Headless Chromium for the tests of the built book and of the explorers (the system's browser, never
Playwright's downloads). Without it the tests skip, except under CI=true where they fail."""

import os
import shutil

import pytest

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 20_000
HOW_TO_INSTALL = ("install Chromium (`sudo apt install chromium`, or set $ALEXNET_CHROMIUM to a Chrome/Chromium "
                  "binary) and `python -m pip install -r requirements.txt` (never `playwright install`)")


def on_ci() -> bool:
    """True under CI=true (or 1, yes)."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def missing(why: str):
    """Fail under CI (the browser tests are part of what CI must check), else skip and say how to install."""
    if on_ci():
        pytest.fail(f"browser tests cannot run under CI: {why}; {HOW_TO_INSTALL}")
    pytest.skip(f"browser tests need headless Chromium: {why}; {HOW_TO_INSTALL}")


def chromium_binary() -> str | None:
    """$ALEXNET_CHROMIUM, or the first Chromium or Chrome on PATH."""
    given = os.environ.get("ALEXNET_CHROMIUM")
    if given:
        return given
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None

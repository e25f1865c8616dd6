"""Recorded runs (`data/runs/<name>.json`): found in a clone, or fetched from the course's repository."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from typing import Any

from . import REPOSITORY_URL
from .train import atomic_write_text

#: Where the recorded runs live in a clone of the repository.
RUNS_DIR = Path(__file__).resolve().parent.parent / "data" / "runs"
#: Where fetched copies are kept when the package is installed without the repository (e.g. in Colab).
CACHE_DIR = Path("~/.cache/alexnet_lib/runs").expanduser()
TIMEOUT_S = 30.0
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def run_url(name: str) -> str:
    """The raw-file address of a recorded run on the repository's main branch."""
    raw = REPOSITORY_URL.replace("https://github.com/", "https://raw.githubusercontent.com/")
    return f"{raw}/main/data/runs/{name}.json"


def run_path(name: str) -> Path:
    """The local file of recorded run `name`: the clone's data/runs, a chapter's ../data/runs, else a fetched copy."""
    if not isinstance(name, str) or not _NAME.match(name) or name.startswith("."):
        raise ValueError(f"name={name!r} must be a run name such as 'cpu_fast' or 'lrn' (a file in data/runs/)")
    for folder in (RUNS_DIR, Path.cwd() / "data" / "runs", Path.cwd().parent / "data" / "runs", CACHE_DIR):
        if (folder / f"{name}.json").is_file():
            return folder / f"{name}.json"
    url = run_url(name)
    try:  # an installed package has no data/ folder: fetch the committed record once
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            text = response.read().decode("utf-8")
        json.loads(text)
    except (OSError, ValueError) as e:
        raise ValueError(f"data/runs/{name}.json is not here and could not be fetched from {url} ({e}); "
                         f"clone {REPOSITORY_URL} and run the chapter from the clone") from e
    return atomic_write_text(CACHE_DIR / f"{name}.json", text)


def load_json(name: str) -> dict[str, Any]:
    """The parsed JSON of recorded run `name` (see `run_path` for where it comes from)."""
    path = run_path(name)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"{path} is not readable JSON ({e}); delete it to fetch it again") from e

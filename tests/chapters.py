"""Where the chapter notebooks are, for the tests that check them."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))


def without_checksum(path: Path) -> dict:
    """A committed record's JSON as the loaders return it: its checksum checked to be there, then left out."""
    import json

    data = json.loads(Path(path).read_text(encoding="utf-8"))
    assert str(data.pop("checksum", "")).startswith("sha256:"), f"{path} carries no checksum"
    return data

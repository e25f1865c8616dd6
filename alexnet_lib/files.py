"""Files that are never seen half-written: atomic writes (a temp file renamed into place) and clear JSON reads."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Optional, Union


def _umask_mode() -> int:
    """The permissions a plain open() would give a new file (mkstemp's own are owner-only)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write(path: Union[str, Path], write: Callable[[str], None]) -> Path:
    """Let `write` fill a temp file beside `path`, then rename it over `path`: no reader sees half a file."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a folder; give the path of a file to write")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as e:
        raise ValueError(f"cannot write {path}: a part of its folder path is a file ({e})") from e
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: Union[str, Path], text: str) -> Path:
    """Write UTF-8 text to `path` atomically."""
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def atomic_write_bytes(path: Union[str, Path], data: bytes) -> Path:
    """Write bytes to `path` atomically."""
    return atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


def atomic_write_json(path: Union[str, Path], data: Any, indent: Optional[int] = 1) -> Path:
    """Write `data` as JSON (with a final newline) to `path` atomically."""
    separators = None if indent is not None else (",", ":")
    return atomic_write_text(path, json.dumps(data, indent=indent, separators=separators) + "\n")


def remove_stale_temp_files(folder: Union[str, Path]) -> list[Path]:
    """Delete temp files an interrupted atomic write left in `folder` (`.NAME.*.tmp`); returns what was removed."""
    folder = Path(folder)
    removed = []
    if folder.is_dir():
        for tmp in folder.glob(".*.tmp"):
            with contextlib.suppress(OSError):
                tmp.unlink()
                removed.append(tmp)
    return removed


def read_json(path: Union[str, Path], what: str = "JSON file", fix: str = "") -> Any:
    """Parsed JSON of `path`; a missing, unreadable, non-UTF-8 or malformed file is one clear ValueError."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path} does not exist: expected a {what}{fix}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path} is not a readable {what} ({type(e).__name__}: {e}){fix}") from None


"""Files never seen half-written (atomic writes), folders one run at a time (a lock), and clear JSON reads."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Union


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



#: A lock file that cannot be read yet may be one another process is writing this very moment.
_LOCK_GRACE_S = 30.0


def _lock_holder(lock: Path) -> Optional[str]:
    """Who holds `lock` ('process N' or 'process N on HOST'), or None if it is stale: its process has ended."""
    try:
        pid_text, host = lock.read_text(encoding="utf-8").split()[:2]
        pid = int(pid_text)
    except (OSError, ValueError):
        try:
            young = time.time() - lock.stat().st_mtime < _LOCK_GRACE_S
        except OSError:
            return None
        return "a process that is starting" if young else None
    if host != socket.gethostname():
        return f"process {pid} on {host}"  # another machine's process cannot be checked: trust the lock
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # it runs, as another user
    return f"process {pid}"


@contextlib.contextmanager
def folder_lock(folder: Union[str, Path]) -> Iterator[Path]:
    """Hold FOLDER/.lock while a run writes there: a second run into the same folder is refused, not interleaved.

    A lock whose process no longer runs (killed, or the machine restarted) is taken over.
    """
    folder = Path(folder)
    lock = folder / ".lock"
    for _ in range(3):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _lock_holder(lock)
            if holder is not None:
                raise ValueError(f"{folder} is in use by another run ({holder}): two runs writing one folder would "
                                 f"overwrite each other's history and checkpoint; wait for it to end, or write to "
                                 f"another folder (--out)") from None
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()  # stale: its process has ended
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(f"{os.getpid()} {socket.gethostname()}\n")
        break
    else:
        raise ValueError(f"could not take {lock}: other runs keep taking it; wait, or write to another folder")
    try:
        yield lock
    finally:
        with contextlib.suppress(OSError):
            lock.unlink()


def check_output_file(path: Union[str, Path], what: str = "output") -> Path:
    """`path` (with ~ expanded) if a file can be written there; a ValueError now, before any work, if not."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise ValueError(f"{what} {path} is a folder; give the path of a file, e.g. {path / 'out.json'}")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"cannot write {what} {path}: {parent} is a file, not a folder")
            if not os.access(parent, os.W_OK):
                raise ValueError(f"cannot write {what} {path}: {parent} is not writable; choose another place")
            break
    return path

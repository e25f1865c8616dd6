"""Files never seen half-written (atomic writes), folders one run at a time (a lock), and clear JSON reads."""

from __future__ import annotations

import contextlib
import hashlib
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


# ----------------------------------------------------------------------------- JSON that carries its checksum

#: The key under which a record or history carries the checksum of the rest of its content.
CHECKSUM_KEY = "checksum"
_STAMP_HINT = "python -m alexnet_lib stamp"


def content_checksum(data: dict[str, Any]) -> str:
    """'sha256:' and the hex digest of `data`'s canonical JSON (sorted keys, no spaces), its checksum key left out.

    Canonical, not the file's bytes: re-indenting a file keeps it valid, changing any value does not.
    """
    body = {k: v for k, v in data.items() if k != CHECKSUM_KEY}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_checked_json(path: Union[str, Path], data: dict[str, Any], indent: Optional[int] = 1) -> Path:
    """Write the JSON object `data` with the checksum of its content inside, in one atomic write."""
    if not isinstance(data, dict):
        raise ValueError(f"only a JSON object can carry a checksum, not a {type(data).__name__}")
    body = {k: v for k, v in data.items() if k != CHECKSUM_KEY}
    return atomic_write_json(path, {**body, CHECKSUM_KEY: content_checksum(body)}, indent=indent)


def verify_checked(data: object, where: str, what: str = "JSON file", fix: str = "",
                   stampable: bool = True) -> dict[str, Any]:
    """`data` without its checksum key if that checksum matches its content; else one clear ValueError.

    `stampable=False` for what is not a local file (a download), which the stamp command cannot mend.
    """
    if not isinstance(data, dict):
        raise ValueError(f"{where} holds a JSON {type(data).__name__}, not a {what} (an object){fix}")
    if CHECKSUM_KEY not in data:
        raise ValueError(f"{where} carries no checksum: it was written by hand or by a version of alexnet_lib "
                         f"before checksums, so it was not trusted{fix}"
                         + (f". If you know its content is right, stamp it: {_STAMP_HINT} {where}"
                            if stampable else ""))
    if data[CHECKSUM_KEY] != content_checksum(data):
        raise ValueError(f"{where} is damaged or hand-edited: its content does not match the checksum written with "
                         f"it, so it was not used{fix}"
                         + (f". To keep a deliberate edit, stamp it again: {_STAMP_HINT} --force {where}"
                            if stampable else ""))
    return {k: v for k, v in data.items() if k != CHECKSUM_KEY}


def read_checked_json(path: Union[str, Path], what: str = "JSON file", fix: str = "") -> dict[str, Any]:
    """The JSON object in `path` (its checksum key removed) once its checksum is verified; else a clear ValueError."""
    return verify_checked(read_json(path, what, fix), str(path), what, fix)


def stamp_json(path: Union[str, Path], force: bool = False) -> str:
    """Add the checksum of its content to a JSON object file, keeping its layout; returns what was done.

    For files written before checksums existed (data/runs/*.json were stamped this way, not re-run) and for a
    deliberate hand edit (`force=True`: a file whose checksum no longer matches is stamped anew).
    """
    path = Path(path).expanduser()
    data = read_json(path, "JSON file")
    if not isinstance(data, dict):
        raise ValueError(f"{path} holds a JSON {type(data).__name__}; only an object can carry a checksum")
    if data.get(CHECKSUM_KEY) == content_checksum(data):
        return f"{path}: checksum already matches"
    if CHECKSUM_KEY in data and not force:
        raise ValueError(f"{path} carries a checksum that does not match its content (damaged or hand-edited); "
                         f"restore it, or stamp it anew with --force if the edit is yours")
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    # keep the file's own layout, so the stamp is a one-line diff: its indent is the second line's
    indent = len(lines[1]) - len(lines[1].lstrip(" ")) if len(lines) > 1 else None
    write_checked_json(path, data, indent=indent)
    return f"{path}: stamped {content_checksum(data)[:19]}..."


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

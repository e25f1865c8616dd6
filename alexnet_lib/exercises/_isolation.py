"""A learner's code in a forked child process: `os._exit`, a crash or a cheat there costs one exercise only.

One child per check makes the check's tasks (call the learner's function, judge what it returned) one at a time,
when the parent asks, and sends back each task's value; the parent never runs the learner's code or methods. A
child that dies, or goes silent past its time, ends only the check that started it. Linux only: elsewhere (Windows;
macOS, where fork is unsafe) the tasks run in this process.
"""

from __future__ import annotations

import contextlib
import faulthandler
import io
import os
import pickle
import select
import signal
import sys
import warnings
from typing import Any, Callable, Iterator, Sequence

import torch

#: Whether this process is a child made here (a task that needs the parent raises RedoHere there).
_IN_CHILD = False


class RedoHere(Exception):
    """Raised by a task in the child that cannot be done there (CUDA cannot start in a forked process)."""


def available() -> bool:
    """Whether tasks run in a forked child: on Linux, unless ALEXNET_CHECK_NO_FORK is set."""
    return sys.platform.startswith("linux") and hasattr(os, "fork") and not os.environ.get("ALEXNET_CHECK_NO_FORK")


def in_child() -> bool:
    """Whether this code runs in a child made by `run_in_child`."""
    return _IN_CHILD


def _child(tasks: Sequence[Callable[[], Any]], out: int, go: int) -> None:
    """In the child: do each task when the parent asks (a byte on `go`), sending a tick before it and its outcome
    (kind, value, printed) after; never return. In step with the parent, the two never compete for the CPU."""
    global _IN_CHILD
    _IN_CHILD = True
    try:
        torch.set_num_threads(1)  # GNU OpenMP's thread pool does not survive fork; one thread needs none
        faulthandler.disable()  # a crash is reported as one ❌ line, not as a dump of Python's stack
        with os.fdopen(out, "wb", buffering=0) as pipe:
            for task in tasks:
                if not os.read(go, 1):  # the parent has its verdict
                    break
                pipe.write(b"T")  # the parent's watchdog restarts its clock for this task
                printed = io.StringIO()
                kind, value = "done", None
                with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
                    try:
                        value = task()
                    except RedoHere:
                        kind = "redo"
                    except KeyboardInterrupt:
                        kind = "interrupted"
                try:
                    data = pickle.dumps((kind, value, printed.getvalue()))
                except BaseException:  # a lambda, a generator, an open file: the parent does this task itself
                    data = pickle.dumps(("redo", None, printed.getvalue()))
                pipe.write(b"R" + len(data).to_bytes(8, "big") + data)
                if kind == "interrupted":
                    break
    finally:
        os._exit(0)


def _ended_how(status: int) -> str:
    """What a child's wait status says about how it ended."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        return f"crashed the Python process ({name})"
    return f"ended the Python process (os._exit({os.WEXITSTATUS(status)}) or a crash in compiled code)"


def _frames(read: int, timeout: Callable[[], float]) -> Iterator[Any]:
    """The child's outcomes as they arrive; None when it went silent past `timeout()` s; ends when it closes."""
    buffer = b""
    while True:
        while buffer.startswith(b"T"):
            buffer = buffer[1:]
        if buffer.startswith(b"R") and len(buffer) >= 9:
            size = int.from_bytes(buffer[1:9], "big")
            if len(buffer) >= 9 + size:
                yield pickle.loads(buffer[9:9 + size])
                buffer = buffer[9 + size:]
                continue
        ready, _, _ = select.select([read], [], [], timeout())
        if not ready:  # its own time limit did not stop it (a long call into compiled code, a blocked alarm)
            yield None
            return
        chunk = os.read(read, 1 << 20)
        if not chunk:
            return
        buffer += chunk


def run_in_child(tasks: Sequence[Callable[[], Any]], timeout: Callable[[], float]) -> Iterator[tuple[str, Any]]:
    """Each task's outcome in order: ('done', value); ('redo', None) for a task the parent must do itself (its
    value cannot be sent back, or it needs this process); ('slow', None) when the child went silent for `timeout()`
    seconds; ('ended', how) when the child died. Stop iterating at will: the child is ended then."""
    sys.stdout.flush()
    sys.stderr.flush()
    read, write = os.pipe()
    go_read, go = os.pipe()
    with warnings.catch_warnings():  # Python 3.12 warns that a threaded process forks: the child only computes
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        os.close(read)
        os.close(go)
        _child(tasks, write, go_read)
    os.close(write)
    os.close(go_read)
    status = None
    try:
        frames = _frames(read, timeout)
        for _ in tasks:
            with contextlib.suppress(OSError):  # a child that has died cannot be asked; its end is read below
                os.write(go, b"G")
            frame = next(frames, "closed")
            if frame is None:
                yield "slow", None
                return
            if frame == "closed":
                _, status = os.waitpid(pid, 0)
                yield "ended", _ended_how(status)
                return
            kind, value, printed = frame
            if printed:
                print(printed, end="")
            if kind == "interrupted":
                raise KeyboardInterrupt
            yield kind, value
    finally:  # the checker has its verdict (or Ctrl-C stopped the cell): the child has nothing more to do
        os.close(go)
        os.close(read)
        if status is None:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)

"""Files never half-written, folders one run at a time, and output paths checked before any work."""

import os
import socket
import subprocess
import sys

import pytest

from alexnet_lib.files import check_output_file, folder_lock


def test_a_folder_holds_one_run_at_a_time(tmp_path):
    with folder_lock(tmp_path) as lock:
        assert lock.read_text().split() == [str(os.getpid()), socket.gethostname()]
        with pytest.raises(ValueError, match=rf"{tmp_path} is in use by another run \(process {os.getpid()}\).*"
                                             r"another folder \(--out\)"):
            with folder_lock(tmp_path):
                pass
    assert not lock.exists()  # released at the end
    with folder_lock(tmp_path):  # and free again
        pass


def test_a_lock_whose_process_has_ended_is_taken_over(tmp_path):
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / ".lock").write_text(f"{ended.stdout.strip()} {socket.gethostname()}\n")
    with folder_lock(tmp_path) as lock:
        assert lock.read_text().split()[0] == str(os.getpid())
    # Another machine's process cannot be checked from here: its lock is respected.
    (tmp_path / ".lock").write_text("12345 some-other-host\n")
    with pytest.raises(ValueError, match="in use by another run \\(process 12345 on some-other-host\\)"):
        with folder_lock(tmp_path):
            pass
    # An unreadable lock is one being written right now, unless it is old.
    (tmp_path / ".lock").write_text("")
    with pytest.raises(ValueError, match="a process that is starting"):
        with folder_lock(tmp_path):
            pass
    os.utime(tmp_path / ".lock", (0, 0))
    with folder_lock(tmp_path):
        pass


def test_an_output_file_is_checked_before_any_work(tmp_path, monkeypatch):
    assert check_output_file(tmp_path / "new" / "a.json") == tmp_path / "new" / "a.json"
    monkeypatch.setenv("HOME", str(tmp_path))
    assert check_output_file("~/b.json") == tmp_path / "b.json"  # a quoted ~ still means home
    with pytest.raises(ValueError, match=r"--out .* is a folder; give the path of a file"):
        check_output_file(tmp_path, "--out")
    (tmp_path / "afile").write_text("x")
    with pytest.raises(ValueError, match=r"afile is a file, not a folder"):
        check_output_file(tmp_path / "afile" / "b.json")

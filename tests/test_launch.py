"""Data-parallel runs fail in one line: `train --nproc N` launches torchrun's machinery without its traceback, and an
error every process meets is printed once."""

import os
import subprocess
import sys

import pytest

from alexnet_lib import distributed
from alexnet_lib.__main__ import main


def _cli(*args, launcher=()):
    env = {**os.environ, "ALEXNET_PROFILE": "smoke"}
    return subprocess.run([*(launcher or (sys.executable,)), "-m", "alexnet_lib", "train", *args],
                          capture_output=True, text=True, timeout=300, env=env)


def test_nproc_prints_a_library_error_in_one_line_without_torchruns_traceback(tmp_path):
    proc = _cli("--nproc", "2", "--profile", "smoke", "--lr", "-1", "--out", str(tmp_path / "run"))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == ["error: lr=-1.0 must be a finite number > 0 and <= 10 (the recipes use 0.01 "
                                        "to 0.05)"], proc.stderr
    assert not (tmp_path / "run").exists()


def test_nproc_itself_is_checked(capsys):
    assert main(["train", "--nproc", "0"]) == 2
    assert "nproc=0 must be an integer from 1 to 1024" in capsys.readouterr().err


def test_other_ranks_wait_then_name_themselves(monkeypatch):
    monkeypatch.setattr(distributed, "ERROR_DELAY_S", 0.0)
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    assert distributed.error_line("error: disk full") == "rank 1: error: disk full"
    monkeypatch.setenv("RANK", "0")
    assert distributed.error_line("error: disk full") == "error: disk full"
    monkeypatch.setenv("WORLD_SIZE", "1")
    monkeypatch.setenv("RANK", "1")
    assert distributed.error_line("internal error: x") == "internal error: x"


@pytest.mark.parametrize("exitcode, says, code", [(-9, "ended with signal 9 without saying why", 1),
                                                  (2, None, 2), (7, "ended with exit code 7", 1)])
def test_a_failed_process_is_one_line_from_the_launcher(monkeypatch, capsys, exitcode, says, code):
    import torch.distributed.run as torchrun
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError, ProcessFailure

    def failing(args):
        assert args.nproc_per_node == "2" and args.training_script_args == ["--epochs", "1"]
        raise ChildFailedError("alexnet_lib", {1: ProcessFailure(local_rank=1, pid=1, exitcode=exitcode,
                                                                 error_file="<N/A>")})

    monkeypatch.setattr(torchrun, "run", failing)
    assert distributed.launch(2, ["--epochs", "1"]) == code
    err = capsys.readouterr().err
    assert (says in err and len(err.splitlines()) == 1) if says else err == ""


@pytest.mark.slow
def test_under_plain_torchrun_every_process_meeting_an_error_prints_it_once(tmp_path):
    proc = _cli("--profile", "smoke", "--lr", "-1", "--out", str(tmp_path / "run"),
                launcher=(sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_port=29533"))
    assert proc.returncode != 0
    assert [line for line in proc.stderr.splitlines() if "error: " in line] == [
        "error: lr=-1.0 must be a finite number > 0 and <= 10 (the recipes use 0.01 to 0.05)"]

"""Data-parallel training under `torchrun`: the process group, which rank this is, and the sums ranks share.

`torchrun --nproc_per_node=N -m alexnet_lib train ...` starts N copies of the command with `RANK`,
`WORLD_SIZE` and `LOCAL_RANK` set. `start()` joins them into one process group (gloo on the CPU, nccl on
GPUs); every other function here is a no-op in an ordinary single process, so the one training loop
serves both.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

import torch
import torch.distributed as dist

from ._checks import check_int


@dataclass(frozen=True)
class Shard:
    """Which slice of every global batch this process trains on: rank r of `world` takes items r, r+world, ..."""

    rank: int = 0
    world: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.world, bool) or not isinstance(self.world, int) or self.world < 1:
            raise ValueError(f"world={self.world!r} must be a positive integer (the number of processes)")
        if isinstance(self.rank, bool) or not isinstance(self.rank, int) or not 0 <= self.rank < self.world:
            raise ValueError(f"rank={self.rank!r} must be an integer from 0 to world - 1 = {self.world - 1}")


def launched_by_torchrun() -> bool:
    """Whether this process was started by torchrun with more than one process."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def start(device: torch.device) -> tuple[Shard, torch.device]:
    """Join torchrun's process group if there is one; return this process's shard and the device it uses."""
    if not launched_by_torchrun():
        return Shard(), device
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend=backend)
    if device.type == "cuda":
        # One GPU per process: LOCAL_RANK says which one on this machine.
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    return Shard(dist.get_rank(), dist.get_world_size()), device


def stop() -> None:
    """Leave the process group, if this process joined one."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def current_shard() -> Shard:
    """This process's shard: (rank, world) of the process group, or (0, 1) when there is none."""
    if dist.is_available() and dist.is_initialized():
        return Shard(dist.get_rank(), dist.get_world_size())
    return Shard()


def is_main() -> bool:
    """Whether this process is the one that prints and writes files (rank 0, or the only process)."""
    return current_shard().rank == 0


def sum_across(tensor: torch.Tensor) -> torch.Tensor:
    """`tensor` summed over every process, in place (unchanged in a single process)."""
    if current_shard().world > 1:
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def max_across(tensor: torch.Tensor) -> torch.Tensor:
    """`tensor`'s elementwise maximum over every process, in place (unchanged in a single process)."""
    if current_shard().world > 1:
        dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
    return tensor



# ----------------------------------------------------------------------------- launching, and failing in one line

#: How long a rank other than 0 waits before printing its error: if rank 0 failed alike, torchrun stops this rank
#: first, so an error every rank meets (a bad argument) is printed once, while an error of its own still shows.
ERROR_DELAY_S = 3.0


def error_line(line: str) -> str:
    """The error `line` as a failed process prints it: as it is in a single process or on rank 0; on another rank
    under torchrun, after waiting ERROR_DELAY_S, and naming the rank."""
    rank = int(os.environ.get("RANK", "0") or 0) if launched_by_torchrun() else 0
    if rank == 0:
        return line
    time.sleep(ERROR_DELAY_S)  # torchrun ends this process here when rank 0 failed too
    return f"rank {rank}: {line}"


def launch(nproc: int, argv: list[str]) -> int:
    """Run `python -m alexnet_lib ARGV` in `nproc` data-parallel processes, as `torchrun --standalone
    --nproc_per_node=NPROC -m alexnet_lib ARGV` does, and return its exit code.

    A process that fails has printed its one-line error; torchrun's own report of the failure (a 30-line Python
    traceback of the launcher) is left out, and only a failure that printed nothing (a crash) gets a line here.
    """
    import logging

    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import get_args_parser, run

    check_int("nproc", nproc, 1, 1024, hint=" (processes to train with, e.g. 2)")
    args = get_args_parser().parse_args(["--standalone", f"--nproc_per_node={nproc}", "--module", "alexnet_lib"])
    args.training_script_args = list(argv)  # set, not parsed: torchrun's parser would read our options as its own
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # torchrun's own default, set here so it needs no warning
    for name in list(logging.root.manager.loggerDict):  # torchrun's progress and failure logs: ours say enough
        if name.startswith("torch.distributed"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        run(args)
    except ChildFailedError as e:
        rank, failure = e.get_first_failure()
        if failure.exitcode in (1, 2, 130):  # our own exit codes: the process printed why
            return failure.exitcode
        how = f"signal {-failure.exitcode}" if failure.exitcode < 0 else f"exit code {failure.exitcode}"
        print(f"error: training process {rank} ended with {how} without saying why (out of memory?); a run "
              f"with --out continues from its last epoch with --resume", file=sys.stderr)
        return 1
    except (SignalException, KeyboardInterrupt):
        print("interrupted; a training run continues from its last epoch with --resume", file=sys.stderr)
        return 130
    return 0

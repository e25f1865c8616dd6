"""Data-parallel training under `torchrun`: the process group, which rank this is, and the sums ranks share.

`torchrun --nproc_per_node=N -m alexnet_lib train ...` starts N copies of the command with `RANK`,
`WORLD_SIZE` and `LOCAL_RANK` set. `start()` joins them into one process group (gloo on the CPU, nccl on
GPUs); every other function here is a no-op in an ordinary single process, so the one training loop
serves both.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


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


"""Data-parallel training under torchrun: shards of one order, and the same weights as one process."""

import subprocess
import sys

import pytest
import torch

from alexnet_lib.data.loader import DeviceLoader
from alexnet_lib.distributed import Shard, current_shard, is_main, sum_across
from tests.nets import synthetic


def test_shard_checks_its_rank_and_world():
    assert Shard() == Shard(0, 1) and current_shard() == Shard() and is_main()
    with pytest.raises(ValueError, match="rank=2 must be an integer from 0 to world - 1 = 1"):
        Shard(2, 2)
    with pytest.raises(ValueError, match="world=0 must be a positive integer"):
        Shard(0, 0)
    t = torch.ones(3)
    assert sum_across(t) is t and t.tolist() == [1, 1, 1]  # one process: nothing to add


@pytest.mark.parametrize("shuffle", [True, False])
def test_shards_split_every_global_batch_of_one_order(shuffle):
    images, labels = synthetic(70)
    images[:, 0, 0] = torch.arange(70, dtype=torch.uint8)  # a pixel that names the image
    whole = DeviceLoader(images, labels, batch_size=16, size=28, shuffle=shuffle, seed=5)
    parts = [DeviceLoader(images, labels, batch_size=16, size=28, shuffle=shuffle, seed=5, shard=Shard(r, 3))
             for r in range(3)]
    for loader in (whole, *parts):
        loader.set_epoch(2)
    assert all(len(p) == len(whole) == 5 and p.num_images == 70 for p in parts)
    for i, (batch, *shares) in enumerate(zip(whole, *parts)):
        ids = [y.tolist() for _, y in shares]
        assert sorted(sum(ids, [])) == sorted(batch[1].tolist())  # together, exactly the global batch
        assert sum(len(x) for x in ids) == whole.global_batch(i)
        assert torch.equal(shares[0][0], batch[0][0::3])  # rank 0 takes items 0, 3, 6, ... of it
    assert whole.global_batch(4) == 6 and "shard=1/3" in repr(parts[1])


def _train(args, torchrun):
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_port=29531"]
    cmd = (launcher if torchrun else [sys.executable]) + ["-m", "alexnet_lib", "train", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc.stdout


@pytest.mark.slow
def test_two_processes_under_torchrun_train_the_same_weights_as_one(tmp_path):
    """torchrun with 2 CPU processes (gloo) against one process with the same global batch, in fp32."""
    common = ["--profile", "smoke", "--images", "64", "--epochs", "1", "--dropout", "0", "--recipe", "d2l",
              "--precision", "fp32", "--no-progress"]
    out2 = _train([*common, "--out", str(tmp_path / "two")], torchrun=True)
    _train([*common, "--out", str(tmp_path / "one")], torchrun=False)
    assert out2.count("wrote ") == 1 and "2 processes" in out2  # rank 0 alone prints and writes
    two = torch.load(tmp_path / "two" / "checkpoint.pt", weights_only=True)
    one = torch.load(tmp_path / "one" / "checkpoint.pt", weights_only=True)
    assert two["history"]["config"]["processes"] == 2 and two["history"]["epochs"][0]["steps"] == 2
    # Summation order differs across processes, so float tolerance: tight on all weights together, looser per
    # tensor for the biases that moved least from zero (a wrong gradient scale would be off by tens of percent).
    flat = {k: torch.cat([t.flatten() for t in ck["model"].values()]) for k, ck in (("one", one), ("two", two))}
    assert float((flat["two"] - flat["one"]).norm()) <= 1e-5 * float(flat["one"].norm())
    for name, w in one["model"].items():
        assert float((two["model"][name] - w).norm()) <= 1e-2 * float(w.norm()), name
    h1, h2 = one["history"]["epochs"][0], two["history"]["epochs"][0]
    assert h2["train_loss"] == pytest.approx(h1["train_loss"], rel=1e-5)
    assert (h2["test_acc"], h2["val_acc"]) == (h1["test_acc"], h1["val_acc"])  # sharded evaluation, summed
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == ["checkpoint.pt", "history.json"]


def _replan_on_rank(rank: int, init_file: str, results) -> None:
    """One of two processes re-planning a 40-step run: rank 1 is slower and further behind its deadline."""
    import torch.distributed as dist

    from alexnet_lib.engine import budget as B

    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=2)
    try:
        speeds = B.Speeds(seconds_per_step=1.0, eval_images_per_s=100.0)
        plan = B.plan_budget(1, speeds, steps_per_epoch=10, batch_size=8, train_images=80, eval_images_per_epoch=200)
        now = (20.0, 30.0)[rank]
        pacer = B.Pacer(plan, deadline=60.0, device=torch.device("cpu"), clock=lambda: now)
        results.put((rank, pacer.revise(10, train_seconds=(20.0, 25.0)[rank])))
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_processes_under_torchrun_replan_alike_for_the_slowest_and_latest(tmp_path):
    import torch.multiprocessing as mp

    from alexnet_lib.engine import budget as B

    ctx = mp.get_context("spawn")
    results = ctx.SimpleQueue()
    mp.spawn(_replan_on_rank, args=(str(tmp_path / "init"), results), nprocs=2)
    steps = dict(results.get() for _ in range(2))
    # Alone, the slowest and latest process (2.5 s per step, 30 s left; an epoch's end 200 / 40 + 3 * 2.5 =
    # 12.5 s) plans 2 more steps (5 s) and the ends of epochs 1 and 2 (25 s): 12 steps.
    plan = B.plan_budget(1, B.Speeds(1.0, 100.0), steps_per_epoch=10, batch_size=8, train_images=80,
                         eval_images_per_epoch=200)
    alone = B.Pacer(plan, deadline=60.0, device=torch.device("cpu"), clock=lambda: 30.0).revise(10, 25.0)
    assert steps == {0: alone, 1: alone} and alone == 12

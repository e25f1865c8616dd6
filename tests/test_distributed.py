"""Data-parallel training under torchrun: shards of one order, and the same weights as one process."""

import subprocess
import sys

import pytest
import torch

from alexnet_lib.distributed import Shard, current_shard, is_main, sum_across
from alexnet_lib.loader import DeviceLoader
from tests.test_train import synthetic


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

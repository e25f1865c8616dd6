"""The engine's speed settings: freed memory kept while a CPU trains, the fused optimizer update, and their refusals."""

import subprocess
import sys

import pytest
import torch
from torch import nn

from alexnet_lib.engine.host_memory import _glibc, keep_freed_memory
from alexnet_lib.engine.recipes import get_recipe, make_optimizer

PAGES_60MB = 60 * 2 ** 20 // 4096

# Run in a fresh interpreter: how a heap reuses memory depends on everything the process did before.
MEASURE = """
import resource, torch
from alexnet_lib.engine.host_memory import keep_freed_memory

def faults_of_second_allocation():
    torch.ones(16 * 2 ** 20)  # 64 MB, written, then freed at once
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    torch.ones(15 * 2 ** 20)  # 60 MB: it fits in the freed block wherever that block lies
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

outside = faults_of_second_allocation()
with keep_freed_memory(torch.device("cpu")) as changed:
    inside = faults_of_second_allocation()
print(outside, int(changed), inside, faults_of_second_allocation())
"""


@pytest.mark.skipif(_glibc() is None, reason="the setting is glibc's (Linux)")
def test_inside_the_memory_of_a_freed_tensor_is_reused_and_outside_it_is_handed_back():
    out = subprocess.run([sys.executable, "-c", MEASURE], capture_output=True, text=True, check=True).stdout
    outside, changed, inside, after = map(int, out.split())
    assert changed == 1
    assert outside > PAGES_60MB // 2  # glibc's default: a large block is unmapped when freed
    assert inside < PAGES_60MB // 20
    assert after > PAGES_60MB // 2  # the defaults are back


def test_nothing_changes_off_the_cpu():
    with keep_freed_memory(torch.device("meta")) as changed:
        assert not changed


def test_the_optimizer_is_fused_on_the_cpu_and_matches_the_unfused_update():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Linear(4, 2))  # weights and biases: both decay groups
    for p in net.parameters():
        p.grad = torch.randn_like(p)
    reference = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Linear(4, 2))
    reference.load_state_dict(net.state_dict())
    for p, q in zip(reference.parameters(), net.parameters()):
        p.grad = q.grad.clone()
    recipe = get_recipe("fast")
    fused = make_optimizer(net, recipe)
    assert all(g["fused"] for g in fused.param_groups)
    plain = torch.optim.SGD([{"params": [p for p in reference.parameters() if p.ndim > 1],
                              "weight_decay": recipe.weight_decay},
                             {"params": [p for p in reference.parameters() if p.ndim <= 1], "weight_decay": 0.0}],
                            lr=recipe.lr, momentum=recipe.momentum, nesterov=True, foreach=False)
    for _ in range(3):
        fused.step()
        plain.step()
    for p, q in zip(net.parameters(), reference.parameters()):
        torch.testing.assert_close(p, q)


def test_a_model_without_weights_is_refused_with_a_message_not_a_stopiteration():
    with pytest.raises(ValueError, match="Sequential has no trainable parameters.*nn.Linear"):
        make_optimizer(nn.Sequential(nn.ReLU(), nn.Flatten()), get_recipe("fast"))


def test_a_torch_without_fused_sgd_gets_the_plain_update(monkeypatch):
    real = torch.optim.SGD

    def old_sgd(params, fused=None, **kwargs):  # as torch before fused SGD: the argument is refused
        if fused:
            raise RuntimeError("fused=True requires all the params to be floating point Tensors of supported devices")
        return real(params, **kwargs)

    monkeypatch.setattr(torch.optim, "SGD", old_sgd)
    optimizer = make_optimizer(nn.Linear(4, 2), get_recipe("fast"))
    assert not any(g.get("fused") for g in optimizer.param_groups)
    assert optimizer.param_groups[0]["nesterov"] and optimizer.param_groups[0]["weight_decay"] == 5e-4

"""keep_freed_memory: inside, a freed large tensor's pages are reused without faulting; outside, glibc's defaults."""

import resource

import pytest
import torch
from torch import nn

from alexnet_lib.host_memory import _glibc, keep_freed_memory
from alexnet_lib.recipes import get_recipe, make_optimizer

PAGES_60MB = 60 * 2 ** 20 // 4096


def faults_of_second_allocation() -> int:
    """Page faults taken by writing a 60 MB tensor after a 64 MB one was written and freed.

    Slightly smaller, so that it fits in the freed block wherever that block lies in the heap.
    """
    torch.ones(16 * 2 ** 20)  # 64 MB, written, then freed at once
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    torch.ones(15 * 2 ** 20)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


@pytest.mark.skipif(_glibc() is None, reason="the setting is glibc's (Linux)")
def test_inside_the_memory_of_a_freed_tensor_is_reused_and_outside_it_is_handed_back():
    assert faults_of_second_allocation() > PAGES_60MB // 2  # glibc's default: unmapped when freed
    with keep_freed_memory(torch.device("cpu")) as changed:
        assert changed
        assert faults_of_second_allocation() < PAGES_60MB // 20
    assert faults_of_second_allocation() > PAGES_60MB // 2  # defaults restored


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

"""ReLU, tanh and sigmoid with their derivatives, and the gradient profiles of deep stacks."""

import math

import pytest
import torch

from alexnet_lib.net import activations as act


@pytest.mark.parametrize("name", act.NAMES)
def test_functions_and_derivatives_agree_with_torch_and_autograd(name):
    x = torch.linspace(-8, 8, 161, dtype=torch.float64).requires_grad_(True)
    want = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}[name](x)
    assert torch.allclose(act.activation(name)(x), want)
    want.sum().backward()
    assert torch.allclose(act.derivative(name)(x.detach()), x.grad)


def test_derivative_maxima_and_saturation():
    x = torch.linspace(-10, 10, 2001)
    assert float(act.tanh_grad(x).max()) == pytest.approx(1.0)
    assert float(act.sigmoid_grad(x).max()) == pytest.approx(0.25)
    assert act.relu_grad(torch.tensor([0.0])).item() == 0.0  # PyTorch's convention at the kink
    assert act.saturated_fraction("relu", torch.tensor([1.0, 50.0, -1.0])) == pytest.approx(1 / 3)
    assert act.saturated_fraction("tanh", torch.tensor([0.0, 5.0])) == 0.5  # tanh'(5) ~ 1.8e-4
    assert act.saturated_fraction("sigmoid", torch.tensor([0.0, 5.0])) == 0.5


def test_deep_stack_shapes_and_weight_scale():
    net = act.deep_stack("tanh", depth=3, width=400, weight_scale=2.0, seed=1)
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    assert len(linears) == 3 and isinstance(net[1], torch.nn.Tanh)
    assert float(linears[0].weight.detach().std()) == pytest.approx(2.0 / math.sqrt(400), rel=0.02)
    assert float(linears[0].bias.detach().abs().max()) == 0.0


def test_gradient_norms_are_seeded():
    a = act.gradient_norms("relu", depth=5, width=32, seed=3)
    assert a == act.gradient_norms("relu", depth=5, width=32, seed=3)
    assert a != act.gradient_norms("relu", depth=5, width=32, seed=4)
    assert len(a) == 5 and all(v > 0 for v in a)


def _autograd(name, depth, width, batch, seed, scale=1.5):
    """The documented computation redone here: seeded x ~ N(0, 1) and targets, half squared error over the batch."""
    net = act.deep_stack(name, depth, width, weight_scale=scale, seed=seed)
    g = torch.Generator().manual_seed(seed + 1)
    x, target = torch.randn(batch, width, generator=g), torch.randn(batch, width, generator=g)
    inputs, pre = [], []
    h = x
    for layer in net:
        if isinstance(layer, torch.nn.Linear):
            inputs.append(h.detach())
        h = layer(h)
        if isinstance(layer, torch.nn.Linear):
            h.retain_grad()
            pre.append(h)
    (0.5 * ((h - target) ** 2).sum() / batch).backward()
    return [m for m in net if isinstance(m, torch.nn.Linear)], inputs, [z.grad for z in pre]


@pytest.mark.parametrize("name", act.NAMES)
def test_bias_gradients_are_the_pre_activation_gradients(name):
    linears, inputs, grads = _autograd(name, depth=4, width=16, batch=8, seed=2)
    for m, a, dz in zip(linears, inputs, grads):
        torch.testing.assert_close(m.bias.grad, dz.sum(0))  # one bias term per unit, summed over the batch
        torch.testing.assert_close(m.weight.grad, dz.T @ a)  # and the weight gradient is it times the input
    got = act.gradient_norms(name, depth=4, width=16, weight_scale=1.5, batch=8, seed=2)
    assert got == pytest.approx([float(dz.norm()) for dz in grads], rel=1e-5)


@pytest.mark.parametrize("name", act.NAMES)
def test_with_one_image_gradient_norms_are_the_bias_gradient_norms(name):
    linears, _, _ = _autograd(name, depth=5, width=16, batch=1, seed=7)
    got = act.gradient_norms(name, depth=5, width=16, weight_scale=1.5, batch=1, seed=7)
    assert got == pytest.approx([float(m.bias.grad.norm()) for m in linears], rel=1e-5)
    assert got != pytest.approx(got[::-1])  # the layers really differ, so the order is checked too


def test_sigmoid_vanishes_and_relu_is_preserved_at_he_scale():
    sig = act.gradient_norms("sigmoid", depth=20)
    relu = act.gradient_norms("relu", depth=20, weight_scale=math.sqrt(2))
    assert act.gradient_ratio(sig) > 1e9  # derivative <= 1/4 at every layer
    assert 0.1 < act.gradient_ratio(relu) < 10
    assert act.gradient_ratio(act.gradient_norms("relu", depth=20, weight_scale=1.0)) > 100  # (1/2)^(depth/2)


def test_bad_input_is_a_clear_value_error():
    with pytest.raises(ValueError, match="activation='gelu' is not valid; choose one of 'relu', 'tanh', 'sigmoid'"):
        act.gradient_norms("gelu")
    with pytest.raises(ValueError, match="depth=0"):
        act.deep_stack("relu", depth=0)
    with pytest.raises(ValueError, match="weight_scale=-1"):
        act.deep_stack("relu", weight_scale=-1)
    with pytest.raises(ValueError, match="batch=0"):
        act.gradient_norms("relu", batch=0)
    with pytest.raises(ValueError, match="norms is empty"):
        act.gradient_ratio([])

"""The configurable AlexNet: exact parameter counts, real output shapes, initialisation and validation."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn

from alexnet_lib.net.layers import LocalResponseNorm
from alexnet_lib.net.model import (
    AlexNet,
    AlexNetConfig,
    LayerSpec,
    alexnet_d2l,
    alexnet_fashion,
    alexnet_paper,
    alexnet_torchvision,
    count_parameters,
    init_weights,
)
from alexnet_lib.net.shapes import layer_table


@pytest.fixture(scope="module")
def paper() -> AlexNet:
    return alexnet_paper()


@pytest.fixture(scope="module")
def torchvision_net() -> AlexNet:
    return alexnet_torchvision()


@pytest.fixture(scope="module")
def d2l() -> AlexNet:
    return alexnet_d2l()


def _types(seq: nn.Sequential) -> list[str]:
    return [type(m).__name__ for m in seq]


def _conv_pool_sizes(model: AlexNet) -> list[int]:
    """Spatial size after every conv and pool layer, from a real forward pass."""
    c = model.config
    table = layer_table(model, (c.in_channels, c.input_size, c.input_size))
    return [r.output_shape[-1] for r in table if r.type in ("Conv2d", "MaxPool2d")]


# ----------------------------------------------------------------------------- the three named versions


def test_parameter_counts(paper, torchvision_net, d2l):
    assert count_parameters(paper) == 60_965_224
    assert count_parameters(torchvision_net) == 61_100_840
    assert count_parameters(d2l) == 46_764_746


def test_output_sizes_of_every_layer_from_a_real_forward_pass(paper, torchvision_net, d2l):
    assert _conv_pool_sizes(paper) == [55, 27, 27, 13, 13, 13, 13, 6]
    assert _conv_pool_sizes(torchvision_net) == [55, 27, 27, 13, 13, 13, 13, 6]
    assert _conv_pool_sizes(d2l) == [54, 26, 26, 12, 12, 12, 12, 5]
    for model in (paper, torchvision_net, d2l):
        assert list(model.config.feature_sizes) == _conv_pool_sizes(model)
    assert (paper.config.flatten_features, torchvision_net.config.flatten_features) == (9216, 9216)
    assert d2l.config.flatten_features == 6400 == d2l.classifier[0].in_features


def test_forward_gives_class_scores(paper, torchvision_net, d2l):
    with torch.no_grad():
        assert paper.eval()(torch.randn(1, 3, 227, 227)).shape == (1, 1000)
        assert torchvision_net.eval()(torch.randn(1, 3, 224, 224)).shape == (1, 1000)
        assert d2l.eval()(torch.randn(2, 1, 224, 224)).shape == (2, 10)


def test_layer_order(paper, torchvision_net, d2l):
    assert _types(paper.features) == ["Conv2d", "ReLU", "LocalResponseNorm", "MaxPool2d",
                                      "Conv2d", "ReLU", "LocalResponseNorm", "MaxPool2d",
                                      "Conv2d", "ReLU", "Conv2d", "ReLU", "Conv2d", "ReLU", "MaxPool2d"]
    assert isinstance(paper.features[2], LocalResponseNorm)  # the library's own, from scratch
    assert _types(paper.classifier) == ["Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"]
    assert paper.avgpool is None
    assert _types(d2l.features) == ["Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "MaxPool2d",
                                    "Conv2d", "ReLU", "Conv2d", "ReLU", "Conv2d", "ReLU", "MaxPool2d"]
    assert _types(d2l.classifier) == ["Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"]
    assert _types(torchvision_net.classifier) == ["Dropout", "Linear", "ReLU", "Dropout", "Linear", "ReLU",
                                                  "Linear"]
    assert isinstance(torchvision_net.avgpool, nn.AdaptiveAvgPool2d)
    assert torchvision_net.avgpool.output_size == (6, 6)


def test_torchvision_variant_has_torchvisions_state_dict_layout(torchvision_net):
    # Same names and shapes as torchvision.models.alexnet, so its checkpoints load unchanged.
    expected = {
        "features.0.weight": (64, 3, 11, 11), "features.0.bias": (64,),
        "features.3.weight": (192, 64, 5, 5), "features.3.bias": (192,),
        "features.6.weight": (384, 192, 3, 3), "features.6.bias": (384,),
        "features.8.weight": (256, 384, 3, 3), "features.8.bias": (256,),
        "features.10.weight": (256, 256, 3, 3), "features.10.bias": (256,),
        "classifier.1.weight": (4096, 9216), "classifier.1.bias": (4096,),
        "classifier.4.weight": (4096, 4096), "classifier.4.bias": (4096,),
        "classifier.6.weight": (1000, 4096), "classifier.6.bias": (1000,),
    }
    assert {k: tuple(v.shape) for k, v in torchvision_net.state_dict().items()} == expected


def test_groups_only_on_conv2_conv4_conv5(paper, torchvision_net, d2l):
    convs = [m for m in paper.features if isinstance(m, nn.Conv2d)]
    assert [m.groups for m in convs] == [1, 2, 1, 2, 2]
    assert tuple(convs[1].weight.shape) == (256, 48, 5, 5)  # each GPU's half sees 48 of the 96 channels
    assert tuple(convs[2].weight.shape) == (384, 256, 3, 3)  # conv3 crosses between the GPUs
    for model in (torchvision_net, d2l):
        assert all(m.groups == 1 for m in model.modules() if isinstance(m, nn.Conv2d))


def test_paper_init_statistics(paper):
    convs = [m for m in paper.modules() if isinstance(m, nn.Conv2d)]
    linears = [m for m in paper.modules() if isinstance(m, nn.Linear)]
    for m in convs + linears:
        if m.weight.numel() > 100_000:
            assert m.weight.std().item() == pytest.approx(0.01, rel=0.02)
            assert abs(m.weight.mean().item()) < 1e-3
    ones = [convs[1], convs[3], convs[4], linears[0], linears[1]]
    zeros = [convs[0], convs[2], linears[2]]
    assert all(torch.equal(m.bias, torch.ones_like(m.bias)) for m in ones)
    assert all(torch.equal(m.bias, torch.zeros_like(m.bias)) for m in zeros)


def test_gaussian_init_is_the_papers_weights_with_zero_biases():
    paper, gaussian = _small(), _small()
    init_weights(paper, "paper", generator=torch.Generator().manual_seed(3))
    init_weights(gaussian, "gaussian", generator=torch.Generator().manual_seed(3))
    for (name, p), g in zip(paper.named_parameters(), gaussian.parameters()):
        if name.endswith("weight"):
            assert torch.equal(p, g)  # the same draws: only the biases differ
        else:
            assert torch.equal(g, torch.zeros_like(g))
    assert sum(int(p.sum()) for n, p in paper.named_parameters() if n.endswith("bias")) > 0


def test_d2l_uses_xavier_uniform(d2l):
    w = d2l.classifier[0].weight
    bound = (6 / (6400 + 4096)) ** 0.5
    assert w.abs().max().item() <= bound * (1 + 1e-6)  # float32 rounding of the bound
    assert w.std().item() == pytest.approx(bound / 3 ** 0.5, rel=0.01)
    assert all(torch.equal(m.bias, torch.zeros_like(m.bias))
               for m in d2l.modules() if isinstance(m, (nn.Conv2d, nn.Linear)))


@pytest.mark.parametrize("name", ["paper", "torchvision", "d2l"])
def test_layer_specs_are_the_layers_the_network_is_built_from(name, paper, torchvision_net, d2l):
    model = {"paper": paper, "torchvision": torchvision_net, "d2l": d2l}[name]
    specs = model.config.layers
    assert [s.name for s in specs] == ["conv1", "pool1", "conv2", "pool2", "conv3", "conv4", "conv5", "pool3"]
    modules = [m for m in model.features if isinstance(m, (nn.Conv2d, nn.MaxPool2d))]
    for spec, m in zip(specs, modules, strict=True):
        if isinstance(m, nn.Conv2d):
            assert spec == LayerSpec(spec.name, "conv", m.kernel_size[0], m.stride[0], m.padding[0], m.in_channels,
                                     m.out_channels, m.groups)
        else:
            assert (spec.kind, spec.kernel, spec.stride, spec.padding) == ("pool", m.kernel_size, m.stride, m.padding)
    sizes = _conv_pool_sizes(model)
    assert [model.config.size_after(s.name) for s in specs] == sizes
    with pytest.raises(ValueError, match="name='fc1' is not valid"):
        model.config.size_after("fc1")


def test_pool_ceil_mode_changes_the_sizes_as_pytorch_does():
    # d2l's 54x54 after conv1: floor((54 - 3) / 2) + 1 = 26 windows, ceil gives 27 (the last one is cut short).
    floor, ceil = _small(input_size=224, conv1_padding=1), _small(input_size=224, conv1_padding=1, pool_ceil_mode=True)
    assert list(floor.config.feature_sizes) == _conv_pool_sizes(floor) == [54, 26, 26, 12, 12, 12, 12, 5]
    assert list(ceil.config.feature_sizes) == _conv_pool_sizes(ceil) == [54, 27, 27, 13, 13, 13, 13, 6]
    assert all(m.ceil_mode for m in ceil.features if isinstance(m, nn.MaxPool2d))
    assert ceil.config.flatten_features == 256 * 36 == ceil.classifier[0].in_features
    assert ceil(torch.zeros(1, 1, 224, 224)).shape == (1, 10)


# ----------------------------------------------------------------------------- init_weights


def _small(**overrides) -> AlexNet:
    """A Fashion-MNIST AlexNet with narrow hidden layers so that tests build it in milliseconds."""
    return alexnet_fashion(hidden=64, **overrides)


def test_init_kaiming_and_torch_schemes():
    model = _small()
    init_weights(model, "kaiming")
    conv1 = model.features[0]
    fan_out = 96 * 11 * 11
    assert conv1.weight.std().item() == pytest.approx((2 / fan_out) ** 0.5, rel=0.05)
    assert model.classifier[0].weight.std().item() == pytest.approx(0.01, rel=0.05)
    assert all(m.bias.abs().sum() == 0 for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear)))
    init_weights(model, "torch")
    # PyTorch's default: kaiming_uniform with a=sqrt(5), i.e. a bound of 1/sqrt(fan_in).
    assert conv1.weight.abs().max().item() <= 1 / (11 * 11) ** 0.5
    assert conv1.bias.abs().sum() > 0


@pytest.mark.parametrize("scheme", ["paper", "gaussian", "xavier", "kaiming", "torch"])
def test_init_with_a_generator_is_reproducible(scheme):
    a, b = _small(), _small()
    init_weights(a, scheme, generator=torch.Generator().manual_seed(5))
    init_weights(b, scheme, generator=torch.Generator().manual_seed(5))
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)


def test_init_unknown_scheme():
    with pytest.raises(ValueError, match=r"scheme='he'.*'paper', 'gaussian', 'xavier', 'kaiming', 'torch'"):
        init_weights(_small(), "he")


# ----------------------------------------------------------------------------- configurations


def test_fashion_defaults():
    model = alexnet_fashion()
    c = model.config
    assert (c.in_channels, c.num_classes, c.input_size, c.groups, c.lrn, c.pool_kernel, c.pool_stride,
            c.dropout, c.init) == (1, 10, 227, 1, True, 3, 2, 0.5, "paper")
    assert count_parameters(model) == 58_299_082


@pytest.mark.parametrize("overrides, sizes", [
    (dict(activation="tanh"), [55, 27, 27, 13, 13, 13, 13, 6]),
    (dict(activation="sigmoid"), [55, 27, 27, 13, 13, 13, 13, 6]),
    (dict(lrn=False), [55, 27, 27, 13, 13, 13, 13, 6]),
    (dict(pool_kernel=2), [55, 27, 27, 13, 13, 13, 13, 6]),  # non-overlapping 2/2 pooling: same sizes
    (dict(pool_kernel=3, pool_stride=3), [55, 18, 18, 6, 6, 6, 6, 2]),
    (dict(dropout=0.0), [55, 27, 27, 13, 13, 13, 13, 6]),
    (dict(dropout_before_linear=True), [55, 27, 27, 13, 13, 13, 13, 6]),
    (dict(groups=2), [55, 27, 27, 13, 13, 13, 13, 6]),
    (dict(input_size=224), [54, 26, 26, 12, 12, 12, 12, 5]),
    (dict(input_size=224, avgpool=6), [54, 26, 26, 12, 12, 12, 12, 5]),
    (dict(input_size=67), [15, 7, 7, 3, 3, 3, 3, 1]),
])
def test_overrides_build_and_run(overrides, sizes):
    model = _small(**overrides)
    assert list(model.config.feature_sizes) == sizes
    assert _conv_pool_sizes(model) == sizes
    x = torch.randn(2, 1, model.config.input_size, model.config.input_size)
    assert model.train()(x).shape == (2, 10)
    with torch.no_grad():
        assert model.eval()(x).shape == (2, 10)


def test_override_details():
    assert _types(_small(activation="tanh").features)[1] == "Tanh"
    assert _types(_small(activation="sigmoid").classifier)[1] == "Sigmoid"
    assert "LocalResponseNorm" not in _types(_small(lrn=False).features)
    assert "Dropout" not in _types(_small(dropout=0.0).classifier)
    assert _types(_small(dropout_before_linear=True).classifier)[:2] == ["Dropout", "Linear"]
    assert _small(dropout=0.3).classifier[2].p == 0.3
    model = _small(input_size=224, avgpool=6)
    assert model.config.flatten_features == 256 * 36 == model.classifier[0].in_features


def test_dropout_acts_in_training_only():
    model = _small()
    x = torch.randn(1, 1, 227, 227)
    with torch.no_grad():
        model.eval()
        assert torch.equal(model(x), model(x))
        model.train()
        assert not torch.equal(model(x), model(x))


@pytest.mark.parametrize("kwargs, words", [
    (dict(activation="gelu"), ["activation='gelu'", "relu", "tanh", "sigmoid"]),
    (dict(groups=3), ["groups=3", "1", "2"]),
    (dict(groups=2, channels=(95, 256, 384, 384, 256)), ["divisible", "groups=2", "95"]),
    (dict(channels=(96, 256, 384, 256)), ["channels=", "five"]),
    (dict(input_size=30), ["input_size=30", "pool2", "67"]),
    (dict(input_size=0), ["input_size=0", ">= 1"]),
    (dict(dropout=1.0), ["dropout=1.0", ">= 0 and < 1"]),
    (dict(init="he"), ["init='he'", "paper", "xavier"]),
    (dict(avgpool=0), ["avgpool=0", "an integer from 1 to 64"]),
    (dict(pool_ceil_mode=1), ["pool_ceil_mode=1", "True or False"]),
    (dict(groups=True), ["groups=True", "(got bool)"]),
    (dict(num_classes=2.5), ["num_classes=2.5", "integer"]),
    (dict(lrn="yes"), ["lrn='yes'", "True or False"]),
])
def test_bad_config_raises_a_useful_value_error(kwargs, words):
    with pytest.raises(ValueError) as err:
        AlexNetConfig(**kwargs)
    for word in words:
        assert word in str(err.value)


def test_config_is_frozen_and_channels_become_a_tuple():
    c = AlexNetConfig(channels=[96, 256, 384, 384, 256])
    assert c.channels == (96, 256, 384, 384, 256)
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.groups = 2
    assert AlexNet(AlexNetConfig(hidden=8)).config == AlexNetConfig(hidden=8)


def test_unknown_override_and_bad_config_object():
    with pytest.raises(ValueError, match=r"unknown AlexNetConfig field\(s\) \['num_class'\]"):
        alexnet_fashion(num_class=10)
    with pytest.raises(ValueError, match="AlexNetConfig"):
        AlexNet({"num_classes": 10})


@pytest.mark.parametrize("shape", [(1, 1, 224, 224), (1, 3, 227, 227), (1, 227, 227), (1, 1, 227, 200)])
def test_wrong_input_raises_value_error_saying_what_to_do(shape):
    model = _small()
    with pytest.raises(ValueError) as err:
        model(torch.zeros(shape))
    message = str(err.value)
    assert "(N, 1, 227, 227)" in message and str(tuple(shape)) in message and "227x227" in message


def test_paper_config_is_the_one_paper_net():
    from alexnet_lib.net.model import alexnet_paper, paper_config

    c = paper_config()
    assert c == AlexNetConfig(groups=2) and c.num_classes == 1000 and paper_config(num_classes=10).num_classes == 10
    assert sum(p.numel() for p in alexnet_paper().parameters()) == 60_965_224 == count_parameters(AlexNet(c))
    mine = AlexNetConfig(groups=1)
    assert paper_config(mine) is mine
    with pytest.raises(ValueError, match="config must be an AlexNetConfig .*got dict"):
        paper_config({"groups": 2})

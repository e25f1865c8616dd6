"""Small nets and synthetic data that the engine's tests train in seconds."""

import torch
from torch import nn

from alexnet_lib.data.loader import DeviceLoader


def tiny_net() -> nn.Module:
    """A small CNN on 28x28 inputs with dropout, so a resumed run has randomness to reproduce."""
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Dropout(0.3), nn.Linear(8 * 14 * 14, 10))


def synthetic(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Noise images with one bright row per class (row 4 + 2 * label): learnable in a few steps."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 10
    images = torch.randint(0, 60, (n, 28, 28), generator=g, dtype=torch.uint8)
    images[torch.arange(n), 4 + 2 * labels, 4:24] = 255
    return images, labels


def loaders(n_train: int = 128, n_test: int = 64, batch: int = 32) -> tuple[DeviceLoader, DeviceLoader]:
    """Shuffled training and in-order test loaders of synthetic 28x28 images."""
    train = DeviceLoader(*synthetic(n_train), batch_size=batch, size=28, shuffle=True, seed=1)
    test = DeviceLoader(*synthetic(n_test, seed=1), batch_size=batch, size=28)
    return train, test


def same_weights(a: nn.Module, b: nn.Module) -> bool:
    """Whether two models hold exactly the same tensors under the same names."""
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


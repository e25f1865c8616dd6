"""Batches on the device: Fashion-MNIST kept as uint8 where it trains, normalised and resized per batch."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Iterator, Optional, Union

import torch
import torch.nn.functional as F

from ._checks import check_int
from .data import load_fashion_mnist, normalize
from .devices import parse_device


def _epoch_seed(seed: int, epoch: int) -> int:
    """One well-mixed 56-bit seed per (seed, epoch), so nearby seeds and epochs give unrelated orders."""
    return int.from_bytes(hashlib.sha256(f"{seed}/{epoch}".encode()).digest()[:7], "little")


def _balanced_subset(labels: torch.Tensor, n: int, seed: int) -> torch.Tensor:
    """`n` indices, as equal per class as the data allow (counts differ by at most one), in dataset order."""
    g = torch.Generator().manual_seed(_epoch_seed(seed, -1))
    classes = torch.unique(labels)
    class_rank = torch.empty(int(classes.max()) + 1, dtype=torch.int64)
    class_rank[classes] = torch.randperm(len(classes), generator=g)  # which classes get the remainder
    # Rank each image within its class in a seeded random order; taking the n smallest (rank, class) pairs
    # deals images out round-robin across classes, and a class that runs out simply stops contributing.
    perm = torch.randperm(len(labels), generator=g)
    shuffled = labels[perm]
    order = torch.argsort(shuffled, stable=True)
    sorted_labels = shuffled[order]
    starts = torch.searchsorted(sorted_labels, sorted_labels, side="left")
    rank_in_class = torch.arange(len(labels)) - starts
    key = rank_in_class * len(classes) + class_rank[sorted_labels]
    chosen = perm[order[torch.argsort(key)[:n]]]
    return torch.sort(chosen).values


class DeviceLoader:
    """Batches of normalised, resized images made on `device` from a uint8 copy kept there.

    Yields (images float32 (B, 1, size, size), labels int64 (B,)). The order of an epoch depends only on
    (seed, epoch): call `set_epoch(e)` before iterating; iterating does not advance the epoch, so a
    resumed run sees exactly the batches of an uninterrupted one. `subset=n` keeps a fixed, seeded,
    class-balanced sample of n images (per-class counts differ by at most one).
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 128, size: int = 224,
                 shuffle: bool = False, seed: int = 0, device: Union[str, torch.device] = "cpu",
                 subset: Optional[int] = None, drop_last: bool = False, channels_last: bool = False) -> None:
        if not isinstance(images, torch.Tensor) or images.dtype != torch.uint8 or images.dim() != 3:
            got = (f"{images.dtype} tensor of shape {tuple(images.shape)}" if isinstance(images, torch.Tensor)
                   else type(images).__name__)
            raise ValueError(f"images must be a uint8 tensor of shape (N, H, W), got a {got}")
        if (not isinstance(labels, torch.Tensor) or labels.dim() != 1 or labels.is_floating_point()
                or labels.dtype == torch.bool):
            got = (f"{labels.dtype} tensor of shape {tuple(labels.shape)}" if isinstance(labels, torch.Tensor)
                   else type(labels).__name__)
            raise ValueError(f"labels must be a 1-D integer tensor, got a {got}")
        if len(labels) != len(images):
            raise ValueError(f"{len(images)} images but {len(labels)} labels: they must match one to one")
        if len(images) == 0:
            raise ValueError("images is empty: give the loader at least one image")
        self.batch_size = check_int("batch_size", batch_size, 1, 65536)
        # 1024 is 4x the paper's 256: larger sizes only exhaust memory.
        self.size = check_int("size", size, 1, 1024)
        if subset is not None:
            check_int("subset", subset, 1)
            if subset > len(images):
                raise ValueError(f"subset={subset} is more than the {len(images)} images available: "
                                 f"use at most {len(images)}, or subset=None for all of them")
        if drop_last and (subset or len(images)) < self.batch_size:
            raise ValueError(f"drop_last=True with batch_size={self.batch_size} and only {subset or len(images)} "
                             f"images gives no batches: lower batch_size or set drop_last=False")
        self.device = parse_device(device)
        self.shuffle, self.seed, self.drop_last, self.channels_last = shuffle, seed, drop_last, channels_last
        self.epoch = 0
        if subset is not None and subset < len(images):
            idx = _balanced_subset(labels.cpu(), subset, seed)
            images, labels = images[idx.to(images.device)], labels[idx.to(labels.device)]
        # Moved once: every epoch then reads from device memory, and uint8 is 4x smaller than float.
        self.images = images.to(self.device)
        self.labels = labels.to(device=self.device, dtype=torch.int64)
        self.num_images = len(self.images)

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose order the next iterations use (shuffling only)."""
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
            raise ValueError(f"epoch={epoch!r} must be a non-negative integer")
        self.epoch = epoch

    def __len__(self) -> int:
        """Number of batches per epoch."""
        if self.drop_last:
            return self.num_images // self.batch_size
        return math.ceil(self.num_images / self.batch_size)

    def _transform(self, x: torch.Tensor) -> torch.Tensor:
        # Normalise at 28x28 before resizing: bilinear interpolation is linear, and 64x fewer pixels.
        x = normalize(x)
        x = x.unsqueeze(1)
        if x.shape[-2:] != (self.size, self.size):
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False,
                              antialias=False)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Yield (images, labels) batches of the current epoch."""
        order = None
        if self.shuffle:
            # A CPU generator gives the same order on every device; the indices then move once per epoch.
            g = torch.Generator().manual_seed(_epoch_seed(self.seed, self.epoch))
            order = torch.randperm(self.num_images, generator=g).to(self.device)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            stop = min(start + self.batch_size, self.num_images)
            if order is None:
                x, y = self.images[start:stop], self.labels[start:stop]
            else:
                idx = order[start:stop]
                x, y = self.images[idx], self.labels[idx]
            yield self._transform(x), y

    def __repr__(self) -> str:
        return (f"DeviceLoader({self.num_images} images, batch_size={self.batch_size}, size={self.size}, "
                f"shuffle={self.shuffle}, seed={self.seed}, epoch={self.epoch}, device={self.device})")


def fashion_mnist_loaders(batch_size: int = 128, size: int = 224, device: Union[str, torch.device] = "cpu",
                          train_subset: Optional[int] = None, test_subset: Optional[int] = None, seed: int = 0,
                          root: Union[str, Path, None] = None, channels_last: bool = False
                          ) -> tuple[DeviceLoader, DeviceLoader, tuple[str, ...]]:
    """Train (shuffled) and test (in order) DeviceLoaders on Fashion-MNIST, and the class names."""
    data = load_fashion_mnist(root)
    common = dict(batch_size=batch_size, size=size, device=device, seed=seed, channels_last=channels_last)
    train = DeviceLoader(data.train_images, data.train_labels, shuffle=True, subset=train_subset, **common)
    test = DeviceLoader(data.test_images, data.test_labels, shuffle=False, subset=test_subset, **common)
    return train, test, data.classes

"""Batches on the device: Fashion-MNIST kept as uint8 where it trains, normalised and resized per batch."""

from __future__ import annotations

import copy
import hashlib
import math
from pathlib import Path
from typing import Iterator, NamedTuple, Optional, Union

import torch
import torch.nn.functional as F

from .._checks import check_bool, check_int
from ..device import parse_device
from ..distributed import Shard
from .augment import centre_crop, crop_batch, draw_patches
from .fashion_mnist import load_fashion_mnist, normalize


def _epoch_seed(seed: int, epoch: int) -> int:
    """One well-mixed 56-bit seed per (seed, epoch), so nearby seeds and epochs give unrelated orders."""
    return int.from_bytes(hashlib.sha256(f"{seed}/{epoch}".encode()).digest()[:7], "little")


def _balanced_subset(labels: torch.Tensor, n: int, seed: int, salt: int = -1) -> torch.Tensor:
    """`n` indices, as equal per class as the data allow (counts differ by at most one), in dataset order."""
    g = torch.Generator().manual_seed(_epoch_seed(seed, salt))
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


def _crop_settings(size: int, resize: Optional[int], augment: bool) -> tuple[int, Optional[int], bool]:
    """(size, resize, augment) checked: patches of `size` fit inside the `resize`d image."""
    # 1024 is 4x the paper's 256: larger sizes only exhaust memory.
    check_int("size", size, 1, 1024)
    if resize is not None:
        check_int("resize", resize, size, 1024, hint=f" (patches of size={size} are cut from the resized image)")
    return size, resize, check_bool("augment", augment)


class DeviceLoader:
    """Batches of normalised, resized images made on `device` from a uint8 copy kept there.

    Yields (images float32 (B, 1, size, size), labels int64 (B,)). The order of an epoch depends only on
    (seed, epoch): call `set_epoch(e)` before iterating; iterating does not advance the epoch, so a
    resumed run sees exactly the batches of an uninterrupted one. `subset=n` keeps a fixed, seeded,
    class-balanced sample of n images (per-class counts differ by at most one). Under torchrun, `shard`
    makes each process yield only its share of every global batch (items rank, rank + world, ...), cut
    from the one seeded order all processes share; `len()` and `num_images` stay global.

    Section 4.1's augmentation: with `resize`, images are resized to resize x resize and a size x size patch
    is cut from them, at random and mirrored half the time with `augment=True` (training), else the centre
    patch. The patches depend only on (seed, epoch) and are drawn after the order, so a loader with and one
    without augmentation see the same images in the same order.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 128, size: int = 224,
                 shuffle: bool = False, seed: int = 0, device: Union[str, torch.device] = "cpu",
                 subset: Optional[int] = None, drop_last: bool = False, channels_last: bool = False,
                 shard: Shard = Shard(), resize: Optional[int] = None, augment: bool = False) -> None:
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
        self.size, self.resize, self.augment = _crop_settings(size, resize, augment)
        if subset is not None:
            check_int("subset", subset, 1)
            if subset > len(images):
                raise ValueError(f"subset={subset} is more than the {len(images)} images available: "
                                 f"use at most {len(images)}, or subset=None for all of them")
        if drop_last and (subset or len(images)) < self.batch_size:
            raise ValueError(f"drop_last=True with batch_size={self.batch_size} and only {subset or len(images)} "
                             f"images gives no batches: lower batch_size or set drop_last=False")
        self.device = parse_device(device)
        if not isinstance(shard, Shard):
            raise ValueError(f"shard={shard!r} must be an alexnet_lib.distributed.Shard(rank, world)")
        self.shuffle, self.seed, self.drop_last, self.channels_last = shuffle, seed, drop_last, channels_last
        self.shard = shard
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

    def with_settings(self, **settings: object) -> "DeviceLoader":
        """The same images (shared, not copied) batched with other `size`, `resize` or `augment` settings."""
        unknown = set(settings) - {"size", "resize", "augment"}
        if unknown:
            raise ValueError(f"with_settings changes size, resize and augment only, not {sorted(unknown)}")
        new = copy.copy(self)
        new.size, new.resize, new.augment = _crop_settings(settings.get("size", self.size),
                                                           settings.get("resize", self.resize),
                                                           settings.get("augment", self.augment))
        return new

    def _transform(self, x: torch.Tensor, patches: Optional[tuple[torch.Tensor, ...]] = None) -> torch.Tensor:
        # Normalise at 28x28 before resizing: bilinear interpolation is linear, and 64x fewer pixels.
        x = normalize(x)
        x = x.unsqueeze(1)
        side = self.resize or self.size
        if x.shape[-2:] != (side, side):
            x = F.interpolate(x, size=(side, side), mode="bilinear", align_corners=False, antialias=False)
        if patches is not None:
            x = crop_batch(x, self.size, *patches, check=False)  # draw_patches keeps them in range
        elif side != self.size:
            x = centre_crop(x, self.size)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    def global_batch(self, i: int) -> int:
        """How many images batch `i` holds across all processes (the last one may be short)."""
        return min(self.batch_size, self.num_images - i * self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Yield (images, labels) batches of the current epoch (this process's share of each, under torchrun)."""
        rank, world = self.shard.rank, self.shard.world
        # A CPU generator gives the same order and patches on every device and in every process.
        g = torch.Generator().manual_seed(_epoch_seed(self.seed, self.epoch))
        if self.shuffle:
            order = torch.randperm(self.num_images, generator=g).to(self.device)
        elif world > 1:
            order = torch.arange(self.num_images, device=self.device)
        patches = None
        if self.augment:  # one patch per position in the epoch's order, drawn after the order
            patches = [t.to(self.device) for t in draw_patches(self.num_images, self.resize or self.size, self.size, g)]
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            stop = min(start + self.batch_size, self.num_images)
            if world == 1 and not self.shuffle:
                x, y = self.images[start:stop], self.labels[start:stop]
            else:
                idx = order[start + rank:stop:world]
                x, y = self.images[idx], self.labels[idx]
            mine = None if patches is None else tuple(t[start + rank:stop:world] for t in patches)
            yield self._transform(x, mine), y

    def __repr__(self) -> str:
        return (f"DeviceLoader({self.num_images} images, batch_size={self.batch_size}, size={self.size}, "
                + (f"resize={self.resize}, " if self.resize else "") + ("augment=True, " if self.augment else "")
                + f"shuffle={self.shuffle}, seed={self.seed}, epoch={self.epoch}, device={self.device}"
                + (f", shard={self.shard.rank}/{self.shard.world})" if self.shard.world > 1 else ")"))


def fashion_mnist_loaders(batch_size: int = 128, size: int = 224, device: Union[str, torch.device] = "cpu",
                          train_subset: Optional[int] = None, test_subset: Optional[int] = None, seed: int = 0,
                          root: Union[str, Path, None] = None, channels_last: bool = False
                          ) -> tuple[DeviceLoader, DeviceLoader, tuple[str, ...]]:
    """Train (shuffled) and test (in order) DeviceLoaders on Fashion-MNIST, and the class names."""
    s = fashion_mnist_splits(batch_size, size, device, 0, train_subset, test_subset, seed, root, channels_last)
    return s.train, s.test, s.classes


#: The validation split is carved with this seed whatever the run's seed, so every seed and every arm of
#: an experiment is judged on the same images.
VALIDATION_SEED = 0


class Splits(NamedTuple):
    """Training, validation (carved from the training set; None if not asked for) and test loaders."""

    train: DeviceLoader
    val: Optional[DeviceLoader]
    test: DeviceLoader
    classes: tuple[str, ...]


def validation_indices(labels: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Split the training set: (indices kept for training, `n` class-balanced validation indices), disjoint."""
    check_int("validation", n, 1, len(labels) - 1, hint=" (it is carved from the training set)")
    val = _balanced_subset(labels, n, VALIDATION_SEED, salt=-2)
    keep = torch.ones(len(labels), dtype=torch.bool)
    keep[val] = False
    return keep.nonzero().squeeze(1), val


def fashion_mnist_splits(batch_size: int = 128, size: int = 224, device: Union[str, torch.device] = "cpu",
                         validation: int = 0, train_subset: Optional[int] = None, test_subset: Optional[int] = None,
                         seed: int = 0, root: Union[str, Path, None] = None, channels_last: bool = False,
                         shard: Shard = Shard()) -> Splits:
    """Fashion-MNIST as training, validation (`validation` images held out of training) and test loaders.

    Anything a run tunes (the `paper` recipe's plateau, a learning rate) reads the validation split, never
    the test set. `train_subset` is then drawn from the images left for training.
    """
    data = load_fashion_mnist(root)
    common = dict(batch_size=batch_size, size=size, device=device, seed=seed, channels_last=channels_last,
                  shard=shard)
    images, labels, val = data.train_images, data.train_labels, None
    if validation:
        keep, held = validation_indices(labels, validation)
        val = DeviceLoader(images[held], labels[held], shuffle=False, **common)
        images, labels = images[keep], labels[keep]
    if train_subset is not None and train_subset > len(images):
        raise ValueError(f"train_subset={train_subset} (train --images) is more than the {len(images):,} training "
                         f"images left after holding out {validation:,} for validation; ask for at most "
                         f"{len(images):,}")
    train = DeviceLoader(images, labels, shuffle=True, subset=train_subset, **common)
    test = DeviceLoader(data.test_images, data.test_labels, shuffle=False, subset=test_subset, **common)
    return Splits(train, val, test, data.classes)

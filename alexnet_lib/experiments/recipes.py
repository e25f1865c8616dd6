"""alexnet_d2l at 224x224 trained with each recipe (paper, d2l, fast) on the same images and budget."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Sequence, Union

import torch

from .._checks import check_int
from ..loader import fashion_mnist_loaders
from ..devices import choose_precision
from ..model import alexnet_d2l
from ..recipes import get_recipe
from ..train import fit
from .schema import make_record, save

NAME = "recipes"


def run(out: Union[str, Path, None] = None, recipes: Sequence[str] = ("paper", "d2l", "fast"), epochs: int = 2,
        train_subset: int = 4800, test_subset: int = 2000, batch_size: int = 128, size: int = 224, seed: int = 0,
        lr: Union[float, None] = None, root: Union[str, Path, None] = None, progress: bool = True) -> dict[str, Any]:
    """Each recipe from the same seed on the same images; the record, written to `out` if given."""
    chosen = [get_recipe(name, lr=lr) for name in recipes]  # unknown names fail before any training
    start = time.perf_counter()
    precision = choose_precision(torch.device("cpu"))
    train, test, _ = fashion_mnist_loaders(batch_size=batch_size, size=size, device="cpu",
                                           train_subset=check_int("train_subset", train_subset, 1),
                                           test_subset=check_int("test_subset", test_subset, 1), seed=seed,
                                           root=root, channels_last=precision.channels_last)
    runs = []
    for recipe in chosen:
        history = fit(alexnet_d2l(), train, test, epochs=check_int("epochs", epochs, 1, 1000), recipe=recipe,
                      device="cpu", seed=seed, progress=progress)
        runs.append({"recipe": recipe.name, "description": recipe.description, "lr": recipe.lr,
                     "epochs": history.epochs})
    settings = {"model": "alexnet_d2l()", "size": size, "train_images": train.num_images,
                "test_images": test.num_images, "batch_size": batch_size, "epochs": epochs, "seed": seed,
                "precision": precision.label, "recipes": list(recipes)}
    question = "Which recipe trains AlexNet to the highest test accuracy on the same small budget?"
    return save(make_record(NAME, question, settings, runs, "cpu", start), out)

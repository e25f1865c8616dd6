"""Looking inside a trained AlexNet: its mistakes, its conv1 filters, its neighbours in feature space."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Optional, Union

import torch
from torch import nn

from ..data.fashion_mnist import load_fashion_mnist, normalize
from ..data.loader import DeviceLoader
from ..engine.metrics import accuracy, confusion_matrix
from ..engine.precision import autocast, choose_precision
from ..engine.records import load_checkpoint, load_record, provenance
from ..files import write_checked_json
from ..net.model import AlexNet, alexnet_d2l

SCHEMA = "alexnet_lib.analysis/1"


def _check_alexnet(model: nn.Module) -> None:
    if not (hasattr(model, "features") and hasattr(model, "classifier")
            and isinstance(model.classifier, nn.Sequential) and isinstance(model.classifier[-1], nn.Linear)):
        raise ValueError("model must be an AlexNet-style nn.Module with `features` and a `classifier` "
                         "nn.Sequential ending in nn.Linear (e.g. alexnet_lib.net.model.alexnet_d2l())")


def _check_images(images: object) -> None:
    if not isinstance(images, torch.Tensor) or images.dtype != torch.uint8 or images.dim() != 3:
        raise ValueError(f"images must be uint8 of shape (N, H, W) as load_fashion_mnist() gives them; "
                         f"got {getattr(images, 'dtype', type(images).__name__)} {tuple(getattr(images, 'shape', ()))}")


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor, size: int = 224, batch_size: int = 256,
            precision: Optional[str] = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Predicted classes and last-hidden-layer features (N, 4096) of uint8 images (N, 28, 28), in eval mode."""
    _check_alexnet(model)
    _check_images(images)
    device = next(model.parameters()).device
    numerics = choose_precision(device, precision)
    labels = torch.zeros(len(images), dtype=torch.long)
    loader = DeviceLoader(images, labels, batch_size=batch_size, size=size, shuffle=False, device=device,
                          channels_last=numerics.channels_last)
    was_training = model.training
    model.eval()
    preds, feats = [], []
    try:
        for x, _ in loader:
            with autocast(device, numerics):
                h = model.features(x)
                if getattr(model, "avgpool", None) is not None:
                    h = model.avgpool(h)
                hidden = model.classifier[:-1](torch.flatten(h, 1))
                logits = model.classifier[-1](hidden)
            preds.append(logits.argmax(1).cpu())
            feats.append(hidden.float().cpu())
    finally:
        model.train(was_training)
    return torch.cat(preds), torch.cat(feats)


def nearest_neighbours(queries: torch.Tensor, pool: torch.Tensor, k: int = 6) -> torch.Tensor:
    """Indices (Q, k) of the k nearest rows of `pool` to each query row, by Euclidean distance."""
    if (not isinstance(queries, torch.Tensor) or not isinstance(pool, torch.Tensor) or queries.dim() != 2
            or pool.dim() != 2 or queries.shape[1] != pool.shape[1]):
        raise ValueError(f"queries {tuple(getattr(queries, 'shape', ()))} and pool {tuple(getattr(pool, 'shape', ()))} "
                         f"must be 2-D tensors with the same "
                         f"number of columns (feature vectors)")
    if not 1 <= k <= len(pool):
        raise ValueError(f"k={k} must be between 1 and the pool size {len(pool)}")
    return torch.cdist(queries.double(), pool.double()).topk(k, largest=False).indices


def pixel_vectors(images: torch.Tensor) -> torch.Tensor:
    """uint8 images (N, H, W) as rows of normalised pixels (N, H*W): the baseline "representation" of no network."""
    _check_images(images)
    return normalize(images).flatten(1)


def same_class_share(query_labels: torch.Tensor, pool_labels: torch.Tensor, indices: torch.Tensor) -> float:
    """The share of neighbours (`indices` (Q, k) into the pool) whose class is their query's class."""
    if indices.dim() != 2 or len(indices) != len(query_labels):
        raise ValueError(f"indices {tuple(indices.shape)} must have one row per query ({len(query_labels)})")
    return float((pool_labels[indices] == query_labels.view(-1, 1)).double().mean())


def model_from_checkpoint(path: Union[str, Path]) -> AlexNet:
    """The trained `alexnet_d2l` stored in a checkpoint written by `train()` (the CLI's `train` command)."""
    state = load_checkpoint(path)
    name = state["history"].get("config", {}).get("model")
    if name != "alexnet_d2l":
        raise ValueError(f"checkpoint {path} holds a {name!r} model; rebuild that model yourself and "
                         f"load_state_dict(load_checkpoint(path)['model'])")
    model = alexnet_d2l()
    model.load_state_dict(state["model"])
    return model


def analyse(model: nn.Module, history: Optional[dict[str, Any]] = None, pool_size: int = 2000,
            queries: int = 6, neighbours: int = 6, mistakes: int = 24, precision: Optional[str] = None,
            root: Union[str, Path, None] = None, test_images: Optional[int] = None) -> dict[str, Any]:
    """Everything the training chapter shows about a trained model, as a small JSON-ready record.

    Predictions on the whole test set give the confusion matrix and a sample of mistakes (test indices);
    last-hidden-layer features of the first `queries` test images are matched against the first `pool_size`
    training images (the paper's Figure 4, right), and for every test image the share of its neighbours of
    its own class is measured in feature space and in pixel space; conv1's weights are kept for the filter
    grid (Figure 3).
    """
    data = load_fashion_mnist(root)
    t0 = time.perf_counter()
    test_x, test_y = data.test_images[:test_images], data.test_labels[:test_images]  # None keeps them all
    preds, test_feats = predict(model, test_x, precision=precision)
    _, pool_feats = predict(model, data.train_images[:pool_size], precision=precision)
    confusion = confusion_matrix(test_y, preds)
    wrong = (preds != test_y).nonzero().flatten()[:mistakes]
    conv1 = next(m for m in model.modules() if isinstance(m, nn.Conv2d))
    device = next(model.parameters()).device
    pool_x, pool_y = data.train_images[:pool_size], data.train_labels[:pool_size]
    # Every test image as a query, in feature space and (the baseline a network must beat) in pixel space.
    by_features = nearest_neighbours(test_feats, pool_feats, neighbours)
    agreement = {"queries": len(test_y), "k": neighbours, "pool": pool_size,
                 "features": same_class_share(test_y, pool_y, by_features),
                 "pixels": same_class_share(test_y, pool_y, nearest_neighbours(pixel_vectors(test_x),
                                                                               pixel_vectors(pool_x), neighbours))}
    return {
        "schema": SCHEMA,
        "history": {"config": (history or {}).get("config", {}), "provenance": (history or {}).get("provenance", {})},
        "test_accuracy": accuracy(confusion),
        "confusion": confusion.tolist(),
        "mistakes": [{"index": int(i), "true": int(test_y[i]), "predicted": int(preds[i])} for i in wrong],
        "neighbours": {"queries": list(range(queries)), "pool": f"the first {pool_size} training images",
                       "indices": by_features[:queries].tolist(),
                       "agreement": agreement},
        "conv1_weight": [[round(float(v), 5) for v in w.flatten()] for w in conv1.weight.detach().float().cpu()],
        "conv1_shape": list(conv1.weight.shape),
        "provenance": {**provenance(device), "seconds": round(time.perf_counter() - t0, 1)},
    }


def save_analysis(record: dict[str, Any], path: Union[str, Path]) -> Path:
    """Write an analysis record as compact JSON with the checksum of its content, atomically (load_record checks it)."""
    return write_checked_json(path, record, indent=None)


def load_analysis(record_or_name: Union[str, dict[str, Any]]) -> dict[str, Any]:
    """A recorded analysis by run name (e.g. 'cpu_fast_analysis'), checked, with conv1 as a tensor."""
    if not isinstance(record_or_name, (str, dict)):
        raise ValueError(f"record_or_name={record_or_name!r} must be a run name such as 'cpu_fast_analysis' or "
                         f"the dict that analyse() returns")
    record = load_record(record_or_name) if isinstance(record_or_name, str) else dict(record_or_name)
    if record.get("schema") != SCHEMA:
        raise ValueError(f"{record_or_name!r} is not an analysis record (schema {record.get('schema')!r}); "
                         f"write one with alexnet_lib.toolkits.analysis.analyse()")
    record["conv1"] = torch.tensor(record["conv1_weight"]).view(record["conv1_shape"])
    record["confusion"] = torch.tensor(record["confusion"])
    return record

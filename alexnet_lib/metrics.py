"""Classification metrics shared by training and analysis: the confusion matrix and what it tells."""

from __future__ import annotations

import torch


def confusion_matrix(labels: torch.Tensor, preds: torch.Tensor, num_classes: int = 10,
                     check: bool = True) -> torch.Tensor:
    """Counts (true class rows, predicted class columns), computed on the tensors' device.

    `check=False` skips the range check (which reads the tensors on the host): for callers whose labels
    and predictions are known to be class indices, such as `evaluate` on a model with `num_classes` outputs.
    """
    if not isinstance(labels, torch.Tensor) or not isinstance(preds, torch.Tensor) or labels.shape != preds.shape:
        raise ValueError(f"labels and preds must be tensors of the same shape; got "
                         f"{getattr(labels, 'shape', type(labels).__name__)} and "
                         f"{getattr(preds, 'shape', type(preds).__name__)}")
    labels, preds = labels.flatten().long(), preds.flatten().long()
    if check and len(labels) and (min(int(labels.min()), int(preds.min())) < 0
                                  or max(int(labels.max()), int(preds.max())) >= num_classes):
        raise ValueError(f"labels and preds must be class indices from 0 to {num_classes - 1}")
    return torch.bincount(labels * num_classes + preds, minlength=num_classes ** 2).view(num_classes, num_classes)


def accuracy(confusion: torch.Tensor) -> float:
    """The share of the diagonal: correct predictions over all predictions."""
    total = int(confusion.sum())
    if total == 0:
        raise ValueError("the confusion matrix is empty: evaluate at least one image")
    return float(confusion.diag().sum()) / total


def most_confused(confusion: torch.Tensor, k: int = 5) -> list[tuple[int, int, int]]:
    """The (at most) k most frequent mistakes as (true, predicted, count); each direction counts separately."""
    c = torch.as_tensor(confusion).clone()
    c.fill_diagonal_(0)
    values, idx = c.flatten().topk(min(k, c.numel()))
    n = c.shape[1]
    return [(int(i) // n, int(i) % n, int(v)) for v, i in zip(values, idx) if v > 0]


def per_class_accuracy(confusion: torch.Tensor) -> torch.Tensor:
    """Per true class (row), the share predicted correctly, as float64; 0 for a class with no images."""
    try:
        c = torch.as_tensor(confusion)
    except (TypeError, ValueError, RuntimeError) as e:
        raise ValueError(f"confusion must be a square table of counts, rows of equal length ({e})") from None
    if c.dim() != 2 or c.shape[0] != c.shape[1]:
        raise ValueError(f"a confusion matrix is square, got shape {tuple(c.shape)}")
    rows = c.sum(1).double()
    return torch.where(rows > 0, c.diag().double() / rows.clamp_min(1), torch.zeros_like(rows))

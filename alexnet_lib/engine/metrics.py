"""Classification metrics shared by training and analysis: the confusion matrix and what it tells, top-k
accuracy (the paper's top-1 and top-5 error are one minus it), and the ensemble's averaged probabilities."""

from __future__ import annotations

import torch

from .._checks import check_int


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


def _scores_and_labels(scores: object, labels: object) -> tuple[torch.Tensor, torch.Tensor]:
    """(scores as float64 (N, C), labels as int64 (N,)) checked against each other, else a ValueError."""
    if not isinstance(scores, torch.Tensor) or scores.dim() != 2 or not scores.is_floating_point():
        got = (f"a {scores.dtype} tensor of shape {tuple(scores.shape)}" if isinstance(scores, torch.Tensor)
               else type(scores).__name__)
        raise ValueError(f"scores must be a float tensor of shape (images, classes), logits or probabilities; "
                         f"got {got}")
    n, classes = scores.shape
    if n == 0 or classes == 0:
        raise ValueError(f"scores has shape {tuple(scores.shape)}: give at least one image and one class")
    if (not isinstance(labels, torch.Tensor) or labels.dim() != 1 or labels.is_floating_point()
            or labels.dtype == torch.bool or labels.is_complex()):
        got = (f"a {labels.dtype} tensor of shape {tuple(labels.shape)}" if isinstance(labels, torch.Tensor)
               else type(labels).__name__)
        raise ValueError(f"labels must be a 1-D integer tensor of class indices, one per image; got {got}")
    if len(labels) != n:
        raise ValueError(f"scores has {n} rows (images) but labels has {len(labels)} entries: give one label per row")
    scores = scores.detach().to("cpu", torch.float64)
    labels = labels.detach().to("cpu", torch.int64)
    if not torch.isfinite(scores).all():
        raise ValueError("scores contain NaN or infinite values: a diverged model has no ranking of its classes")
    if int(labels.min()) < 0 or int(labels.max()) >= classes:
        raise ValueError(f"labels must be class indices from 0 to {classes - 1} (scores has {classes} columns)")
    return scores, labels


def top_k_hits(scores: torch.Tensor, labels: torch.Tensor, k: int) -> torch.Tensor:
    """Per image, the credit (0 to 1) for the true class being among the `k` highest scores.

    A class with a strictly higher score always ranks above the true class. Classes tied with it share
    their places: if r classes score higher and t others tie, the true class is equally likely to sit at
    any of the places r+1 ... r+t+1, so the credit is the share of those places within the top k. Without
    ties (the usual case for real-valued logits) the credit is exactly 1 or 0.
    """
    scores, labels = _scores_and_labels(scores, labels)
    classes = scores.shape[1]
    check_int("k", k, 1, hint=" (the number of guesses that count: 1 for top-1, 5 for top-5)")
    if k > classes:
        raise ValueError(f"k={k} is more than the {classes} classes the scores rank: top-{k} is not defined; "
                         f"use k <= {classes} (k = {classes} is always right)")
    true = scores.gather(1, labels[:, None])
    higher = (scores > true).sum(1)
    tied = (scores == true).sum(1) - 1  # the true class ties with itself
    # In float64: a share such as 1/3 must not carry float32's rounding into the mean.
    return (k - higher).clamp(min=0).clamp(max=tied + 1).double() / (tied + 1).double()


def top_k_accuracy(scores: torch.Tensor, labels: torch.Tensor, k: int) -> float:
    """The share of images whose true class is among the `k` highest scores (logits or probabilities).

    Softmax keeps the order of a row, so logits and their probabilities give the same answer. Top-1 error
    and top-5 error, as the paper reports them, are `1 - top_k_accuracy(scores, labels, 1)` and `(..., 5)`.
    Ties share their places (see `top_k_hits`), so a model that scores every class alike gets k / classes,
    the chance level.
    """
    return float(top_k_hits(scores, labels, k).mean())


def average_probabilities(logits: torch.Tensor) -> torch.Tensor:
    """The ensemble's class probabilities: each member's softmax, then the mean over members.

    `logits` has shape (members, images, classes); the result, (images, classes), is what the paper
    averages ("averaging the predictions" of its CNNs). It is not the softmax of the mean logits: a member
    that is very sure of itself counts for no more than probability 1 in the mean.
    """
    if not isinstance(logits, torch.Tensor) or logits.dim() != 3 or not logits.is_floating_point():
        got = (f"a {logits.dtype} tensor of shape {tuple(logits.shape)}" if isinstance(logits, torch.Tensor)
               else type(logits).__name__)
        raise ValueError(f"logits must be a float tensor of shape (members, images, classes); got {got}. Stack "
                         f"the members' outputs with torch.stack([m1, m2, ...])")
    if 0 in logits.shape:
        raise ValueError(f"logits has shape {tuple(logits.shape)}: give at least one member, image and class")
    if not torch.isfinite(logits).all():
        raise ValueError("logits contain NaN or infinite values: a member diverged; leave it out of the ensemble")
    # float32 at least (bf16 logits would round the probabilities), float64 kept when given.
    return logits.to(torch.promote_types(logits.dtype, torch.float32)).softmax(dim=2).mean(dim=0)

"""The test sample's share of an effect's uncertainty: which test images a run got right, kept in its record,
and the standard error a paired effect owes to the choice of test images alone.

Every seed of an experiment is tested on the same test images, so the t-interval over seeds measures how
much an effect varies from one training run to the next, not how much it would change on other images
drawn the same way. That second part comes from the images: per image, the difference between the two
arms' hits (1 right, 0 wrong), averaged over seeds; its standard error over the images is the test
sample's error of the mean effect.
"""

from __future__ import annotations

import base64
import math
from typing import Optional, Sequence

import numpy as np
import torch


def encode_hits(hits: torch.Tensor) -> str:
    """Right/wrong per image as text: one bit each, base64 (10,000 test images take 1,668 characters)."""
    return base64.b64encode(np.packbits(hits.to(torch.bool).numpy()).tobytes()).decode("ascii")


def decode_hits(text: str, images: Optional[int] = None) -> torch.Tensor:
    """The 0/1 float tensor of `images` hits that `encode_hits` stored (None: every stored bit, for a count that is
    a multiple of 8 such as the whole test set's 10,000); a ValueError if the text does not hold them."""
    try:
        raw = np.frombuffer(base64.b64decode(text.encode("ascii"), validate=True), dtype=np.uint8)
    except (ValueError, AttributeError) as e:
        raise ValueError(f"stored hits are not base64 text ({e}); re-record the experiment") from None
    images = len(raw) * 8 if images is None else images
    if len(raw) != (images + 7) // 8:
        raise ValueError(f"stored hits hold {len(raw) * 8} bits, expected {images} images; re-record the experiment")
    return torch.from_numpy(np.unpackbits(raw)[:images].astype(np.float32))


def sample_error_of_mean(hits: Sequence[torch.Tensor]) -> float:
    """The test sample's standard error of one arm's mean accuracy over seeds (the list), its runs paired by image."""
    if not hits:
        raise ValueError("give at least one seed's hits")
    per_image = torch.stack(list(hits)).double().mean(0)
    if per_image.numel() < 2:
        raise ValueError("a test sample's error needs at least two test images")
    return float(per_image.std() / math.sqrt(per_image.numel()))


def paired_sample_error(a: Sequence[torch.Tensor], b: Sequence[torch.Tensor]) -> float:
    """The test sample's standard error of mean(a) - mean(b), paired by seed (the lists) and by image (the tensors)."""
    if len(a) != len(b) or not a:
        raise ValueError(f"give the same, non-zero number of seeds per arm (got {len(a)} and {len(b)})")
    return sample_error_of_mean([x.double() - y.double() for x, y in zip(a, b)])

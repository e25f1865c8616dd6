"""Section 4.1's data augmentation and its ten test-time patches, on whole batches on the device.

Training: each image is resized to 256x256 and a random 224x224 patch, flipped left-right half the time, is
what the network sees. Testing: the four corner patches and the centre patch, and their mirror images (ten
in all), and the average of the network's softmax outputs over them. Colour: PCA of the RGB pixel values,
and multiples of the principal components added to every pixel of an image.
"""

from __future__ import annotations

from typing import Optional

import torch
from torch import nn

from .._checks import check_int, check_number

#: The paper's sizes: images resized to 256x256, patches of 224x224 (section 4.1).
PAPER_RESIZE, PAPER_CROP = 256, 224
#: The standard deviation of the Gaussian multipliers of the principal components (section 4.1).
PAPER_ALPHA_STD = 0.1


def resize_for(size: int) -> int:
    """The side to resize to before cutting `size` patches, in the paper's proportion 256 : 224."""
    check_int("size", size, 1, 1024)
    return round(size * PAPER_RESIZE / PAPER_CROP)


def distinct_patches(resize: int = PAPER_RESIZE, size: int = PAPER_CROP, flips: bool = True) -> int:
    """How many different training patches one image yields: every position, times two with flips."""
    check_int("size", size, 1)
    check_int("resize", resize, size, hint=" (a patch is cut from inside the resized image)")
    return (resize - size + 1) ** 2 * (2 if flips else 1)


def _check_batch(x: torch.Tensor, size: int) -> tuple[int, int]:
    if not isinstance(x, torch.Tensor) or x.dim() != 4:
        got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"x must be a batch of images of shape (N, C, H, W), got {got}")
    h, w = x.shape[-2:]
    check_int("size", size, 1, min(h, w), hint=f" (the patch must fit inside the {h}x{w} images)")
    return h, w


def crop_batch(x: torch.Tensor, size: int, tops: torch.Tensor, lefts: torch.Tensor,
               flips: Optional[torch.Tensor] = None, check: bool = True) -> torch.Tensor:
    """Per image, the `size` x `size` patch at (tops[i], lefts[i]), mirrored where flips[i]: one gather, no loop.

    `check=False` skips the range check of the corners (it reads them on the host, a GPU sync per batch): for
    the loader, whose corners `draw_patches` made in range.
    """
    h, w = _check_batch(x, size)
    n = x.shape[0]
    for name, t in (("tops", tops), ("lefts", lefts)) + ((("flips", flips),) if flips is not None else ()):
        if not isinstance(t, torch.Tensor) or t.shape != (n,):
            raise ValueError(f"{name} must be a tensor of shape ({n},), one entry per image")
    if check and n and (int(tops.min()) < 0 or int(lefts.min()) < 0 or int(tops.max()) > h - size
              or int(lefts.max()) > w - size):
        raise ValueError(f"patch corners must lie in [0, {h - size}] x [0, {w - size}] for {size}x{size} patches "
                         f"of {h}x{w} images")
    r = torch.arange(size, device=x.device)
    rows = tops.to(x.device)[:, None] + r
    cols = lefts.to(x.device)[:, None] + r
    if flips is not None:  # a mirrored patch reads its columns right to left
        cols = torch.where(flips.to(x.device)[:, None], cols.flip(1), cols)
    b = torch.arange(n, device=x.device)[:, None, None]
    # Advanced indices around a slice put the indexed dimensions first: (N, size, size, C).
    return x[b, :, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2).contiguous()


def draw_patches(n: int, resize: int, size: int, generator: torch.Generator) -> tuple[torch.Tensor, ...]:
    """`n` random patch corners (tops, lefts) in [0, resize - size] and mirror flags, from `generator`."""
    span = resize - size + 1
    tops = torch.randint(0, span, (n,), generator=generator)
    lefts = torch.randint(0, span, (n,), generator=generator)
    flips = torch.randint(0, 2, (n,), generator=generator).bool()
    return tops, lefts, flips


def centre_crop(x: torch.Tensor, size: int) -> torch.Tensor:
    """The centre `size` x `size` patch of every image (rounding the offset down, as the paper's centre patch)."""
    h, w = _check_batch(x, size)
    top, left = (h - size) // 2, (w - size) // 2
    return x[..., top:top + size, left:left + size]


def five_patch_corners(resize: int = PAPER_RESIZE, size: int = PAPER_CROP) -> list[tuple[int, int]]:
    """(top, left) of the paper's five test patches: the four corners, then the centre."""
    check_int("size", size, 1)
    check_int("resize", resize, size, hint=" (a patch is cut from inside the resized image)")
    far, mid = resize - size, (resize - size) // 2
    return [(0, 0), (0, far), (far, 0), (far, far), (mid, mid)]


def ten_patches(x: torch.Tensor, size: int) -> torch.Tensor:
    """The ten test patches of every image, shape (10, N, C, size, size): five corners, then their mirrors."""
    _check_batch(x, size)
    if x.shape[-2] != x.shape[-1]:
        raise ValueError(f"ten_patches takes square images, got {x.shape[-2]}x{x.shape[-1]}")
    five = [x[..., t:t + size, l:l + size] for t, l in five_patch_corners(x.shape[-1], size)]
    return torch.stack(five + [p.flip(-1) for p in five])


class TenPatches(nn.Module):
    """Wraps a network to predict as the paper tests: log of the softmax averaged over the ten patches."""

    def __init__(self, model: nn.Module, size: int) -> None:
        super().__init__()
        self.model = model
        self.size = check_int("size", size, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, R, R) images at the resized side R -> (N, classes) log-probabilities of the averaged softmax."""
        patches = ten_patches(x, self.size)
        n = x.shape[0]
        # One forward pass over all 10N patches; the average is taken on probabilities, as the paper says.
        probs = self.model(patches.reshape(10 * n, *patches.shape[2:])).float().softmax(-1)
        return probs.view(10, n, -1).mean(0).log()


# ----------------------------------------------------------------------------- colour (PCA) augmentation


def colour_pca(pixels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Eigenvalues (largest first) and eigenvectors (columns) of the covariance of pixel values (..., channels)."""
    if not isinstance(pixels, torch.Tensor) or pixels.dim() < 2 or pixels.shape[-1] < 1 or pixels[..., 0].numel() < 2:
        got = tuple(pixels.shape) if isinstance(pixels, torch.Tensor) else type(pixels).__name__
        raise ValueError(f"pixels must be a tensor (..., channels) of at least two pixels, e.g. an RGB image "
                         f"(H, W, 3); got {got}")
    p = pixels.reshape(-1, pixels.shape[-1]).double()
    p = p - p.mean(0)
    values, vectors = torch.linalg.eigh(p.T @ p / (len(p) - 1))
    return values.flip(0), vectors.flip(1)


def pca_colour_shift(values: torch.Tensor, vectors: torch.Tensor, alphas: torch.Tensor) -> torch.Tensor:
    """The offset the paper adds to every pixel of one image: [p1 p2 p3] [a1 l1, a2 l2, a3 l3]^T."""
    c = values.shape[0] if isinstance(values, torch.Tensor) and values.dim() == 1 else None
    if c is None or vectors.shape != (c, c) or alphas.shape != (c,):
        raise ValueError(f"values, vectors and alphas must have shapes (C,), (C, C), (C,) as colour_pca gives; got "
                         f"{tuple(getattr(values, 'shape', ()))}, {tuple(vectors.shape)}, {tuple(alphas.shape)}")
    return vectors.double() @ (alphas.double() * values.double())


def greyscale_shift_std(pixel_std: float, alpha_std: float = PAPER_ALPHA_STD) -> float:
    """With one channel the PCA is the pixel variance: the shift is a brightness change of std alpha_std * var."""
    check_number("pixel_std", pixel_std, 0, hint=" (a standard deviation of pixel values)")
    check_number("alpha_std", alpha_std, 0)
    return alpha_std * pixel_std ** 2

"""Pictures of section 4.1's augmentation for the augmentation chapter, and an explorer of one image's patches.

`resized_image` gives a Fashion-MNIST image as the loader resizes it (before any patch is cut);
`plot_patch` shows where a patch sits and what the network sees, `plot_ten_patches` the ten test patches,
`plot_loader_patches` the patches the training loader really draws, and `plot_pca_colour` the colour
augmentation on matplotlib's sample photograph. `PatchExplorer` redraws a patch in the reader's browser as its
controls move (`alexnet_lib.book.live`); its `reference` cuts the same patches here.
"""

from __future__ import annotations

import base64
from typing import Any, Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .._checks import check_int
from ..data.augment import (
    PAPER_ALPHA_STD,
    PAPER_CROP,
    PAPER_RESIZE,
    colour_pca,
    crop_batch,
    five_patch_corners,
    pca_colour_shift,
    ten_patches,
)
from ..data.fashion_mnist import CLASSES, MEAN, STD, load_fashion_mnist
from ..data.loader import DeviceLoader
from ._figures import DPI, finish, no_ticks
from .live import Control, LiveExplorer

#: The views the explorer offers.
MODES = ("training patch", "ten test patches")


def resized_image(index: int = 0, resize: int = PAPER_RESIZE) -> torch.Tensor:
    """Test image `index` of Fashion-MNIST as the loader makes it before cutting patches: (1, resize, resize)."""
    data = load_fashion_mnist()
    check_int("index", index, 0, len(data.test_images) - 1, hint=" (a test image)")
    loader = DeviceLoader(data.test_images[index:index + 1], data.test_labels[index:index + 1], size=resize)
    return next(iter(loader))[0][0]


def _show(ax: plt.Axes, image: torch.Tensor, title: str = "") -> None:
    ax.imshow(image[0].numpy(), cmap="gray_r")  # dark garments on white, as the other chapters show them
    no_ticks(ax)
    if title:
        ax.set_title(title, fontsize=9)


def plot_patch(image: torch.Tensor, top: int, left: int, flip: bool = False, size: int = PAPER_CROP,
               title: str = "") -> Figure:
    """The resized image with the patch outlined (left) and the patch the network sees, mirrored if `flip` (right)."""
    patch = crop_batch(image[None], size, torch.tensor([top]), torch.tensor([left]), torch.tensor([flip]))[0]
    side = image.shape[-1]
    fig, (a, b) = plt.subplots(1, 2, figsize=(7, 3.6), dpi=DPI)
    _show(a, image, f"resized to {side}×{side}")
    a.add_patch(Rectangle((left - 0.5, top - 0.5), size, size, fill=False, edgecolor="tab:orange", linewidth=2))
    _show(b, patch, f"the {size}×{size} patch at row {top}, column {left}" + (", mirrored" if flip else ""))
    return finish(fig, title)


def plot_ten_patches(image: torch.Tensor, size: int = PAPER_CROP, title: str = "") -> Figure:
    """The ten test patches of one resized image: the four corners and the centre (top row), their mirrors (bottom)."""
    patches = ten_patches(image[None], size)[:, 0]
    names = ("top left", "top right", "bottom left", "bottom right", "centre")
    fig, axes = plt.subplots(2, 5, figsize=(10, 4.4), dpi=DPI)
    for i, ax in enumerate(axes.flat):
        _show(ax, patches[i], names[i % 5] + (", mirrored" if i >= 5 else ""))
    return finish(fig, title)


def plot_loader_patches(index: int = 0, epochs: int = 8, size: int = PAPER_CROP, resize: int = PAPER_RESIZE,
                        seed: int = 0, title: str = "") -> Figure:
    """What the training loader feeds the network from one image in `epochs` successive epochs."""
    data = load_fashion_mnist()
    check_int("index", index, 0, len(data.test_images) - 1, hint=" (a test image)")
    check_int("epochs", epochs, 1, 16)
    loader = DeviceLoader(data.test_images[index:index + 1], data.test_labels[index:index + 1], size=size,
                          resize=resize, augment=True, seed=seed)
    fig, axes = plt.subplots(1, epochs, figsize=(1.5 * epochs, 1.9), dpi=DPI)
    for epoch, ax in zip(range(epochs), [axes] if epochs == 1 else axes):
        loader.set_epoch(epoch)
        _show(ax, next(iter(loader))[0][0], f"epoch {epoch + 1}")
    return finish(fig, title)


def sample_photo() -> torch.Tensor:
    """The colour photograph matplotlib ships (Grace Hopper), as RGB floats on [0, 1], shape (H, W, 3)."""
    import matplotlib.cbook as cbook
    import matplotlib.image as mpimg

    path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    return torch.from_numpy(mpimg.imread(path).copy()).float() / 255


def plot_pca_colour(photo: torch.Tensor, alphas: Sequence[Sequence[float]], title: str = "") -> Figure:
    """The photo, then the photo with the paper's PCA offset for each row of `alphas` (clipped to [0, 1] to show)."""
    values, vectors = colour_pca(photo)
    fig, axes = plt.subplots(1, len(alphas) + 1, figsize=(2.2 * (len(alphas) + 1), 2.9), dpi=DPI)
    axes[0].imshow(photo.numpy())
    axes[0].set_title("original", fontsize=10)
    for ax, a in zip(axes[1:], alphas):
        shift = pca_colour_shift(values, vectors, torch.tensor(a, dtype=torch.float64)).float()
        ax.imshow((photo + shift).clamp(0, 1).numpy())
        ax.set_title("α = (" + ", ".join(f"{x:+.1f}" for x in a) + ")", fontsize=10)
    for ax in axes:
        no_ticks(ax)
    return finish(fig, title)


class PatchExplorer(LiveExplorer):
    """The test image, the patch's row and column, a mirror checkbox, and one training patch or the ten test patches,
    redrawn in the reader's browser from the image's 28×28 pixels (resized there as the loader resizes them)."""

    kind = "patch"
    images = 30  # test images offered: 30 × 784 bytes of pixels ride along in the page

    def __init__(self, index: int = 0, top: int = 16, left: int = 16, flip: bool = False,
                 mode: str = MODES[0]) -> None:
        far = PAPER_RESIZE - PAPER_CROP
        self.controls = (Control("mode", "show", "choice", options=MODES),
                         Control("index", "test image", "int", 0, self.images - 1),
                         Control("top", "patch row", "int", 0, far), Control("left", "patch column", "int", 0, far),
                         Control("flip", "mirror", "bool"))
        super().__init__(index=index, top=top, left=left, flip=flip, mode=mode)

    def data(self) -> dict[str, Any]:
        data = load_fashion_mnist()
        pixels = data.test_images[:self.images].to(torch.uint8).contiguous().numpy().tobytes()
        return {"pixels": base64.b64encode(pixels).decode("ascii"), "original": int(data.test_images.shape[-1]),
                "labels": data.test_labels[:self.images].tolist(), "classes": list(CLASSES), "mean": MEAN,
                "std": STD, "resize": PAPER_RESIZE, "crop": PAPER_CROP, "modes": list(MODES)}

    def reference(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Each patch shown: its corner, mirror, the sum of its pixels and five of them (corners, centre)."""
        image = resized_image(settings["index"])[None]
        if settings["mode"] == MODES[0]:
            corners = [(settings["top"], settings["left"], settings["flip"])]
            patches = crop_batch(image, PAPER_CROP, torch.tensor([settings["top"]]), torch.tensor([settings["left"]]),
                                 torch.tensor([settings["flip"]]))
        else:
            five = five_patch_corners(PAPER_RESIZE, PAPER_CROP)
            corners = [(t, l, flip) for flip in (False, True) for t, l in five]
            patches = ten_patches(image, PAPER_CROP)[:, 0]
        c, mid = PAPER_CROP - 1, PAPER_CROP // 2
        return {"patches": [{"top": t, "left": l, "flip": flip, "sum": float(p.double().sum()),
                             "corners": [float(p[0, y, x]) for y, x in ((0, 0), (0, c), (c, 0), (c, c), (mid, mid))]}
                            for (t, l, flip), p in zip(corners, patches)]}


__all__ = ["MODES", "PAPER_ALPHA_STD", "resized_image", "plot_patch", "plot_ten_patches", "plot_loader_patches",
           "sample_photo", "plot_pca_colour", "PatchExplorer"]

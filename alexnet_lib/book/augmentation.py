"""Pictures of section 4.1's augmentation for the augmentation chapter, and an explorer of one image's patches.

`resized_image` gives a Fashion-MNIST image as the loader resizes it (before any patch is cut);
`plot_patch` shows where a patch sits and what the network sees, `plot_ten_patches` the ten test patches,
`plot_loader_patches` the patches the training loader really draws, and `plot_pca_colour` the colour
augmentation on matplotlib's sample photograph. `PatchExplorer` redraws them as its controls move; built on
the explorers' base class of `alexnet_lib.book.explorers`, so it works headlessly and with ipywidgets 7 and 8.
"""

from __future__ import annotations

import html
from typing import Optional, Sequence

import ipywidgets as w
import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .._checks import check_bool, check_choice, check_int
from ..data.augment import (
    PAPER_ALPHA_STD,
    PAPER_CROP,
    PAPER_RESIZE,
    colour_pca,
    crop_batch,
    distinct_patches,
    pca_colour_shift,
    ten_patches,
)
from ..data.fashion_mnist import load_fashion_mnist
from ..data.loader import DeviceLoader
from ._figures import DPI, finish, no_ticks
from .explorers import Explorer, _int_slider

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


class PatchExplorer(Explorer):
    """Sliders for the test image, the patch's row and column and a mirror checkbox, and a choice between one
    training patch and the ten test patches; the pictures redraw live.

    Controls are public (`index`, `top`, `left`, `flip`, `mode`); after each change `image` (the resized
    image), `patch` (what the network sees, in training-patch mode), `result` and `error` hold the state.
    """

    def __init__(self, index: int = 0, top: int = 16, left: int = 16, flip: bool = False,
                 mode: str = MODES[0], resize: int = PAPER_RESIZE, size: int = PAPER_CROP, draw: bool = True) -> None:
        self.size = check_int("size", size, 1)
        self.resize = check_int("resize", resize, self.size, 1024)
        far = self.resize - self.size
        self.index = _int_slider("index", index, 0, 99, "test image")
        self.top = _int_slider("top", top, 0, far, "patch row")
        self.left = _int_slider("left", left, 0, far, "patch column")
        self.flip = w.Checkbox(value=check_bool("flip", flip), description="mirror", indent=False)
        self.mode = w.ToggleButtons(options=list(MODES), value=check_choice("mode", mode, MODES))
        self.image: Optional[torch.Tensor] = None
        self.patch: Optional[torch.Tensor] = None
        controls = (self.index, self.top, self.left, self.flip, self.mode)
        self._build(controls, (self.mode, w.HBox([self.index, self.flip]), w.HBox([self.top, self.left])), draw)

    def _compute(self) -> str:
        self.image = resized_image(self.index.value, self.resize)
        if self.mode.value == MODES[1]:
            self.patch = None
            return (f"ten {self.size}×{self.size} test patches: the network's softmax outputs on them are averaged "
                    f"into one prediction")
        self.patch = crop_batch(self.image[None], self.size, torch.tensor([self.top.value]),
                                torch.tensor([self.left.value]), torch.tensor([self.flip.value]))[0]
        return (f"one of {distinct_patches(self.resize, self.size):,} training patches of this image "
                f"({self.resize - self.size + 1}² positions × 2 mirrors)")

    def _reset(self) -> None:
        self.image = self.patch = None

    def _message(self) -> str:
        return html.escape(self.result)

    def _figure(self) -> Figure:
        if self.mode.value == MODES[1]:
            return plot_ten_patches(self.image, self.size)
        return plot_patch(self.image, self.top.value, self.left.value, self.flip.value, self.size)


__all__ = ["MODES", "PAPER_ALPHA_STD", "resized_image", "plot_patch", "plot_ten_patches", "plot_loader_patches",
           "sample_photo", "plot_pca_colour", "PatchExplorer"]

"""Section 4.1's augmentation: patches and mirrors against plain slicing, the loader's patches, ten test patches,
the colour PCA, and the figures and explorer of the augmentation chapter."""

import itertools

import pytest
import torch
from torch import nn

from alexnet_lib.book import augmentation as augment_widget
from alexnet_lib.data.augment import (
    TenPatches,
    centre_crop,
    colour_pca,
    crop_batch,
    distinct_patches,
    draw_patches,
    five_patch_corners,
    greyscale_shift_std,
    pca_colour_shift,
    resize_for,
    ten_patches,
)
from alexnet_lib.data.fashion_mnist import STD
from alexnet_lib.data.loader import DeviceLoader
from alexnet_lib.distributed import Shard
from alexnet_lib.engine.loop import evaluate, evaluate_ten_patches


def _slice(image, top, left, size, flip):
    patch = image[:, top:top + size, left:left + size]
    return patch.flip(-1) if flip else patch


def test_one_gather_cuts_the_same_patches_as_slicing_each_image():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(7, 3, 12, 12, generator=g)
    tops, lefts, flips = draw_patches(7, 12, 9, g)
    got = crop_batch(x, 9, tops, lefts, flips)
    assert got.shape == (7, 3, 9, 9) and got.is_contiguous()
    for i in range(7):
        assert torch.equal(got[i], _slice(x[i], int(tops[i]), int(lefts[i]), 9, bool(flips[i])))


def test_patch_corners_are_checked():
    x = torch.zeros(2, 1, 10, 10)
    with pytest.raises(ValueError, match=r"patch corners must lie in \[0, 2\]"):
        crop_batch(x, 8, torch.tensor([0, 3]), torch.tensor([0, 0]))
    assert crop_batch(x, 8, torch.tensor([0, 2]), torch.tensor([2, 0]), check=False).shape == (2, 1, 8, 8)
    with pytest.raises(ValueError, match="pixel_std='0.3' must be a finite number >= 0"):
        greyscale_shift_std("0.3")
    with pytest.raises(ValueError, match=r"tops must be a tensor of shape \(2,\)"):
        crop_batch(x, 8, torch.tensor([0]), torch.tensor([0, 0]))
    with pytest.raises(ValueError, match="must fit inside the 10x10"):
        crop_batch(x, 11, torch.tensor([0, 0]), torch.tensor([0, 0]))
    with pytest.raises(ValueError, match=r"shape \(N, C, H, W\)"):
        centre_crop(torch.zeros(10, 10), 4)


def test_the_papers_counts_and_proportions():
    # 33 x 33 positions and a mirror: 2,178 patches. The paper's "factor of 2048" is 32 x 32 x 2.
    assert distinct_patches(256, 224) == 33 * 33 * 2 == 2178
    assert distinct_patches(256, 224, flips=False) == 1089
    assert (resize_for(224), resize_for(71), resize_for(135)) == (256, 81, 154)
    assert five_patch_corners(256, 224) == [(0, 0), (0, 32), (32, 0), (32, 32), (16, 16)]
    with pytest.raises(ValueError, match="resize"):
        distinct_patches(200, 224)


def test_distinct_patches_counts_what_can_really_be_cut():
    image = torch.randn(1, 6, 6)  # random values: no two patches coincide by accident
    cut = {tuple(_slice(image, t, l, 4, f).flatten().tolist())
           for t, l, f in itertools.product(range(3), range(3), (False, True))}
    assert len(cut) == distinct_patches(6, 4) == 18


def test_draws_cover_every_position_and_both_mirrors():
    tops, lefts, flips = draw_patches(20_000, 12, 9, torch.Generator().manual_seed(1))
    assert set(tops.tolist()) == set(lefts.tolist()) == {0, 1, 2, 3}
    assert 0.45 < flips.float().mean() < 0.55


def test_the_centre_and_the_ten_test_patches():
    x = torch.randn(2, 1, 10, 10)
    assert torch.equal(centre_crop(x, 6), x[..., 2:8, 2:8])
    assert torch.equal(centre_crop(x, 7), x[..., 1:8, 1:8])  # an odd margin rounds the offset down
    ten = ten_patches(x, 6)
    assert ten.shape == (10, 2, 1, 6, 6)
    for i, (t, l) in enumerate([(0, 0), (0, 4), (4, 0), (4, 4), (2, 2)]):
        assert torch.equal(ten[i], x[..., t:t + 6, l:l + 6])
        assert torch.equal(ten[i + 5], x[..., t:t + 6, l:l + 6].flip(-1))
    with pytest.raises(ValueError, match="square"):
        ten_patches(torch.randn(1, 1, 10, 12), 6)


class _Mean(nn.Module):
    """Logits that depend on where the bright pixels are: different patches give different predictions."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(10, 1, 6, 6, generator=torch.Generator().manual_seed(2)))

    def forward(self, x):
        return torch.einsum("nchw,kchw->nk", x, self.w)


def test_ten_patches_average_the_softmax_of_every_patch():
    model, x = _Mean(), torch.randn(3, 1, 8, 8)
    probs = torch.stack([model(p).softmax(-1) for p in ten_patches(x, 6)]).mean(0)
    assert torch.allclose(TenPatches(model, 6)(x).exp(), probs, atol=1e-6)


def _loader(n=24, **kw):
    g = torch.Generator().manual_seed(3)
    images = torch.randint(0, 256, (n, 28, 28), dtype=torch.uint8, generator=g)
    return DeviceLoader(images, torch.arange(n) % 10, batch_size=8, size=20, shuffle=True, seed=5, **kw)


def test_the_loader_cuts_random_patches_of_the_resized_images_in_the_same_order():
    plain, augmented = _loader(), _loader(resize=24, augment=True)
    whole = plain.with_settings(size=24)  # the resized images the patches are cut from
    mirrors_seen = 0
    for (xa, ya), (xw, yw), (xp, yp) in zip(augmented, whole, plain):
        assert torch.equal(ya, yw) and torch.equal(ya, yp)  # augmentation does not change the order
        for patch, image in zip(xa, xw):
            matches = [f for t, l, f in itertools.product(range(5), range(5), (False, True))
                       if torch.allclose(patch, _slice(image, t, l, 20, f))]
            assert matches, "every training patch is a patch (or its mirror) of the resized image"
            mirrors_seen += matches[0]
    assert 0 < mirrors_seen < 24


def test_patches_depend_on_seed_and_epoch_only():
    a, b = _loader(resize=24, augment=True), _loader(resize=24, augment=True)
    first = torch.cat([x for x, _ in a])
    assert torch.equal(first, torch.cat([x for x, _ in b]))
    a.set_epoch(1)
    assert not torch.equal(first, torch.cat([x for x, _ in a]))


def test_without_augment_the_loader_takes_the_centre_patch():
    centred, whole = _loader(resize=24), _loader().with_settings(size=24)
    for (xc, _), (xw, _) in zip(centred, whole):
        assert torch.equal(xc, centre_crop(xw, 20))


def test_sharded_augmented_loaders_split_one_run_between_processes():
    one = [x for x, _ in _loader(resize=24, augment=True)]
    halves = [[x for x, _ in _loader(resize=24, augment=True, shard=Shard(rank, 2))] for rank in (0, 1)]
    for batch, a, b in zip(one, *halves):
        assert torch.equal(batch[0::2], a) and torch.equal(batch[1::2], b)


def test_with_settings_shares_the_images_and_checks_its_settings():
    loader = _loader()
    other = loader.with_settings(resize=24, augment=True)
    assert other.images.data_ptr() == loader.images.data_ptr() and loader.resize is None and not loader.augment
    assert "resize=24, augment=True" in repr(other)
    with pytest.raises(ValueError, match="size, resize and augment only"):
        loader.with_settings(batch_size=4)
    with pytest.raises(ValueError, match="resize=16"):
        loader.with_settings(resize=16)
    with pytest.raises(ValueError, match="augment=1 must be True or False"):
        loader.with_settings(augment=1)


def test_evaluating_ten_patches_is_the_average_prediction_over_the_loader():
    loader = _loader(resize=24)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(400, 10))
    # float32 throughout: under bf16 autocast (the default on a CPU with bf16 units) a near-tie between two
    # classes can round either way, and the count below is made in float32.
    got = evaluate_ten_patches(model, loader, precision="fp32")
    whole = loader.with_settings(size=24, resize=None)
    correct = sum(int((TenPatches(model, 20)(x).argmax(1) == y).sum()) for x, y in whole)
    assert got.accuracy == correct / 24
    assert evaluate(TenPatches(model, 20), whole, precision="fp32").accuracy == got.accuracy


def test_colour_pca_diagonalises_the_pixel_covariance():
    g = torch.Generator().manual_seed(4)
    mix = torch.tensor([[1.0, 0.8, 0.6], [0.0, 0.5, 0.2], [0.0, 0.0, 0.1]])
    pixels = torch.randn(5000, 3, generator=g) @ mix
    values, vectors = colour_pca(pixels)
    cov = torch.cov(pixels.double().T)
    assert torch.allclose(cov @ vectors, vectors * values, atol=1e-9)
    assert torch.allclose(vectors.T @ vectors, torch.eye(3, dtype=torch.float64), atol=1e-9)
    assert values[0] >= values[1] >= values[2] > 0
    shift = pca_colour_shift(values, vectors, torch.tensor([0.1, 0.0, 0.0]))
    assert torch.allclose(shift, 0.1 * values[0] * vectors[:, 0])
    with pytest.raises(ValueError, match=r"\(C,\), \(C, C\), \(C,\)"):
        pca_colour_shift(values, vectors, torch.zeros(2))
    with pytest.raises(ValueError, match="at least two pixels"):
        colour_pca(torch.zeros(1, 3))


def test_on_one_channel_the_pca_is_a_brightness_shift_of_std_alpha_times_the_variance():
    pixels = torch.rand(10_000, 1, generator=torch.Generator().manual_seed(6))
    values, vectors = colour_pca(pixels)
    assert vectors.abs().item() == pytest.approx(1.0)
    assert values.item() == pytest.approx(float(pixels.double().var()))
    assert greyscale_shift_std(float(pixels.double().std())) == pytest.approx(0.1 * values.item())
    # Fashion-MNIST: about three grey levels out of 255.
    assert 255 * greyscale_shift_std(STD) == pytest.approx(3.18, abs=0.01)


def test_the_photo_and_its_colour_pca():
    photo = augment_widget.sample_photo()
    assert photo.shape == (600, 512, 3) and 0 <= float(photo.min()) and float(photo.max()) <= 1
    values, vectors = colour_pca(photo)
    # The largest component of a natural photograph is brightness: all three channels move together.
    assert (vectors[:, 0] > 0).all() or (vectors[:, 0] < 0).all()
    assert values[0] > 5 * values[1]


def test_figures_and_the_explorer():
    image = augment_widget.resized_image(0)
    assert image.shape == (1, 256, 256)
    assert len(augment_widget.plot_patch(image, 3, 30, True).axes[0].patches) == 1
    assert len(augment_widget.plot_ten_patches(image).axes) == 10
    assert len(augment_widget.plot_loader_patches(0, epochs=3).axes) == 3
    assert len(augment_widget.plot_pca_colour(augment_widget.sample_photo(), [(1, 0, 0)]).axes) == 2
    ex = augment_widget.PatchExplorer()
    shown = ex.reference(dict(ex.settings, left=32, flip=True))["patches"][0]
    assert shown["sum"] == pytest.approx(float(image[:, 16:240, 32:256].double().sum()))
    assert shown["corners"][0] == pytest.approx(float(image[0, 16, 255]))  # mirrored: the patch's left is column 255
    assert len(ex.reference(dict(ex.settings, mode="ten test patches"))["patches"]) == 10
    with pytest.raises(ValueError, match="top=40"):
        augment_widget.PatchExplorer(top=40)
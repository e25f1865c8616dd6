"""Checkers for the augmentation chapter: patches per image, the five test-patch corners, the greyscale PCA."""

from __future__ import annotations

from typing import Any

from ..data.augment import distinct_patches, five_patch_corners, greyscale_shift_std
from ..data.fashion_mnist import STD
from ._common import Wrong, checker, exactly, judge_answer, near, show, whole_number

#: The sizes of the patch-count prediction: a 71-pixel network and its resized side (81), as a stand-alone example.
PATCH_RESIZE, PATCH_SIZE = 81, 71


@checker
def check_patch_count(answer: Any) -> bool:
    """Exercise: `answer` is how many different 71x71 training patches, mirrors counted, one 81x81 image gives."""
    want = distinct_patches(PATCH_RESIZE, PATCH_SIZE)
    positions = PATCH_RESIZE - PATCH_SIZE + 1

    def tip(value: int) -> str:
        if value == want // 2:
            return "you counted the positions; every patch also has a mirror image"
        if value == (positions - 1) ** 2 * 2:
            return (f"the patch's top-left corner can sit at 0, 1, ... {positions - 1} along each side: count "
                    f"both ends (the paper's 2048 = 32 × 32 × 2 leaves one out too)")
        return "count the positions of the top-left corner along one side, square it, then mind the mirrors"

    return judge_answer(answer, lambda got: exactly(got, want, "a count is a whole number", tip),
                        f"right: {positions} × {positions} positions, each with its mirror image")


#: The sizes of the five-corners exercise: the GPU experiments' 135-pixel network, cut from 154 (an odd margin).
CORNER_RESIZE, CORNER_SIZE = 154, 135


@checker
def check_five_corners(answer: Any) -> bool:
    """Exercise: `answer` lists (top, left) of the four corner test patches and the centre one, in the paper's order,
    for 135x135 patches of a 154x154 image."""
    want = five_patch_corners(CORNER_RESIZE, CORNER_SIZE)

    def judge(got: Any) -> None:
        try:
            pairs = [tuple(whole_number(v, "a corner is a whole number of pixels") for v in p) for p in got]
        except TypeError:
            raise Wrong(f"is {show(got)}; give a list of five (top, left) pairs of whole numbers") from None
        if len(pairs) != 5 or any(len(p) != 2 for p in pairs):
            raise Wrong(f"has {len(pairs)} entries, not all of them pairs; give exactly five (top, left) pairs: top "
                        f"left, top right, bottom left, bottom right, centre")
        if sorted(pairs[:4]) != sorted(want[:4]):
            raise Wrong("has corner patches that do not touch two edges: a corner patch's top and left are each 0 "
                        "or the image's side minus the patch's")
        if pairs[:4] != want[:4]:
            raise Wrong("has the right corners in another order; give top left, top right, bottom left, bottom right "
                        "(a pair is (top, left): the top right patch has top 0)")
        if pairs[4] != want[4]:
            raise Wrong("puts the centre patch elsewhere: it leaves equal margins, and an odd margin is rounded down "
                        "(//)")

    return judge_answer(answer, judge, "right: four corners and a centre whose odd margin is rounded down")


@checker
def check_greyscale_shift(answer: Any) -> bool:
    """Exercise: `answer` is the standard deviation, in grey levels out of 255, of the brightness shift the paper's PCA
    augmentation makes on Fashion-MNIST (pixel standard deviation STD on [0, 1], alpha's standard deviation 0.1)."""
    want = 255 * greyscale_shift_std(STD)

    def tip(value: float) -> str:
        if abs(value - 255 * 0.1 * STD) < 0.05:
            return "the paper multiplies alpha by the eigenvalue, a variance, not by a standard deviation"
        if abs(value - greyscale_shift_std(STD)) < 0.05:
            return "that is on the [0, 1] scale; give it in grey levels out of 255"
        return "with one channel the covariance matrix is the pixel variance, and its eigenvector is 1"

    return judge_answer(answer, lambda got: near(got, want, 0.05, "a number of grey levels", tip),
                        "right: a brightness shift of a few grey levels, too faint to see")


__all__ = ["check_patch_count", "check_five_corners", "check_greyscale_shift"]

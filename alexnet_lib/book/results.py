"""The recorded ensembles, explored: top-k against ensemble size and against k, and one test image as members see it.

`plot_ensemble` draws three panels from a record of `alexnet_lib.experiments.ensembles`: the top-k accuracy of
ensembles of 1 ... k members in every group; the top-k error of one member and of an ensemble for k = 1 ...
10, beside chance; and, for one test image on which the members of a group disagree, each member's class
probabilities and their mean. `EnsembleExplorer` redraws it for the group, ensemble size, k and image its
controls choose. Built on the explorers' base class (`alexnet_lib.book.explorers.Explorer`), so it runs headlessly
in tests and with ipywidgets 7 and 8. Every number it shows is read from the record.
"""

from __future__ import annotations

import html
from typing import Any, Optional

import ipywidgets as w
import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

from .._checks import check_choice, check_int
from ..experiments import ensembles as E
from ._figures import DPI, as_numpy, finish, style
from .explorers import Explorer, _int_slider

#: How many disagreement images the explorer offers per group (the first ones, in test-set order).
IMAGES = 40
#: One colour per member (up to ten), and the mean's.
MEMBER_COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c",
                  "#ccb974", "#64b5cd")
MEAN_COLOUR = "black"


def _check_view(record: dict[str, Any], group: int, size: int, k: int) -> tuple[int, int, int]:
    """(group, size, k) checked against the record: a ValueError names what is out of range."""
    st = record["settings"]
    group = check_choice("group", group, st["scale"]["seeds"])
    size = check_int("size", size, 1, st["members"], hint=" (members averaged)")
    k = check_int("k", k, 1, len(st["classes"]), hint=" (guesses that count)")
    return group, size, k


def member_view(record: dict[str, Any], group: int, size: int, position: int) -> dict[str, Any]:
    """One of `group`'s disagreement images: its label, the probabilities of members 1 ... size, and their mean."""
    group, size, _ = _check_view(record, group, size, 1)
    images = E.disagreements(record, group)
    if not images:
        raise ValueError(f"the members of group {group} agree on every test image: there is no disagreement to show")
    index = images[check_int("position", position, 0, len(images) - 1, hint=" (which disagreement image)")]
    probs = [p[index] for p in E.member_probabilities(record)[group][:size]]
    return {"index": index, "label": int(record["test_labels"][index]), "members": probs,
            "mean": E.mean_probabilities(probs)}


def first_rescue(record: dict[str, Any], group: int) -> int:
    """The first of `group`'s disagreement images on which the full ensemble is right and some member is wrong."""
    group = _check_view(record, group, 1, 1)[0]
    probs = E.member_probabilities(record)[group]
    for position, index in enumerate(E.disagreements(record, group)[:IMAGES]):
        label = int(record["test_labels"][index])
        if int(E.mean_probabilities([p[index] for p in probs]).argmax()) == label:
            return position
    return 0


def plot_ensemble(record: dict[str, Any], group: int = 0, size: Optional[int] = None, k: int = 1,
                  position: Optional[int] = None, images: Optional[torch.Tensor] = None) -> Figure:
    """Three panels of a recorded ensembles run: top-k against ensemble size, error against k, one test image.

    `size` defaults to the full ensemble; `position` picks one of `group`'s disagreement images (by default the
    first the full ensemble gets right); `images` (the record's test images, `ensembles.record_images(record)`)
    adds a picture of it.
    """
    record = E.validate_record(record)
    st = record["settings"]
    size = st["members"] if size is None else size
    group, size, k = _check_view(record, group, size, k)
    classes, members = st["classes"], st["members"]
    position = first_rescue(record, group) if position is None else position
    # Two panels of recorded accuracies above, the one image below: readable at the page's width.
    fig = plt.figure(figsize=(8.4, 6.8), dpi=DPI)
    grid = fig.add_gridspec(2, 4, height_ratios=(1, 1.1))
    axes = [fig.add_subplot(grid[0, :2]), fig.add_subplot(grid[0, 2:]),
            fig.add_subplot(grid[1, :3] if images is not None else grid[1, :])]
    if images is not None:
        axes.append(fig.add_subplot(grid[1, 3]))

    ax = axes[0]
    sizes = range(1, members + 1)
    for g in st["scale"]["seeds"]:
        accs = [100 * E.ensemble_accuracy(record, g, m, k) for m in sizes]
        ax.plot(sizes, accs, marker="o", lw=2.5 if g == group else 1, alpha=1 if g == group else 0.45,
                label=f"group {g}", gid=f"group-{g}")
    ax.plot([size], [100 * E.ensemble_accuracy(record, group, size, k)], "o", ms=12, mfc="none", mec=MEAN_COLOUR)
    ax.set_xticks(list(sizes))
    style(ax, "members averaged", f"top-{k} accuracy (%)", f"top-{k} accuracy, ensembles of 1 to {members}",
          legend=True)

    ax = axes[1]
    ks = range(1, len(classes))  # k = classes is always right: its error is 0, off a log axis
    alone = [100 * (1 - E.ensemble_accuracy(record, group, 1, j)) for j in ks]
    together = [100 * (1 - E.ensemble_accuracy(record, group, size, j)) for j in ks]
    chance = [100 * (1 - j / len(classes)) for j in ks]
    ax.plot(ks, chance, ":", color="grey", label="chance")
    ax.plot(ks, alone, marker="o", color=MEMBER_COLOURS[0], label="one member (mean)", gid="alone")
    ax.plot(ks, together, marker="s", color=MEAN_COLOUR, label=f"ensemble of {size}", gid="together")
    ax.axvline(k, color="grey", lw=0.8)
    ax.set_yscale("log")
    ax.set_xticks(list(ks))
    style(ax, "k (guesses that count)", "top-k error (%, log scale)", f"group {group}: top-k error against k",
          legend=True)
    ax.legend(fontsize=8, loc="lower left")

    ax = axes[2]
    view = member_view(record, group, size, position)
    x = torch.arange(len(classes), dtype=torch.float64)
    width = 0.8 / (size + 1)
    for m, p in enumerate(view["members"]):
        ax.bar(as_numpy(x + (m - size / 2) * width), as_numpy(p), width, color=MEMBER_COLOURS[m % 10],
               label=f"member {m + 1}", gid=f"member-{m + 1}")
    ax.bar(as_numpy(x + size / 2 * width), as_numpy(view["mean"]), width, color="none", edgecolor=MEAN_COLOUR,
           lw=1.5, label="their mean", gid="mean")
    names = [("▶ " if i == view["label"] else "") + c for i, c in enumerate(classes)]
    ax.set_xticks(as_numpy(x), names, rotation=45, ha="right", fontsize=8)
    ax.set_ylim(0, min(1.0, max(0.35, 1.15 * max(float(p.max()) for p in view["members"]))))
    verdict = "right" if int(view["mean"].argmax()) == view["label"] else "wrong"
    style(ax, "", "probability", f"group {group}, test image {view['index']} (▶ its class): the mean of "
          f"{size} is {verdict}", grid="y", legend=True)
    if images is not None:
        axes[3].imshow(as_numpy(images[view["index"]]), cmap="gray_r")
        axes[3].set_xticks([])
        axes[3].set_yticks([])
        axes[3].set_title(classes[view["label"]], fontsize=9)
    return finish(fig)


class EnsembleExplorer(Explorer):
    """A group, the number of members averaged, k, and one of the group's disagreement images; the three panels.

    Controls are public (`group`, `size`, `k`, `position`); after each change `accuracy` (the ensemble's top-k
    accuracy), `alone` (one member's, on average), `view` (the image shown: its index, label, the members'
    probabilities and their mean), `result` and `error` hold the current state.
    """

    def __init__(self, record: dict[str, Any], group: int = 0, size: Optional[int] = None, k: int = 1,
                 position: Optional[int] = None, images: Optional[torch.Tensor] = None, draw: bool = True) -> None:
        self.record = E.validate_record(record)
        st = self.record["settings"]
        size = st["members"] if size is None else size
        group, size, k = _check_view(self.record, group, size, k)
        if images is not None and (not isinstance(images, torch.Tensor) or len(images) != len(record["test_labels"])):
            raise ValueError("images must be the record's test images (ensembles.record_images(record)), one per "
                             "test label, or None")
        self.images = images
        most = min(IMAGES, *(len(E.disagreements(self.record, g)) for g in st["scale"]["seeds"])) - 1
        if most < 0:
            raise ValueError("in some group the members agree on every test image: there is nothing to compare")
        self.group = w.Dropdown(options=list(st["scale"]["seeds"]), value=group, description="group",
                                style={"description_width": "130px"})
        self.size = _int_slider("size", size, 1, st["members"], "members averaged", label_width="130px")
        self.k = _int_slider("k", k, 1, len(st["classes"]), "top-k: k", label_width="130px")
        position = first_rescue(self.record, group) if position is None else position
        self.position = _int_slider("position", position, 0, most, "disagreement", label_width="130px")
        self.accuracy = self.alone = float("nan")
        self.view: dict[str, Any] = {}
        controls = (self.group, self.size, self.k, self.position)
        self._build(controls, controls, draw)

    def _compute(self) -> str:
        g, m, k = self.group.value, self.size.value, self.k.value
        self.accuracy = E.ensemble_accuracy(self.record, g, m, k)
        self.alone = E.ensemble_accuracy(self.record, g, 1, k)
        self.view = member_view(self.record, g, m, self.position.value)
        classes = self.record["settings"]["classes"]
        said = ", ".join(f"{classes[int(p.argmax())]} ({float(p.max()):.0%})" for p in self.view["members"])
        mean = self.view["mean"]
        return (f"group {g}: ensembles of {m} reach top-{k} accuracy {self.accuracy:.2%} (one member: "
                f"{self.alone:.2%}, chance {k / len(classes):.0%}). Test image {self.view['index']} is a "
                f"{classes[self.view['label']]}: the members say {said}; their mean says "
                f"{classes[int(mean.argmax())]} ({float(mean.max()):.0%})")

    def _reset(self) -> None:
        self.accuracy = self.alone = float("nan")
        self.view = {}

    def _message(self) -> str:
        return html.escape(self.result)

    def _figure(self) -> Figure:
        return plot_ensemble(self.record, self.group.value, self.size.value, self.k.value, self.position.value,
                             self.images)


__all__ = ["IMAGES", "member_view", "first_rescue", "plot_ensemble", "EnsembleExplorer"]

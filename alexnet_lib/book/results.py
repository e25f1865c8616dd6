"""The recorded ensembles, explored: top-k accuracy against ensemble size, and one test image as the members see it.

`EnsembleExplorer` shows, in the reader's browser (`alexnet_lib.book.live`), the top-k accuracy of ensembles of
1 ... all members in every group of a record of `alexnet_lib.experiments.ensembles`, and for one test image on
which the members of a group disagree, each member's class probabilities and their mean. Every accuracy it shows
is read from the record; `member_view` and `first_rescue` pick and recombine the images.
"""

from __future__ import annotations

from typing import Any, Optional

from .._checks import check_choice, check_int
from ..experiments import ensembles as E
from .live import Control, LiveExplorer

#: How many disagreement images the explorer offers per group (the first ones, in test-set order).
IMAGES = 40


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


class EnsembleExplorer(LiveExplorer):
    """A group, the number of members averaged, k, and one of the group's disagreement images, explored in the
    reader's browser: the record's accuracies, and the members' probabilities and their mean for the image."""

    kind = "ensemble"

    def __init__(self, record: dict[str, Any], group: int = 0, size: Optional[int] = None, k: int = 1,
                 position: Optional[int] = None) -> None:
        self.record = E.validate_record(record)
        st = self.record["settings"]
        self.views = {g: E.disagreements(self.record, g)[:IMAGES] for g in st["scale"]["seeds"]}
        most = min(len(v) for v in self.views.values()) - 1
        if most < 0:
            raise ValueError("in some group the members agree on every test image: there is nothing to compare")
        self.controls = (Control("group", "group", "choice", options=tuple(st["scale"]["seeds"])),
                         Control("size", "members averaged", "int", 1, st["members"]),
                         Control("k", "top-k: k", "int", 1, len(st["classes"])),
                         Control("position", "disagreement", "int", 0, most))
        size = st["members"] if size is None else size
        position = first_rescue(self.record, group) if position is None else position
        super().__init__(group=group, size=size, k=k, position=min(position, most))

    def data(self) -> dict[str, Any]:
        st, probs = self.record["settings"], E.member_probabilities(self.record)
        labels = E.record_labels(self.record)
        sizes, ks = range(1, st["members"] + 1), range(1, len(st["classes"]) + 1)
        return {"groups": list(st["scale"]["seeds"]), "members": st["members"], "classes": list(st["classes"]),
                "accuracy": {str(g): [[E.ensemble_accuracy(self.record, g, m, k) for k in ks] for m in sizes]
                             for g in st["scale"]["seeds"]},
                "views": {str(g): [{"index": i, "label": int(labels[i]),
                                    "members": [[float(v) for v in p[i]] for p in probs[g]]} for i in indices]
                          for g, indices in self.views.items()}}

    def reference(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Top-k accuracy of the ensembles and of one member, and the image's label, mean and its verdict."""
        g, m, k = settings["group"], settings["size"], settings["k"]
        view = member_view(self.record, g, m, settings["position"])
        return {"accuracy": E.ensemble_accuracy(self.record, g, m, k),
                "alone": E.ensemble_accuracy(self.record, g, 1, k),
                "index": view["index"], "label": view["label"], "mean": view["mean"].tolist(),
                "verdict": int(view["mean"].argmax())}


__all__ = ["IMAGES", "member_view", "first_rescue", "EnsembleExplorer"]

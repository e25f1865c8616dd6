"""The paper's results (its Tables 1 and 2, and the depth claim of its section 7) as data: one place for each figure.

Every number here is Krizhevsky, Sutskever and Hinton's (NeurIPS 2012), an error rate in percent as their
tables print it; none was measured by this course. The chapters render the tables with `paper_table` and
read the effects they test from `ensemble_gain` and `DEPTH_LOSS`, so a figure is typed once.

Every CNN figure comes from the paper's test-time procedure (section 4.1): the softmax outputs of ten
224x224 patches of each 256x256 image (the four corners and the centre, and their mirror images) are
averaged, and several networks are averaged on top of that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .._checks import check_choice
from ..tables import Table


@dataclass(frozen=True)
class Entry:
    """One row of a results table: the model as the paper names it, what it is, and its error rates (percent)."""

    model: str
    what: str
    errors: tuple  # one per column of its table; None where the paper gives no figure
    theirs: bool = True  # False for other groups' results the paper compares with


@dataclass(frozen=True)
class PaperTable:
    """A results table of the paper: its data set, its columns and its rows."""

    name: str
    caption: str
    columns: tuple
    entries: tuple

    def entry(self, model: str) -> Entry:
        """The row of `model` (as the paper names it, e.g. '5 CNNs')."""
        rows = {e.model: e for e in self.entries}
        return rows[check_choice("model", model, rows)]

    def error(self, model: str, column: str) -> float:
        """The error rate (percent) of `model` in `column`; a ValueError where the paper gives none."""
        i = self.columns.index(check_choice("column", column, self.columns))
        value = self.entry(model).errors[i]
        if value is None:
            raise ValueError(f"the paper gives no {column} figure for {model!r} in {self.name}")
        return value


#: Table 1: ILSVRC-2010, whose test labels were public; one CNN against the best results of others.
TABLE_1 = PaperTable(
    "Table 1", "ILSVRC-2010 test set (error rates, %)", ("top-1 test", "top-5 test"),
    (Entry("Sparse coding", "the 2010 winner: six sparse-coding models averaged", (47.1, 28.2), theirs=False),
     Entry("SIFT + FVs", "best published since: two classifiers on Fisher vectors averaged", (45.7, 25.7),
           theirs=False),
     Entry("CNN", "one AlexNet", (37.5, 17.0))),
)

#: Table 2: ILSVRC-2012, where only the organisers held the test labels (so most rows have validation figures).
TABLE_2 = PaperTable(
    "Table 2", "ILSVRC-2012 validation and test sets (error rates, %)", ("top-1 val", "top-5 val", "top-5 test"),
    (Entry("SIFT + FVs", "the runner-up: classifiers on Fisher vectors averaged", (None, None, 26.2),
           theirs=False),
     Entry("1 CNN", "one AlexNet, as the paper describes it", (40.7, 18.2, None)),
     Entry("5 CNNs", "five such networks averaged", (38.1, 16.4, 16.4)),
     Entry("1 CNN*", "a sixth convolutional layer, pre-trained on ImageNet Fall 2011 (15M images, 22K "
                     "categories), fine-tuned on ILSVRC-2012", (39.0, 16.6, None)),
     Entry("7 CNNs*", "the five CNNs and two CNNs* averaged: the winning entry", (36.7, 15.4, 15.3))),
)

TABLES = {"Table 1": TABLE_1, "Table 2": TABLE_2}

#: Section 7: "removing any of the middle layers results in a loss of about 2% for the top-1 performance".
DEPTH_LOSS = 0.02


def ensemble_gain(column: str = "top-1 val") -> float:
    """What five CNNs gain over one in the paper (Table 2), as a fraction: 0.026 for top-1 on validation."""
    return round((TABLE_2.error("1 CNN", column) - TABLE_2.error("5 CNNs", column)) / 100, 6)


def _cell(value: Optional[float]) -> str:
    return "—" if value is None else f"{value:.1f}%"


def paper_table(name: str = "Table 2") -> Table:
    """One of the paper's results tables as the course shows it: model, the error rates, what the model is."""
    table = TABLES[check_choice("name", name, TABLES)]
    rows = tuple((e.model + ("" if e.theirs else " (others)"), *(_cell(v) for v in e.errors), e.what)
                 for e in table.entries)
    return Table(("model", *table.columns, "what it is"), rows, numeric=tuple(range(1, 1 + len(table.columns))))


__all__ = ["Entry", "PaperTable", "TABLE_1", "TABLE_2", "TABLES", "DEPTH_LOSS", "ensemble_gain", "paper_table"]

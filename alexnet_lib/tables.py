"""One small table type: rows of strings that print as aligned text and render as HTML, both deterministic."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Optional, Sequence


@dataclass(frozen=True, repr=False)
class Table:
    """Rows of display strings under headers, with an optional totals line; `numeric` columns align right."""

    headers: tuple
    rows: tuple
    numeric: tuple = ()
    footer: Optional[tuple] = None

    def __post_init__(self) -> None:
        width = len(self.headers)
        for row in (*self.rows, *([self.footer] if self.footer is not None else [])):
            if len(row) != width:
                raise ValueError(f"row {row!r} has {len(row)} cells but the table has {width} columns")
        object.__setattr__(self, "headers", tuple(str(h) for h in self.headers))
        object.__setattr__(self, "rows", tuple(tuple(str(c) for c in r) for r in self.rows))
        if self.footer is not None:
            object.__setattr__(self, "footer", tuple(str(c) for c in self.footer))

    def to_text(self) -> str:
        """An aligned monospace table; a rule under the headers and above the totals line."""
        lines = [self.headers, *self.rows, *([self.footer] if self.footer is not None else [])]
        widths = [max(len(line[i]) for line in lines) for i in range(len(self.headers))]

        def render(line: Sequence[str]) -> str:
            return "  ".join(c.rjust(w) if i in self.numeric else c.ljust(w)
                             for i, (c, w) in enumerate(zip(line, widths))).rstrip()

        rule = "  ".join("-" * w for w in widths)
        out = [render(self.headers), rule, *(render(r) for r in self.rows)]
        if self.footer is not None:
            out += [rule, render(self.footer)]
        return "\n".join(out)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        # A notebook shows the HTML; a terminal, or a notebook's text/plain, the aligned text.
        return self.to_text()

    def _repr_html_(self) -> str:
        """A plain HTML table (header, body, optional totals footer)."""
        def row(cells: Sequence[str], tag: str) -> str:
            return "<tr>" + "".join(f'<{tag} style="text-align:{"right" if i in self.numeric else "left"}">'
                                    f"{html.escape(c)}</{tag}>" for i, c in enumerate(cells)) + "</tr>"

        parts = ["<table>", "<thead>", row(self.headers, "th"), "</thead>", "<tbody>",
                 *(row(r, "td") for r in self.rows), "</tbody>"]
        if self.footer is not None:
            parts += ["<tfoot>", row(self.footer, "th"), "</tfoot>"]
        return "\n".join([*parts, "</table>"])

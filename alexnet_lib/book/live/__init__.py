"""Explorers that compute in the reader's browser: on the book's static pages (no kernel, offline), in Jupyter,
in Colab and in VS Code alike.

An explorer is a Python object whose HTML output carries everything it needs: the controls' spec, the data it
recombines, the runtime (`runtime.js`) and its own `compute` and `draw` (`<kind>.js`). Moving a control
recomputes in JavaScript. The library's Python stays the reference: each explorer's `reference(settings)` gives,
from the library's own functions, the values the page must show for a setting, and the tests compare the two
over many settings and drive every control of the built book in Chromium.
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

from ..._checks import check_bool, check_choice, check_int, check_number

HERE = Path(__file__).parent
KINDS = ("int", "float", "log", "bool", "choice")


@dataclass(frozen=True)
class Control:
    """One control: a slider (int, float, or log: base-10 exponent steps), a checkbox or a choice."""

    name: str
    label: str
    kind: str
    low: float = 0
    high: float = 1
    step: float = 1
    options: tuple = ()
    digits: int = 2  # decimals of a float readout (significant ones after the first, for a log slider)

    def __post_init__(self) -> None:
        check_choice("kind", self.kind, KINDS)
        if self.kind in ("int", "float", "log") and not (self.step > 0 and self.high > self.low):
            raise ValueError(f"control {self.name!r}: a slider needs low < high and a positive step")
        if self.kind == "choice" and not self.options:
            raise ValueError(f"control {self.name!r}: a choice needs options")

    def check(self, value: object) -> Any:
        """`value` if this control can show it, else a ValueError naming the control and its range."""
        if self.kind == "bool":
            return check_bool(self.name, value)
        if self.kind == "choice":
            return check_choice(self.name, value, self.options)
        if self.kind == "int":
            value = check_int(self.name, value, int(self.low), int(self.high))
        elif self.kind == "float":
            value = check_number(self.name, value, self.low, self.high)
        else:
            value = check_number(self.name, value, 10.0 ** self.low, 10.0 ** self.high)
        position = ((math.log10(value) if self.kind == "log" else value) - self.low) / self.step
        if abs(position - round(position)) > 1e-6:  # the slider would show another value than the one asked for
            raise ValueError(f"{self.name}={value!r} is not one of the slider's values: from {self.low} in steps "
                             f"of {self.step}" + (" (of the base-10 exponent)" if self.kind == "log" else ""))
        return value

    def spec(self, value: Any) -> dict[str, Any]:
        """What runtime.js builds the control from."""
        spec = {"name": self.name, "label": self.label, "kind": self.kind, "value": value, "digits": self.digits}
        if self.kind in ("int", "float", "log"):
            spec.update(low=self.low, high=self.high, step=self.step)
        if self.kind == "choice":
            spec["options"] = list(self.options)
        return spec

    def settings(self, every: int = 1) -> list[Any]:
        """Every value this control offers (every `every`-th step of a slider), for tests that try them all."""
        if self.kind == "bool":
            return [False, True]
        if self.kind == "choice":
            return list(self.options)
        steps = int(round((self.high - self.low) / self.step))
        values = [self.low + i * self.step for i in range(0, steps + 1, every)]
        if self.kind == "int":
            return [int(v) for v in values]
        if self.kind == "log":
            return [10.0 ** v for v in values]
        return [round(v, 10) for v in values]


@lru_cache(maxsize=None)
def script(kind: str) -> str:
    """The JavaScript source of runtime.js or of one explorer (`kind`.js), read once."""
    return (HERE / f"{kind}.js").read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def style() -> str:
    """The explorers' CSS (explorer.css), read once."""
    return (HERE / "explorer.css").read_text(encoding="utf-8")


def _json(value: Any) -> str:
    """JSON for an inline <script>: no NaN, and no '</' that could end the script early."""
    return json.dumps(value, allow_nan=False, separators=(",", ":")).replace("</", "<\\/")


class LiveExplorer:
    """What every explorer shares: checked settings, its controls' spec, its data, and the HTML that runs it.

    A subclass sets `kind` (its JavaScript file) and `controls`, calls `__init__` with its settings, and
    defines `reference` (the values the page must show for a setting, from the library) and, if the browser
    needs more than the settings, `data`.
    """

    kind: str = ""
    controls: Sequence[Control] = ()
    max_width = 760  # px: the widest the picture is drawn

    def __init__(self, **settings: Any) -> None:
        unknown = set(settings) - {c.name for c in self.controls}
        if unknown:
            raise ValueError(f"{type(self).__name__} has no control named {', '.join(sorted(unknown))}")
        self.settings = {c.name: c.check(settings[c.name]) for c in self.controls}
        error = self.reference(self.settings).get("error")
        if error:
            raise ValueError(f"{type(self).__name__} cannot start at {self.settings}: {error}")

    def data(self) -> dict[str, Any]:
        """What the browser recombines besides the settings (precomputed values, a record's numbers)."""
        return {}

    def reference(self, settings: dict[str, Any]) -> dict[str, Any]:
        """The values the page must show for `settings`, computed by the library; {'error': ...} if impossible."""
        raise NotImplementedError  # each explorer has its own

    def spec(self) -> dict[str, Any]:
        """Everything runtime.js needs to build and run this explorer."""
        return {"kind": self.kind, "max_width": self.max_width, "data": self.data(),
                "controls": [c.spec(self.settings[c.name]) for c in self.controls]}

    def _repr_html_(self) -> str:
        box = f"ax-{uuid.uuid4().hex[:12]}"
        return (f"<style>{style()}</style>"
                f'<div class="alexnet-explorer" id="{box}" data-kind="{self.kind}">'
                f"<noscript><p>This explorer runs in your browser: turn JavaScript on to use it.</p></noscript>"
                f"</div>\n<script>\n{script('runtime')}\n{script(self.kind)}\n"
                f'AlexNetExplorers.mount(document.getElementById("{box}"), {_json(self.spec())});\n</script>')

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.settings.items())
        return f"{type(self).__name__}({shown}): open it in a browser (the book, Jupyter or Colab) to move it"


def finite(value: float) -> float | None:
    """A float for JSON (None where it is not finite, as the browser's JSON gives null)."""
    return value if math.isfinite(value) else None


__all__ = ["Control", "LiveExplorer", "script", "style", "finite"]

"""Interactive explorers for the chapters, built on ipywidgets and drivable headlessly in tests.

Importing this module loads no part of the training engine, the data or the experiments: only the small
modules the explorers compute with, and `plots`. Every constructor argument is checked (a ValueError names the
argument and its valid range, the range its slider offers), and every slider setting either shows its result or
a red message: an explorer never answers with a traceback.
"""

from __future__ import annotations

import html
import io
import math
from typing import Any, Optional, Sequence

import ipywidgets as w
import matplotlib.pyplot as plt
import torch
from IPython.display import display
from matplotlib.figure import Figure

from .._checks import check_bool, check_choice, check_int, check_number
from ..net.activations import NAMES, gradient_norms, gradient_ratio
from ..net.layers import PAPER_LRN
from ..net.shapes import conv_arithmetic, pool_output_size
from ..toolkits.lrn import _profile, lrn_denominator, lrn_profile
from ..toolkits.pooling import overlap, pool_coverage
from .plots import plot_dropout_mask, plot_gradient_norms, plot_lrn_profile, plot_pool_coverage, plot_windows

ERROR_STYLE = "color:#b30000;font-weight:bold"


def figure_png(fig: Figure) -> bytes:
    """A figure as PNG bytes for an Image widget (works with or without a live kernel); closes the figure."""
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png")
    finally:
        plt.close(fig)
    return buffer.getvalue()


def _slider_options(label_width: str = "110px") -> dict[str, Any]:
    """Keyword arguments every slider shares: update on release, aligned labels."""
    return dict(continuous_update=False, style={"description_width": label_width}, layout=w.Layout(width="420px"))


def _int_slider(name: str, value: object, low: int, high: int, description: str,
               label_width: str = "110px") -> w.IntSlider:
    """An integer slider on [low, high] starting at `value`; a ValueError names `name` when value is outside."""
    return w.IntSlider(check_int(name, value, low, high), min=low, max=high, description=description,
                       **_slider_options(label_width))


def _float_slider(name: str, value: object, low: float, high: float, step: float, description: str,
                 readout_format: str = ".2f", label_width: str = "110px") -> w.FloatSlider:
    """A float slider on [low, high] starting at `value`; a ValueError names `name` when value is outside."""
    return w.FloatSlider(check_number(name, value, low, high), min=low, max=high, step=step, description=description,
                         readout_format=readout_format, **_slider_options(label_width))


def _log_slider(name: str, value: object, low_exp: float, high_exp: float, step: float, description: str,
               readout_format: str, label_width: str = "110px") -> w.FloatLogSlider:
    """A base-10 log slider on [10**low_exp, 10**high_exp]; a ValueError names `name` when value is outside."""
    value = check_number(name, value, 10.0 ** low_exp, 10.0 ** high_exp)
    return w.FloatLogSlider(value, base=10, min=low_exp, max=high_exp, step=step, description=description,
                            readout_format=readout_format, **_slider_options(label_width))


def _checkbox(name: str, value: object, description: str) -> w.Checkbox:
    """A checkbox starting at `value`, which must be True or False."""
    return w.Checkbox(check_bool(name, value), description=description, indent=False)


class Explorer:
    """What every explorer shares: observed controls, a result line, a drawing, and red errors.

    A subclass creates its controls, then calls `_build`; it computes in `_compute` (returning the result
    line, raising ValueError for an impossible setting) and draws in `_figure`. Tests set a control's
    `.value` and read `result`, `error` and the subclass's own attributes, no browser needed.
    """

    def _build(self, controls: Sequence[w.Widget], rows: Sequence[w.Widget], draw: bool,
               max_width: str = "760px") -> None:
        self.message = w.HTML()
        self.figure = w.Image(format="png", layout=w.Layout(max_width=max_width))
        self.draw = check_bool("draw", draw)
        self.result = ""
        self.error = ""
        for control in controls:
            control.observe(self._update, names="value")
        self.widget = w.VBox([*rows, self.message, self.figure])
        self._update()

    def _compute(self) -> str:
        raise NotImplementedError  # each explorer computes its own result

    def _figure(self) -> Figure:
        raise NotImplementedError  # each explorer draws its own picture

    def _reset(self) -> None:
        """Forget the results of the last valid setting (after an error)."""

    def _message(self) -> str:
        """The HTML shown under the controls for a valid setting."""
        return f"<b>{html.escape(self.result)}</b>"

    def _update(self, change: object = None) -> None:
        """Recompute after any control moves; an impossible setting becomes a red message, never a traceback."""
        try:
            self.result = self._compute()
            self.error = ""
            self.message.value = self._message()
            if self.draw:
                self.figure.value = figure_png(self._figure())
            return
        except ValueError as e:  # the library's own verdict on an impossible setting
            self.error, prefix = str(e), "Impossible setting"
        except Exception as e:  # anything unforeseen: still a red line under the controls, never a traceback
            self.error, prefix = f"{type(e).__name__}: {e}", "This setting cannot be shown"
        self._reset()
        self.result = ""
        self.message.value = f'<span style="{ERROR_STYLE}">{prefix}: {html.escape(self.error)}</span>'
        if self.draw:
            self.figure.value = b""

    def _ipython_display_(self) -> None:
        display(self.widget)


class OutputSizeExplorer(Explorer):
    """Sliders for W, K, S, P and an optional pooling stage; shows the output size, the windows, or a red error.

    Every control is a public attribute (`size`, `kernel`, `stride`, `padding`, `use_pool`, `pool_kernel`,
    `pool_stride`), so a test can set `explorer.size.value = 224` and read `output_size`, `result`, `error`.
    """

    def __init__(self, size: int = 227, kernel: int = 11, stride: int = 4, padding: int = 0,
                 use_pool: bool = True, pool_kernel: int = 3, pool_stride: int = 2, draw: bool = True) -> None:
        self.size = _int_slider("size", size, 1, 256, "input W")
        self.kernel = _int_slider("kernel", kernel, 1, 15, "kernel K")
        self.stride = _int_slider("stride", stride, 1, 8, "stride S")
        self.padding = _int_slider("padding", padding, 0, 8, "padding P")
        self.use_pool = _checkbox("use_pool", use_pool, "then max-pool")
        self.pool_kernel = _int_slider("pool_kernel", pool_kernel, 1, 5, "pool window z")
        self.pool_stride = _int_slider("pool_stride", pool_stride, 1, 4, "pool stride s")
        self.output_size: Optional[int] = None
        controls = (self.size, self.kernel, self.stride, self.padding, self.use_pool, self.pool_kernel,
                    self.pool_stride)
        self._build(controls, [w.HBox([w.VBox(controls[:4]), w.VBox(controls[4:])])], draw)

    def _compute(self) -> str:
        """The result line for the current settings; raises ValueError for impossible ones."""
        W, K, S, P = self.size.value, self.kernel.value, self.stride.value, self.padding.value
        conv = conv_arithmetic(W, K, S, P)
        self.output_size = conv.output
        text = f"conv: ⌊({W} − {K} + 2·{P}) / {S}⌋ + 1 = {conv.output}"
        text += " (exact)" if conv.exact else f" ({conv.remainder} left over, {conv.dropped_input} of them real input)"
        if self.use_pool.value:
            try:
                pooled = pool_output_size(conv.output, self.pool_kernel.value, self.pool_stride.value)
            except ValueError as e:
                raise ValueError(f"pooling: {e}") from None
            self.output_size = pooled
            text += f" → pool: ⌊({conv.output} − {self.pool_kernel.value}) / {self.pool_stride.value}⌋ + 1 = {pooled}"
        return text

    def _reset(self) -> None:
        self.output_size = None

    def _message(self) -> str:
        return f"<b>output size {self.output_size}</b> &nbsp; {html.escape(self.result)}"

    def _figure(self) -> Figure:
        return plot_windows(self.size.value, self.kernel.value, self.stride.value, self.padding.value)


# ----------------------------------------------------------------------------- chapter: ReLU versus tanh


class ActivationExplorer(Explorer):
    """Pick an activation, a depth and a weight scale; see how the gradient fades (or grows) layer by layer.

    Controls are public attributes (`activation`, `depth`, `weight_scale`); after each change `norms` holds
    the gradient norm of every layer (first layer first), `ratio` how many times smaller the first layer's
    gradient is than the last layer's, and `result` the sentence shown under the controls.
    """

    def __init__(self, activation: str = "relu", depth: int = 20, weight_scale: float = 1.41, width: int = 128,
                 draw: bool = True) -> None:
        self.activation = w.Dropdown(options=list(NAMES), value=check_choice("activation", activation, NAMES),
                                     description="activation", style={"description_width": "110px"})
        self.depth = _int_slider("depth", depth, 2, 50, "depth")
        self.weight_scale = _float_slider("weight_scale", weight_scale, 0.5, 3.0, 0.01, "weight scale")
        # Every change recomputes three stacks of `depth` width×width layers: keep that well under a second.
        self.width = check_int("width", width, 1, 1024)
        self.norms: list[float] = []
        self.profiles: dict[str, list[float]] = {}
        self.ratio = float("nan")
        controls = (self.activation, self.depth, self.weight_scale)
        self._build(controls, controls, draw, max_width="620px")

    def _compute(self) -> str:
        """Every activation's gradient profile for the current depth and scale."""
        profiles = {name: gradient_norms(name, self.depth.value, self.width, self.weight_scale.value)
                    for name in NAMES}
        norms = profiles[self.activation.value]
        if not all(math.isfinite(v) for v in norms):
            raise ValueError(f"with weight scale {self.weight_scale.value:.2f} the {self.activation.value} "
                             f"gradient grows past float32's largest number before it reaches the first layer; "
                             f"lower the weight scale or the depth")
        # The other activations' overflowed layers are left out of the drawing (NaN is not plotted).
        self.profiles = {name: [v if math.isfinite(v) else math.nan for v in p] for name, p in profiles.items()}
        self.norms = norms
        self.ratio = gradient_ratio(norms)
        if self.ratio == math.inf:
            how = "exactly 0 (it underflowed float32), infinitely smaller than"
        elif self.ratio >= 1:
            how = f"{self.ratio:.3g} times smaller than"
        else:
            how = f"{1 / self.ratio:.3g} times larger than"
        return (f"{self.activation.value}, {self.depth.value} layers, weight scale "
                f"{self.weight_scale.value:.2f}: the first layer's gradient is {how} the last layer's")

    def _reset(self) -> None:
        self.norms, self.profiles, self.ratio = [], {}, float("nan")

    def _figure(self) -> Figure:
        return plot_gradient_norms(self.profiles, highlight=self.activation.value,
                                   title=f"depth {self.depth.value}, weight scale {self.weight_scale.value:.2f}")


# ----------------------------------------------------------------------------- chapter: dropout


class DropoutExplorer(Explorer):
    """A 16x16 grid of positive activations before and after dropout, with a p slider and a mask seed.

    Controls: `p`, `seed`, `inverted` (scale survivors by 1/(1-p), as PyTorch does; off is the paper's plain
    dropout) and `training` (off is eval mode: the identity for inverted dropout, x(1-p) for the paper's).
    After each change: `before`, `after` (tensors), `mean_before`, `mean_after`, `kept`, `mean_over_masks` (the
    mean after dropout averaged over 1,000 fresh masks, i.e. close to its expectation) and `result`.
    """

    def __init__(self, p: float = 0.5, seed: int = 0, inverted: bool = True, training: bool = True,
                 side: int = 16, draw: bool = True) -> None:
        self.p = _float_slider("p", p, 0.0, 0.9, 0.05, "drop prob. p")
        self.seed = _int_slider("seed", seed, 0, 99, "mask seed")
        self.inverted = _checkbox("inverted", inverted, "inverted (scale by 1/(1-p) in training)")
        self.training = _checkbox("training", training, "training mode")
        side = check_int("side", side, 1, 64, hint=" (the grid is side × side units)")
        # Positive values, like the ReLU outputs that dropout follows in AlexNet's classifier.
        self.before = torch.rand(side, side, generator=torch.Generator().manual_seed(1234)) * 2
        self.after = self.before.clone()
        self.mean_before = float(self.before.mean())
        self.mean_after = self.mean_before
        self.kept = self.before.numel()
        self.mean_over_masks = self.mean_before
        controls = (self.p, self.seed, self.inverted, self.training)
        self._build(controls, [self.p, self.seed, w.HBox([self.inverted, self.training])], draw, max_width="560px")

    def _compute(self) -> str:
        """Apply the mask for the current p and seed and recompute the means."""
        p = self.p.value
        if self.training.value:
            keep = torch.rand(self.before.shape, generator=torch.Generator().manual_seed(self.seed.value)) >= p
            scale = 1 / (1 - p) if self.inverted.value else 1.0
            self.after = self.before * keep * scale
            self.kept = int(keep.sum())
            many = torch.rand((1000, *self.before.shape), generator=torch.Generator().manual_seed(10_000)) >= p
            self.mean_over_masks = float((self.before * many * scale).mean())
            mode = f"training: kept {self.kept} of {keep.numel()} units, survivors × {scale:.3g}"
        else:
            scale = 1.0 if self.inverted.value else 1 - p
            self.after = self.before * scale
            self.kept = self.before.numel()
            self.mean_over_masks = float(self.after.mean())
            mode = f"eval: every unit kept, × {scale:.3g}"
        self.mean_after = float(self.after.mean())
        return (f"{mode}; mean before {self.mean_before:.3f}, after {self.mean_after:.3f} "
                f"(over 1,000 masks: {self.mean_over_masks:.3f})")

    def _figure(self) -> Figure:
        kind = "inverted" if self.inverted.value else "paper's plain"
        return plot_dropout_mask(self.before.numpy(), self.after.numpy(),
                                 title=f"{kind} dropout, p = {self.p.value:.2f}")


# ----------------------------------------------------------------------------- chapter: local response normalisation

#: One pixel's activations across 16 channels: a cluster of strong neighbours (4-6) and a lone peak (10).
LRN_DEMO_PROFILE = (5.0, 2.0, 0.0, 8.0, 90.0, 100.0, 95.0, 4.0, 0.0, 0.0, 100.0, 3.0, 0.0, 6.0, 2.0, 0.0)


def _demo_profile(profile: object) -> torch.Tensor:
    """The channel profile an LRNExplorer starts from: 1 to 64 activations (the demo one when None)."""
    if profile is None:
        return _profile(LRN_DEMO_PROFILE)
    try:
        values = _profile(profile)
    except ValueError:
        values = None
    # Bounded so that scaling by up to 100 and squaring stays far from float64's overflow.
    if values is None or len(values) > 64 or float(values.abs().max()) > 1e6:
        raise ValueError(f"profile={profile!r} must be a sequence of 1 to 64 numbers between -1e6 and 1e6, one "
                         f"activation per channel (or None for the chapter's demo profile)")
    return values


class LRNExplorer(Explorer):
    """Sliders for k, n, alpha, beta and the activation scale on a channel profile; shows a and b = LRN(a).

    Controls are public (`k`, `n`, `alpha`, `beta`, `scale`); after each change `before`, `after`,
    `divisor`, `result` and `error` hold the current state, so tests can drive it without a browser.
    """

    def __init__(self, profile: Optional[tuple] = None, k: float = PAPER_LRN.k, n: int = PAPER_LRN.size,
                 alpha: float = PAPER_LRN.alpha,
                 beta: float = PAPER_LRN.beta, scale: float = 1.0, draw: bool = True) -> None:
        self.profile = _demo_profile(profile)
        self.k = _float_slider("k", k, 0.0, 5.0, 0.1, "k", label_width="120px")
        self.n = _int_slider("n", n, 1, 15, "n (channels)", label_width="120px")
        self.alpha = _log_slider("alpha", alpha, -6, 0, 0.25, "α", ".1e", label_width="120px")
        self.beta = _float_slider("beta", beta, 0.0, 2.0, 0.05, "β", label_width="120px")
        self.scale = _log_slider("scale", scale, -2, 2, 0.25, "activation scale", ".2g", label_width="120px")
        self.before = self.after = self.divisor = None
        controls = (self.k, self.n, self.alpha, self.beta, self.scale)
        self._build(controls, [w.HBox([w.VBox(controls[:3]), w.VBox(controls[3:])])], draw)

    def _compute(self) -> str:
        """Normalise the scaled profile; raises the library's ValueError for impossible settings."""
        params = dict(size=self.n.value, alpha=self.alpha.value, beta=self.beta.value, k=self.k.value)
        before = self.profile * self.scale.value
        after = lrn_profile(before, **params)
        self.before, self.after, self.divisor = before, after, lrn_denominator(before, **params)
        base = self.k.value ** self.beta.value
        strongest = int(after.argmax())
        spread = float(self.divisor.max() / self.divisor.min())
        return (f"divisors from {float(self.divisor.min()):.3g} to {float(self.divisor.max()):.3g} "
                f"(k^β alone: {base:.3g}); strongest output: channel {strongest} "
                f"({float(before[strongest]):.3g} → {float(after[strongest]):.3g}); "
                f"largest/smallest divisor = {spread:.3g}" + (" — LRN is just a constant scale here"
                                                               if spread < 1.01 else ""))

    def _reset(self) -> None:
        self.before = self.after = self.divisor = None

    def _message(self) -> str:
        return html.escape(self.result)

    def _figure(self) -> Figure:
        return plot_lrn_profile(self.before.tolist(), self.after.tolist(), self.k.value, self.beta.value)


# ----------------------------------------------------------------------------- chapter: overlapping pooling


class PoolingExplorer(Explorer):
    """Sliders for the input width W, pooling window z and stride s; shows which inputs each window reads.

    Controls are public (`size`, `window`, `stride`); after each change `output_size`, `coverage`,
    `overlap`, `result` and `error` hold the current state.
    """

    def __init__(self, size: int = 13, window: int = 3, stride: int = 2, draw: bool = True) -> None:
        self.size = _int_slider("size", size, 1, 40, "input W")
        self.window = _int_slider("window", window, 1, 8, "window z")
        self.stride = _int_slider("stride", stride, 1, 8, "stride s")
        self.output_size: Optional[int] = None
        self.coverage: Optional[list] = None
        self.overlap: Optional[int] = None
        controls = (self.size, self.window, self.stride)
        self._build(controls, controls, draw)

    def _compute(self) -> str:
        """Output size, overlap and coverage; raises the library's ValueError for impossible settings."""
        W, z, s = self.size.value, self.window.value, self.stride.value
        self.output_size = pool_output_size(W, z, s)
        self.coverage, self.overlap = pool_coverage(W, z, s), overlap(z, s)
        never = sum(c == 0 for c in self.coverage)
        kind = ("overlapping" if z > s else "non-overlapping" if z == s else "with gaps between windows")
        return (f"⌊({W} − {z}) / {s}⌋ + 1 = {self.output_size} outputs; {kind}: neighbouring windows share "
                f"{self.overlap} input(s); {sum(c > 1 for c in self.coverage)} inputs read by two or more windows, "
                f"{never} never read")

    def _reset(self) -> None:
        self.output_size = self.coverage = self.overlap = None

    def _message(self) -> str:
        return f"<b>output size {self.output_size}</b> &nbsp; {html.escape(self.result)}"

    def _figure(self) -> Figure:
        return plot_pool_coverage(self.size.value, self.window.value, self.stride.value)

"""Checkers for the chapters' exercises: each prints ✅ or ❌ with a hint, returns a bool, and never raises."""

from __future__ import annotations

import numbers
import traceback
from typing import Any, Callable

import torch
from torch import nn

from . import activations as _act
from .layers import LocalResponseNorm
from .model import AlexNetConfig, alexnet_d2l, alexnet_paper
from .normalization import lrn_profile
from .pooling import pool_coverage, receptive_fields
from .shapes import conv_output_size, conv_remainder
from .towers import towers_forward as _towers_forward
from .train import Recipe, lr_at


def _report(ok: bool, success: str, hint: str) -> bool:
    """Print the verdict in the one format every checker uses."""
    print(f"✅ {success}" if ok else f"❌ {hint}")
    return ok


def _call(fn: Callable[..., Any], *args: Any) -> tuple[Any, str]:
    """Call a learner's function; return (result, '') or (None, a one-line description of what it raised)."""
    try:
        return fn(*args), ""
    except NotImplementedError:
        return None, "it raises NotImplementedError: replace that line with your code"
    except Exception as e:  # a learner's bug must become a hint, not a traceback
        frame = traceback.extract_tb(e.__traceback__)[-1]
        return None, f"it raised {type(e).__name__}: {e} (line {frame.lineno})"


# ----------------------------------------------------------------------------- chapter: output size

# (W, K, S, P): exact divisions, floored ones, stride 1, padding larger than the remainder, AlexNet's layers.
OUTPUT_SIZE_CASES = [(227, 11, 4, 0), (224, 11, 4, 0), (224, 11, 4, 2), (224, 11, 4, 1), (55, 3, 2, 0),
                     (27, 5, 1, 2), (13, 3, 1, 1), (13, 3, 2, 0), (7, 7, 1, 0), (10, 3, 3, 0), (28, 5, 2, 2),
                     (1, 1, 1, 0), (32, 4, 5, 3)]


def check_output_size(fn: Callable[[int, int, int, int], Any]) -> bool:
    """Exercise: `fn(W, K, S, P)` must return PyTorch's output size for every case, as an int."""
    if not callable(fn):
        return _report(False, "", f"pass your function itself, e.g. check_output_size(output_size), not {fn!r}")
    for W, K, S, P in OUTPUT_SIZE_CASES:
        got, error = _call(fn, W, K, S, P)
        if error:
            return _report(False, "", f"output_size({W}, {K}, {S}, {P}): {error}")
        want = conv_output_size(W, K, S, P)
        if isinstance(got, bool) or not isinstance(got, int):
            return _report(False, "", f"output_size({W}, {K}, {S}, {P}) returned {got!r} ({type(got).__name__}); "
                                      f"return an int: use // (floor division), not /")
        if got != want:
            hint = ("the formula is (W - K + 2P) // S + 1" if conv_remainder(W, K, S, P) == 0 else
                    "this case does not divide exactly: PyTorch floors, so use // and add 1 afterwards")
            return _report(False, "", f"output_size({W}, {K}, {S}, {P}) returned {got}, PyTorch gives {want}; {hint}")
    return _report(True, f"all {len(OUTPUT_SIZE_CASES)} cases agree with PyTorch, floors included", "")


def check_exact_sizes(fn: Callable[[int, int], Any]) -> bool:
    """Exercise: `fn(lo, hi)` lists the widths W in range(lo, hi) that conv1 (K=11, S=4, P=0) tiles exactly."""
    if not callable(fn):
        return _report(False, "", f"pass your function itself, e.g. check_exact_sizes(exact_sizes), not {fn!r}")
    for lo, hi in ((200, 241), (11, 40)):
        want = [W for W in range(lo, hi) if conv_remainder(W, 11, 4, 0) == 0]
        got, error = _call(fn, lo, hi)
        if error:
            return _report(False, "", f"exact_sizes({lo}, {hi}): {error}")
        try:
            got = sorted(int(s) for s in got)
        except (TypeError, ValueError):
            return _report(False, "", f"exact_sizes({lo}, {hi}) should return a list of integers, got {got!r}")
        extra, missing = sorted(set(got) - set(want)), sorted(set(want) - set(got))
        if extra:
            W = extra[0]
            left = (f"leaves {conv_remainder(W, 11, 4, 0)} pixel(s) uncovered" if W >= 11 else "is smaller than the kernel")
            return _report(False, "", f"exact_sizes({lo}, {hi}) includes {W}, which {left}: exact means "
                                      f"(W - 11) % 4 == 0")
        if missing:
            return _report(False, "", f"exact_sizes({lo}, {hi}) misses {missing[:3]}; test every W in "
                                      f"range(lo, hi) (the end is exclusive)")
    return _report(True, f"exact widths from 200 to 240: {[W for W in range(200, 241) if (W - 11) % 4 == 0]}; "
                         f"224 is not among them, 227 is", "")


def check_fc_share(fn: Callable[[nn.Module], Any]) -> bool:
    """Exercise: `fn(model)` gives the fraction of the model's parameters held by its nn.Linear layers."""
    if not callable(fn):
        return _report(False, "", f"pass your function itself, e.g. check_fc_share(fc_share), not {fn!r}")
    shares = []
    for name, build in (("alexnet_paper()", alexnet_paper), ("alexnet_d2l()", alexnet_d2l)):
        net = build()
        fc = sum(p.numel() for m in net.modules() if isinstance(m, nn.Linear) for p in m.parameters())
        total = sum(p.numel() for p in net.parameters())
        got, error = _call(fn, net)
        if error:
            return _report(False, "", f"fc_share({name}): {error}")
        try:
            value = float(got)
        except (TypeError, ValueError):
            return _report(False, "", f"fc_share({name}) should return a number, got {got!r}")
        if value > 1:
            return _report(False, "", f"fc_share({name}) = {value}: more than 1; give a fraction, not a percent")
        if abs(value - fc / total) > 1e-6:
            hint = ("count weights and biases of every nn.Linear (p.numel() over m.parameters())"
                    if value < fc / total else "count only the nn.Linear layers, over every parameter of the net")
            return _report(False, "", f"fc_share({name}) = {value:.4f}, which is not it; {hint}")
        shares.append(value)
    return _report(True, f"{shares[0]:.1%} of the paper net's parameters sit in its three fully connected layers", "")


# ----------------------------------------------------------------------------- chapter: ReLU versus tanh


def _as_tensor(got: Any, name: str, shape: tuple) -> tuple[Any, str]:
    """`got` as a float tensor of `shape`, or (None, a hint)."""
    if not isinstance(got, torch.Tensor):
        return None, f"{name} returned {type(got).__name__}; return a tensor (use torch operations on x)"
    if tuple(got.shape) != shape:
        return None, f"{name} returned shape {tuple(got.shape)}, expected {shape}: work element-wise on x"
    return got.to(torch.float64), ""


def _probe() -> torch.Tensor:
    """Inputs across the interesting range, zero and large magnitudes included."""
    return torch.cat([torch.linspace(-6, 6, 121), torch.tensor([0.0, -20.0, 20.0, 1e-4, -1e-4])]).to(torch.float64)


def check_relu(fn: Callable[[torch.Tensor], Any]) -> bool:
    """Exercise: `fn(x)` must compute max(0, x) element-wise, like torch.relu."""
    if not callable(fn):
        return _report(False, "", f"pass your function itself, e.g. check_relu(relu), not {fn!r}")
    x = _probe()
    got, error = _call(fn, x.clone())
    if error:
        return _report(False, "", f"relu(x): {error}")
    got, hint = _as_tensor(got, "relu(x)", tuple(x.shape))
    if hint:
        return _report(False, "", hint)
    want = torch.relu(x)
    bad = (got - want).abs() > 1e-9
    if bad.any():
        i = int(bad.nonzero()[0])
        tip = ("negative inputs must give 0" if x[i] < 0 else "positive inputs must pass through unchanged")
        return _report(False, "", f"relu({float(x[i]):g}) gave {float(got[i]):g}, expected {float(want[i]):g}: {tip}")
    got2, _ = _call(fn, torch.tensor([[-1.0, 2.0], [3.0, -4.0]]))
    if not isinstance(got2, torch.Tensor) or got2.shape != (2, 2):
        return _report(False, "", "relu must keep the shape of x (try it on a 2x2 tensor)")
    return _report(True, f"relu agrees with torch.relu on {len(x)} inputs, including 0 and ±20", "")


def check_tanh_grad(fn: Callable[[torch.Tensor], Any]) -> bool:
    """Exercise: `fn(x)` must give the derivative of tanh at x, computed from tanh itself."""
    if not callable(fn):
        return _report(False, "", f"pass your function itself, e.g. check_tanh_grad(tanh_grad), not {fn!r}")
    x = _probe()
    got, error = _call(fn, x.clone())
    if error:
        return _report(False, "", f"tanh_grad(x): {error}")
    got, hint = _as_tensor(got, "tanh_grad(x)", tuple(x.shape))
    if hint:
        return _report(False, "", hint)
    xs = x.clone().requires_grad_(True)
    torch.tanh(xs).sum().backward()
    want = xs.grad
    bad = (got - want).abs() > 1e-6
    if bad.any():
        i = int(bad.nonzero()[0])
        tip = ("you returned 1 - tanh(x): square tanh first" if torch.allclose(got, 1 - torch.tanh(x), atol=1e-6)
               else "differentiate tanh: d/dx tanh(x) = 1 - tanh(x)**2")
        return _report(False, "", f"tanh_grad({float(x[i]):g}) gave {float(got[i]):.6g}, autograd says "
                                  f"{float(want[i]):.6g}; {tip}")
    return _report(True, f"tanh'(0) = {float(got[x == 0][0]):g} and tanh'(±6) = {float(got[0]):.1e}: "
                         f"it agrees with autograd everywhere", "")


def _first_depth_below(limit: float, max_depth: int = 30) -> int:
    """The smallest depth whose sigmoid stack has a first-layer gradient below `limit` x the last layer's."""
    for depth in range(1, max_depth + 1):
        norms = _act.gradient_norms("sigmoid", depth=depth)
        if norms[0] < limit * norms[-1]:
            return depth
    return -1


def check_vanishing_depth(fn: Callable[[float], Any]) -> bool:
    """Exercise: `fn(limit)` is the smallest depth where a sigmoid stack's first-layer gradient < limit x its last."""
    if not callable(fn):
        return _report(False, "", f"pass your function itself, e.g. check_vanishing_depth(vanishing_depth), not {fn!r}")
    answers = []
    for limit in (1e-3, 1e-6):
        want = _first_depth_below(limit)
        got, error = _call(fn, limit)
        if error:
            return _report(False, "", f"vanishing_depth({limit:g}): {error}")
        if isinstance(got, bool) or not isinstance(got, int):
            return _report(False, "", f"vanishing_depth({limit:g}) returned {got!r}; return the depth as an int")
        if got != want:
            tip = ("too deep: test the depths in increasing order and stop at the first one that qualifies"
                   if got > want else "too shallow: compare norms[0] with limit * norms[-1] for that depth")
            return _report(False, "", f"vanishing_depth({limit:g}) returned {got}; {tip}")
        answers.append(want)
    return _report(True, f"with sigmoid, the first layer gets less than 1/1000 of the last layer's gradient from "
                         f"depth {answers[0]} on, less than a millionth from depth {answers[1]}", "")


# ----------------------------------------------------------------------------- chapter: dropout


def check_dropout(fn: Callable[[torch.Tensor, float], Any]) -> bool:
    """Exercise: `fn(x, p)` is inverted dropout: zero each element with probability p, scale the rest by 1/(1-p)."""
    if not callable(fn):
        return _report(False, "", f"pass your function itself, e.g. check_dropout(dropout), not {fn!r}")
    x = torch.rand(1000, 1000, generator=torch.Generator().manual_seed(0)) + 0.5
    for p in (0.5, 0.2, 0.8):
        torch.manual_seed(1)
        got, error = _call(fn, x.clone(), p)
        if error:
            return _report(False, "", f"dropout(x, {p}): {error}")
        if not isinstance(got, torch.Tensor) or got.shape != x.shape:
            return _report(False, "", f"dropout(x, {p}) must return a tensor shaped like x {tuple(x.shape)}")
        got = got.to(torch.float64)
        xd = x.to(torch.float64)
        zero = got == 0
        dropped = float(zero.to(torch.float64).mean())
        if abs(dropped - p) > 0.01:
            return _report(False, "", f"dropout(x, {p}) zeroed {dropped:.1%} of the elements; it should zero a "
                                      f"fraction p = {p:.0%} (keep where torch.rand(...) >= p)")
        kept = ~zero
        ratio = got[kept] / xd[kept]
        if not torch.allclose(ratio, torch.full_like(ratio, 1 / (1 - p)), rtol=1e-4):
            tip = ("the survivors are not scaled: divide them by 1 - p" if torch.allclose(ratio, torch.ones_like(ratio))
                   else f"every survivor should be multiplied by exactly 1/(1-p) = {1 / (1 - p):.4g}")
            return _report(False, "", f"dropout(x, {p}): {tip}")
        if abs(float(got.mean()) / float(xd.mean()) - 1) > 0.01:
            return _report(False, "", f"dropout(x, {p}) changed the mean from {float(xd.mean()):.3f} to "
                                      f"{float(got.mean()):.3f}")
    got, error = _call(fn, x.clone(), 0.0)
    if error or not isinstance(got, torch.Tensor) or not torch.equal(got, x):
        return _report(False, "", f"dropout(x, 0) must return x unchanged{': ' + error if error else ''}")
    return _report(True, "drops a fraction p, scales survivors by 1/(1-p), keeps the mean within 1%, and p=0 is "
                         "the identity", "")


def check_keep_scale(fn: Callable[[float], Any]) -> bool:
    """Exercise: `fn(p)` is the factor for the survivors that keeps the expected value of a unit unchanged."""
    if not callable(fn):
        return _report(False, "", f"pass your function itself, e.g. check_keep_scale(keep_scale), not {fn!r}")
    for p in (0.0, 0.1, 0.5, 0.75, 0.9):
        got, error = _call(fn, p)
        if error:
            return _report(False, "", f"keep_scale({p}): {error}")
        try:
            value = float(got)
        except (TypeError, ValueError):
            return _report(False, "", f"keep_scale({p}) should return a number, got {got!r}")
        if abs(value - 1 / (1 - p)) > 1e-9:
            tip = ("that is the probability of keeping a unit; the survivors must make up for the dropped ones"
                   if abs(value - (1 - p)) < 1e-9 else
                   "a unit survives with probability 1-p, so E[scale * mask * x] = scale * (1-p) * x")
            return _report(False, "", f"keep_scale({p}) = {value:g}; {tip}")
    return _report(True, "1/(1-p): with p = 0.5 the survivors are doubled, exactly what nn.Dropout does", "")


def check_paper_test_time(fn: Callable[[torch.Tensor, float], Any]) -> bool:
    """Exercise: `fn(h, p)` is the paper's test-time output for a unit trained with plain (unscaled) dropout."""
    if not callable(fn):
        return _report(False, "", f"pass your function itself, e.g. check_paper_test_time(paper_test_time), not {fn!r}")
    h = torch.rand(64, generator=torch.Generator().manual_seed(0)) + 0.5
    for p in (0.5, 0.3):
        got, error = _call(fn, h.clone(), p)
        if error:
            return _report(False, "", f"paper_test_time(h, {p}): {error}")
        if not isinstance(got, torch.Tensor) or got.shape != h.shape:
            return _report(False, "", f"paper_test_time(h, {p}) must return a tensor shaped like h")
        # The expectation of plain dropout over masks, estimated from 20,000 of them.
        masks = torch.rand(20_000, *h.shape, generator=torch.Generator().manual_seed(1)) >= p
        expected = (h * masks).mean(0)
        if not torch.allclose(got.to(expected.dtype), expected, atol=0.02):
            tip = ("that is inverted dropout's training-time scale; at test time the paper shrinks instead"
                   if torch.allclose(got, h / (1 - p)) else
                   "eval mode uses every unit, so scale it by the probability it was present in training")
            return _report(False, "", f"paper_test_time(h, {p}) differs from the average over 20,000 dropout "
                                      f"masks; {tip}")
    return _report(True, "h × (1 - p): for p = 0.5 the paper's ×0.5, equal to the average over dropout masks", "")


# ----------------------------------------------------------------------------- chapter: local response normalisation

# (profile, n, alpha, beta, k): the paper's values, edges, an isolated peak, a wide window, k=1 and beta=1.
LRN_CASES = [([0.0, 10.0, 100.0, 10.0, 0.0, 0.0, 50.0], 5, 1e-4, 0.75, 2.0),
             ([80.0, 90.0, 5.0], 5, 1e-4, 0.75, 2.0),
             ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 3, 0.01, 0.5, 1.0),
             ([30.0, 0.0, 0.0, 0.0, 0.0, 30.0, 30.0, 30.0], 7, 1e-3, 1.0, 2.0),
             ([7.0], 1, 0.1, 0.75, 2.0)]


def _as_floats(values: Any) -> list:
    """A learner's result as a flat list of floats, or raise TypeError/ValueError."""

    if isinstance(values, torch.Tensor):
        values = values.detach().flatten().tolist()
    return [float(v) for v in values]


def check_lrn_1d(fn: Callable[[list, int, float, float, float], Any]) -> bool:
    """Exercise: `fn(a, n, alpha, beta, k)` normalises one pixel's channel profile `a` as the paper does."""

    if not callable(fn):
        return _report(False, "", f"pass your function itself, e.g. check_lrn_1d(lrn_1d), not {fn!r}")
    for a, n, alpha, beta, k in LRN_CASES:
        got, error = _call(fn, list(a), n, alpha, beta, k)
        call = f"lrn_1d({a}, n={n}, alpha={alpha}, beta={beta}, k={k})"
        if error:
            return _report(False, "", f"{call}: {error}")
        want = lrn_profile(a, n, alpha, beta, k).tolist()
        try:
            got = _as_floats(got)
        except (TypeError, ValueError):
            return _report(False, "", f"{call} should return a list of numbers, got {got!r}")
        if len(got) != len(want):
            return _report(False, "", f"{call} returned {len(got)} values for {len(a)} channels; one per channel")
        bad = [i for i, (g, v) in enumerate(zip(got, want)) if abs(g - v) > 1e-6 * max(1.0, abs(v))]
        if bad:
            half = (n - 1) // 2
            interior = [j for j in bad if half <= j < len(a) - half]
            i = interior[0] if interior else bad[0]
            edge = not interior
            hint = ("near the edges the window is clipped: sum over max(0, i - n//2) .. min(C-1, i + n//2)" if edge
                    else "b_i = a_i / (k + alpha * sum of a_j**2 over the n channels centred on i) ** beta; "
                         "the sum includes a_i itself, and alpha is not divided by n")
            return _report(False, "", f"{call}: channel {i} is {got[i]:.6g}, expected {want[i]:.6g}; {hint}")
    return _report(True, f"all {len(LRN_CASES)} profiles match the paper's formula, edges included", "")


def check_torch_lrn(fn: Callable[[int, float, float, float], Any]) -> bool:
    """Exercise: `fn(n, alpha, beta, k)` returns kwargs for nn.LocalResponseNorm that compute the paper's LRN."""


    if not callable(fn):
        return _report(False, "", f"pass your function itself, e.g. check_torch_lrn(paper_to_torch), not {fn!r}")
    x = torch.randn(2, 16, 3, 3, generator=torch.Generator().manual_seed(0)) * 30
    for n, alpha, beta, k in ((5, 1e-4, 0.75, 2.0), (3, 1e-3, 0.5, 1.0), (7, 2e-5, 1.0, 2.0)):
        got, error = _call(fn, n, alpha, beta, k)
        call = f"paper_to_torch({n}, {alpha}, {beta}, {k})"
        if error:
            return _report(False, "", f"{call}: {error}")
        if not isinstance(got, dict):
            return _report(False, "", f"{call} should return a dict of keyword arguments, got {got!r}")
        try:
            theirs = nn.LocalResponseNorm(**got)(x)
        except Exception as e:  # wrong keyword names or values must become a hint
            return _report(False, "", f"nn.LocalResponseNorm(**{got}) failed: {type(e).__name__}: {e}; "
                                      f"its arguments are size, alpha, beta, k")
        ours = LocalResponseNorm(n, alpha, beta, k)(x)
        if not torch.allclose(ours, theirs, rtol=1e-5, atol=1e-5):
            hint = ("PyTorch divides alpha by size, so pass the paper's alpha multiplied by n"
                    if abs(float(got.get("alpha", 0)) - alpha) < 1e-12 else
                    "keep size=n, beta and k as they are; only alpha changes (alpha * n)")
            return _report(False, "", f"{call} = {got} does not reproduce the paper's layer; {hint}")
    return _report(True, "nn.LocalResponseNorm(size=n, alpha=alpha*n, beta=beta, k=k) is the paper's layer", "")


def check_activation_for_share(fn: Callable[[float, int, float, float], Any]) -> bool:
    """Exercise: `fn(share, n, alpha, k)` is the activation a at which n equal channels make alpha*sum that share."""
    import math

    if not callable(fn):
        return _report(False, "", f"pass your function itself, e.g. check_activation_for_share(activation_for), "
                                  f"not {fn!r}")
    for share, n, alpha, k in ((0.5, 5, 1e-4, 2.0), (0.1, 5, 1e-4, 2.0), (0.9, 3, 1e-3, 1.0), (0.5, 5, 2e-5, 1.0)):
        want = math.sqrt(share * k / ((1 - share) * alpha * n))
        got, error = _call(fn, share, n, alpha, k)
        call = f"activation_for({share}, n={n}, alpha={alpha}, k={k})"
        if error:
            return _report(False, "", f"{call}: {error}")
        try:
            value = float(got)
        except (TypeError, ValueError):
            return _report(False, "", f"{call} should return a number, got {got!r}")
        if not math.isfinite(value) or abs(value - want) > 1e-6 * want:
            hint = ("solve alpha*n*a**2 / (k + alpha*n*a**2) = share for a: a**2 = share*k / ((1-share)*alpha*n)")
            return _report(False, "", f"{call} = {value:.6g}, expected {want:.6g}; {hint}")
    return _report(True, f"with the paper's values, activations must reach about "
                         f"{math.sqrt(2 / 5e-4):.0f} before the neighbours make up half of the divisor's base", "")


# ----------------------------------------------------------------------------- chapter: overlapping pooling


def check_pool_coverage(fn: Callable[[int, int, int], Any]) -> bool:
    """Exercise: `fn(W, z, s)` lists, for each of the W inputs, how many pooling windows read it."""

    if not callable(fn):
        return _report(False, "", f"pass your function itself, e.g. check_pool_coverage(coverage), not {fn!r}")
    for W, z, s in ((13, 3, 2), (13, 2, 2), (10, 3, 3), (9, 4, 1), (55, 3, 2), (6, 2, 3), (3, 3, 2)):
        want = pool_coverage(W, z, s)
        got, error = _call(fn, W, z, s)
        call = f"coverage({W}, {z}, {s})"
        if error:
            return _report(False, "", f"{call}: {error}")
        try:
            got = [int(c) for c in got]
        except (TypeError, ValueError):
            return _report(False, "", f"{call} should return a list of integers, got {got!r}")
        if got != want:
            if len(got) != W:
                return _report(False, "", f"{call} has {len(got)} entries; give one count per input position ({W})")
            i = next(i for i, (g, v) in enumerate(zip(got, want)) if g != v)
            return _report(False, "", f"{call}: input {i} is read by {want[i]} window(s), you said {got[i]}; "
                                      f"there are (W - z) // s + 1 windows, window j reads inputs j*s .. j*s + z - 1")
    return _report(True, "all coverages right: with z=3, s=2 every other input is read twice", "")


def check_receptive_field(fn: Callable[[list], Any]) -> bool:
    """Exercise: `fn(layers)` gives the receptive field (input pixels) after a stack of (kernel, stride) layers."""

    if not callable(fn):
        return _report(False, "", f"pass your function itself, e.g. check_receptive_field(receptive_field), "
                                  f"not {fn!r}")
    cases = [([(3, 1)], 3), ([(3, 1), (3, 1)], 5), ([(2, 2), (2, 2)], 4), ([(11, 4), (3, 2)], 19)]
    for z, s in ((3, 2), (2, 2)):
        rows = receptive_fields(AlexNetConfig(pool_kernel=z, pool_stride=s))
        cases.append(([(r.kernel, r.stride) for r in rows], rows[-1].receptive_field))
    for layers, want in cases:
        got, error = _call(fn, list(layers))
        call = f"receptive_field({layers if len(layers) < 4 else 'AlexNet'})"
        if error:
            return _report(False, "", f"{call}: {error}")
        if isinstance(got, bool) or not isinstance(got, int) or got != want:
            return _report(False, "", f"{call} = {got!r}, expected {want}; start from r=1 and jump=1, and per layer "
                                      f"do r += (kernel - 1) * jump, then jump *= stride")
    return _report(True, f"AlexNet's pool3 sees {cases[-2][1]} input pixels with z=3 and {cases[-1][1]} with z=2", "")


def check_max_pool_1d(fn: Callable[[list, int, int], Any]) -> bool:
    """Exercise: `fn(values, z, s)` is 1-D max pooling without padding, as F.max_pool1d computes it."""
    import torch.nn.functional as F

    if not callable(fn):
        return _report(False, "", f"pass your function itself, e.g. check_max_pool_1d(max_pool_1d), not {fn!r}")
    values = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0, 5.0]
    for z, s in ((3, 2), (2, 2), (3, 3), (1, 1), (4, 1), (11, 1)):
        want = F.max_pool1d(torch.tensor([[values]]), z, s).flatten().tolist()
        got, error = _call(fn, list(values), z, s)
        call = f"max_pool_1d(values, z={z}, s={s})"
        if error:
            return _report(False, "", f"{call}: {error}")
        try:
            got = _as_floats(got)
        except (TypeError, ValueError):
            return _report(False, "", f"{call} should return a list of numbers, got {got!r}")
        if got != want:
            hint = (f"there are (W - z) // s + 1 = {len(want)} windows; a window that would run past the end is "
                    f"dropped" if len(got) != len(want) else "window j covers values[j*s : j*s + z]")
            return _report(False, "", f"{call} = {got}, expected {want}; {hint}")
    return _report(True, "your max pooling matches F.max_pool1d on every window and stride", "")


# ----------------------------------------------------------------------------- chapter: the whole network


# (in, out, kernel, groups): the paper's grouped and ungrouped convolutions, plus groups other than 2.
GROUPED_PARAMS_CASES = [(96, 256, 5, 2), (96, 256, 5, 1), (3, 96, 11, 1), (256, 384, 3, 1), (384, 384, 3, 2),
                        (384, 256, 3, 2), (8, 4, 3, 4), (6, 12, 1, 3)]


def check_grouped_conv_params(fn: Callable[[int, int, int, int], Any]) -> bool:
    """Exercise: `fn(c_in, c_out, k, groups)` gives the parameters (weights and biases) of a grouped convolution."""
    if not callable(fn):
        return _report(False, "", f"pass your function itself, e.g. check_grouped_conv_params(conv_params), "
                                  f"not {fn!r}")
    for c_in, c_out, k, g in GROUPED_PARAMS_CASES:
        want = sum(p.numel() for p in nn.Conv2d(c_in, c_out, k, groups=g).parameters())
        call = f"conv_params({c_in}, {c_out}, {k}, {g})"
        got, error = _call(fn, c_in, c_out, k, g)
        if error:
            return _report(False, "", f"{call}: {error}")
        if isinstance(got, bool) or not isinstance(got, numbers.Integral):
            return _report(False, "", f"{call} returned {got!r}; return an int (use // to divide by groups)")
        if got != want:
            weights = c_out * (c_in // g) * k * k
            if got == weights:
                tip = "add the biases: one per output channel"
            elif got == c_out * c_in * k * k + c_out:
                tip = "that is the ungrouped count: each output channel sees only in/groups input channels"
            else:
                tip = "each of the out channels has (in/groups) × k × k weights and one bias"
            return _report(False, "", f"{call} returned {got}, PyTorch counts {want}; {tip}")
    return _report(True, "your count matches PyTorch for every case: groups=2 halves a convolution's weights", "")


def _tower_cases() -> list[tuple[nn.Conv2d, torch.Tensor]]:
    """Grouped convolutions of different shapes (the paper's conv2 among them), with inputs, all seeded."""
    gen = torch.Generator().manual_seed(0)
    cases = []
    for c_in, c_out, k, stride, padding, size in ((96, 256, 5, 1, 2, 27), (8, 6, 3, 2, 0, 9), (4, 10, 3, 1, 1, 5)):
        with torch.random.fork_rng(devices=[]):  # building a layer draws from the learner's global RNG
            conv = nn.Conv2d(c_in, c_out, k, stride=stride, padding=padding, groups=2)
        with torch.no_grad():  # seeded weights, the same on every run
            conv.weight.copy_(0.1 * torch.randn(conv.weight.shape, generator=gen))
            conv.bias.copy_(torch.randn(conv.bias.shape, generator=gen))
        cases.append((conv, torch.randn(2, c_in, size, size, generator=gen)))
    return cases


def check_make_towers(fn: Callable[[nn.Conv2d], Any]) -> bool:
    """Exercise: `fn(conv)` turns a groups=2 convolution into two ordinary nn.Conv2d towers with the same output."""
    if not callable(fn):
        return _report(False, "", f"pass your function itself, e.g. check_make_towers(make_towers), not {fn!r}")
    for conv, x in _tower_cases():
        call = f"make_towers(Conv2d({conv.in_channels}, {conv.out_channels}, {conv.kernel_size[0]}, " \
               f"stride={conv.stride[0]}, padding={conv.padding[0]}, groups=2))"
        got, error = _call(fn, conv)
        if error:
            return _report(False, "", f"{call}: {error}")
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            return _report(False, "", f"{call} should return two convolutions (tower_a, tower_b), got {got!r}")
        for name, tower in zip(("tower_a", "tower_b"), got):
            if not isinstance(tower, nn.Conv2d) or tower.groups != 1:
                return _report(False, "", f"{call}: {name} must be an ordinary nn.Conv2d (groups=1), got {tower!r}")
            if (tower.in_channels, tower.out_channels) != (conv.in_channels // 2, conv.out_channels // 2):
                return _report(False, "", f"{call}: {name} maps {tower.in_channels} -> {tower.out_channels} "
                                          f"channels; each tower takes half the inputs ({conv.in_channels // 2}) "
                                          f"and makes half the outputs ({conv.out_channels // 2})")
        with torch.no_grad():
            want = conv(x)
            try:
                out = _towers_forward(x, *got)
            except Exception as e:  # a learner's tower that cannot run becomes a hint
                return _report(False, "", f"{call}: running the towers failed: {e}")
            if out.shape != want.shape:
                return _report(False, "", f"{call}: the towers give shape {tuple(out.shape)}, the grouped conv "
                                          f"{tuple(want.shape)}; copy kernel_size, stride and padding")
            diff = float((out - want).abs().max())
            if diff > 1e-5:
                half = conv.out_channels // 2
                a_weight = got[0].weight
                swapped = a_weight.shape == conv.weight[half:].shape and torch.allclose(a_weight, conv.weight[half:])
                tip = ("the halves are swapped: tower_a gets the first half of the output channels"
                       if swapped else
                       "copy conv.weight[:out//2] and conv.bias[:out//2] into tower_a, the rest into tower_b")
                return _report(False, "", f"{call}: outputs differ by up to {diff:.3g}; {tip}")
    return _report(True, "your two towers reproduce the grouped convolution on all three shapes", "")


FLATTEN_CASES = (227, 224, 256, 195, 320)


def check_flatten_size(fn: Callable[[int], Any]) -> bool:
    """Exercise: `fn(W)` gives how many numbers enter FC1 of the paper's network for a W×W input."""
    if not callable(fn):
        return _report(False, "", f"pass your function itself, e.g. check_flatten_size(flatten_size), not {fn!r}")
    for size in FLATTEN_CASES:
        config = AlexNetConfig(input_size=size)
        want, side = config.flatten_features, config.feature_size
        got, error = _call(fn, size)
        if error:
            return _report(False, "", f"flatten_size({size}): {error}")
        if isinstance(got, bool) or not isinstance(got, numbers.Integral):
            return _report(False, "", f"flatten_size({size}) returned {got!r}; return an int (use //)")
        if got != want:
            tip = ("multiply by the 256 channels of conv5" if got == side * side else
                   "walk all eight layers: conv1 (11, stride 4, no padding), pool (3, 2), conv2 (5, pad 2), pool, "
                   "conv3-5 (3, pad 1), pool; then channels × side × side")
            return _report(False, "", f"flatten_size({size}) returned {got}, expected {want} (256×{side}×{side}); "
                                      f"{tip}")
    a, b = AlexNetConfig(input_size=227), AlexNetConfig(input_size=224)
    return _report(True, f"{a.flatten_features:,} for 227 but {b.flatten_features:,} for 224: three pixels of input "
                         f"change FC1 by {(a.flatten_features - b.flatten_features) * a.hidden:,} weights", "")


# ----------------------------------------------------------------------------- chapter: training


def _random_confusions() -> list[torch.Tensor]:
    """Seeded confusion matrices: 10 classes like Fashion-MNIST, a small one, and one with an empty class."""
    g = torch.Generator().manual_seed(0)
    mats = [torch.randint(0, 50, (10, 10), generator=g) + torch.diag(torch.randint(200, 900, (10,), generator=g)),
            torch.tensor([[5, 1, 0], [2, 7, 1], [0, 3, 9]])]
    empty = mats[0].clone()
    empty[3] = 0  # a class with no test images must not crash a per-class accuracy
    return mats + [empty]


def check_accuracy_from_confusion(fn: Callable[[torch.Tensor], Any]) -> bool:
    """Exercise: `fn(confusion)` gives the overall accuracy (correct / all) of a confusion matrix."""
    if not callable(fn):
        return _report(False, "", f"pass your function itself, e.g. check_accuracy_from_confusion(accuracy), not {fn!r}")
    for c in _random_confusions():
        want = float(c.diag().sum()) / float(c.sum())
        got, error = _call(fn, c.clone())
        if error:
            return _report(False, "", f"accuracy(confusion {tuple(c.shape)}): {error}")
        try:
            value = float(got)
        except (TypeError, ValueError):
            return _report(False, "", f"return one number, got {got!r}")
        if abs(value - want) > 1e-6:  # float32 arithmetic is fine
            tip = ("divide by every prediction, c.sum(), not by the number of classes" if value > 1 else
                   "the correct predictions are the diagonal: c.diag().sum()")
            return _report(False, "", f"got {value:.4f}, expected {want:.4f}; {tip}")
    return _report(True, "the diagonal over the total, on all three matrices", "")


def check_per_class_accuracy(fn: Callable[[torch.Tensor], Any]) -> bool:
    """Exercise: `fn(confusion)` gives, per true class (row), the share predicted correctly; 0 for an empty row."""
    if not callable(fn):
        return _report(False, "", f"pass your function itself, e.g. check_per_class_accuracy(per_class), not {fn!r}")
    for c in _random_confusions():
        rows = c.sum(1).double()
        want = torch.where(rows > 0, c.diag().double() / rows.clamp_min(1), torch.zeros_like(rows))
        got, error = _call(fn, c.clone())
        if error:
            return _report(False, "", f"per_class(confusion {tuple(c.shape)}): {error}")
        try:
            got = torch.as_tensor(got, dtype=torch.float64).flatten()
        except (TypeError, ValueError, RuntimeError):
            return _report(False, "", f"return one number per class, got {got!r}")
        if got.shape != want.shape:
            return _report(False, "", f"expected {len(want)} values (one per class), got {len(got)}")
        if torch.isnan(got).any():
            return _report(False, "", "a class with no test images gave NaN: return 0 for an empty row")
        if not torch.allclose(got, want, atol=1e-6):
            cols = c.diag().double() / c.sum(0).double().clamp_min(1)
            tip = ("you divided by the column sums (that is precision); divide by the row sums, the true classes"
                   if torch.allclose(got, cols, atol=1e-6) else "divide each diagonal entry by the sum of its row")
            return _report(False, "", f"values differ from the expected {want[:3].tolist()}…; {tip}")
    return _report(True, "each class's diagonal entry over its row, empty classes included", "")


def check_warmup_cosine(fn: Callable[[int, int, float, float], Any]) -> bool:
    """Exercise: `fn(step, total, peak, warmup)` gives the `fast` recipe's learning rate at a step."""

    if not callable(fn):
        return _report(False, "", f"pass your function itself, e.g. check_warmup_cosine(lr_schedule), not {fn!r}")
    for total, peak, warmup in ((100, 0.03, 0.15), (750, 0.05, 0.1), (40, 0.01, 0.5)):
        recipe = Recipe("exercise", lr=peak, schedule="onecycle", warmup=warmup)
        for step in sorted({0, 1, int(warmup * total) - 1, int(warmup * total), total // 2, total - 1}):
            want = lr_at(recipe, step, total)
            got, error = _call(fn, step, total, peak, warmup)
            if error:
                return _report(False, "", f"lr_schedule({step}, {total}, {peak}, {warmup}): {error}")
            try:
                value = float(got)
            except (TypeError, ValueError):
                return _report(False, "", f"return one number, got {got!r}")
            if abs(value - want) > 1e-9 * max(1.0, peak):
                warm = max(1, int(warmup * total))
                tip = (f"during warmup (step < {warm}) rise linearly: peak * (step + 1) / {warm}" if step < warm else
                       "after warmup: peak * 0.5 * (1 + cos(pi * (step - warm) / (total - warm)))")
                return _report(False, "", f"lr_schedule({step}, {total}, {peak}, {warmup}) = {value:.6g}, "
                                          f"expected {want:.6g}; {tip}")
    return _report(True, "your schedule matches alexnet_lib.train.lr_at at every checked step", "")

"""The ReLU/tanh chapter's init-scale explorer: its reference is the library's `unit_fractions` on the experiment's
`four_layer_net`, it shows what the chapter says the paper's N(0, 0.01) does, and the browser's JavaScript computes
the same numbers (headless Chromium, as tests/book/test_live.py does for the other explorers)."""

from __future__ import annotations

import base64

import pytest
import torch
from torch import nn

from alexnet_lib.book.init_scale import (
    STAGES,
    InitScaleExplorer,
    batch_pixels,
    first_of_each_class,
    init_scale_profile,
    normalized,
    weighted_net,
)
from alexnet_lib.book.live.prng import normals
from alexnet_lib.data.fashion_mnist import load_fashion_mnist, normalize
from alexnet_lib.net.activations import four_layer_net, unit_fractions
from tests.book import test_live
from tests.book.live_cases import differences, move_every_control
from tests.book.test_live import _in_browser, _sample, _show

#: test_live.py's fixture: a blank page, console errors collected in `page.errors` (tests ask for it by name).
page = test_live.page


@pytest.fixture(scope="module")
def explorer() -> InitScaleExplorer:
    """The explorer at the chapter's defaults (loading its ten images once)."""
    return InitScaleExplorer()


def _at(explorer: InitScaleExplorer, **changes) -> dict:
    return explorer.reference(dict(explorer.settings, **changes))


def test_the_batch_is_the_first_test_image_of_each_class(explorer):
    labels = load_fashion_mnist().test_labels
    assert [int(labels[i]) for i in first_of_each_class()] == list(range(10))
    assert batch_pixels().shape == (10, 28, 28) and explorer.images.shape == (10, 1, 28, 28)
    data = explorer.data()
    assert data["count"] == 10 and data["side"] == 28 and len(base64.b64decode(data["pixels"])) == 10 * 28 * 28
    # The page carries the uint8 pixels and normalises them in float64; the library's normalize does it in float32.
    assert torch.allclose(normalized(batch_pixels()).float(), normalize(batch_pixels())[:, None], atol=1e-6)


def test_the_data_describes_the_experiments_network(explorer):
    data = explorer.data()
    assert [(c["in"], c["out"], c["kernel"], c["padding"]) for c in data["convs"]] == [(1, 16, 5, 2), (16, 32, 5, 2),
                                                                                      (32, 32, 3, 1)]
    assert data["linear"] == {"in": 288, "out": 10} and data["stages"] == list(STAGES)
    assert str(weighted_net("tanh", 0.01, True, 0)) == str(four_layer_net("tanh", 16))


def test_the_weights_follow_the_documented_order():
    net = weighted_net("relu", 0.1, True, 4)
    layers = [m for m in net if isinstance(m, (nn.Conv2d, nn.Linear))]
    stream = torch.from_numpy(normals(4, sum(m.weight.numel() for m in layers)))
    assert torch.equal(layers[0].weight.flatten(), stream[:400] * 0.1)
    assert torch.equal(layers[-1].weight.flatten(), stream[-2880:] * 0.1)
    assert [float(m.bias.detach().abs().max()) for m in layers] == [0.0, 1.0, 0.0, 0.0]
    off = weighted_net("relu", 0.1, False, 4)
    assert all(float(m.bias.detach().abs().max()) == 0 for m in off if hasattr(m, "bias"))


@pytest.mark.parametrize("activation, std, bias", [("relu", 0.01, True), ("relu", 0.01, False), ("tanh", 0.01, True),
                                                   ("tanh", 1.0, False), ("tanh", 10 ** -0.5, True),
                                                   ("relu", 1.0, True)])
def test_each_layer_is_what_unit_fractions_measures(explorer, activation, std, bias):
    ours = init_scale_profile(activation, std, bias, 2, explorer.images)
    net, h = weighted_net(activation, std, bias, 2), explorer.images
    for layer in range(3):
        block = net[3 * layer:3 * layer + 2]  # the convolution and its activation, alone
        theirs = unit_fractions(block, h)
        pairs = block(h)[0].numel() * len(h)
        # unit_fractions takes the slope in float32, the explorer in float64: a pre-activation within float32's
        # rounding of the threshold (tanh: |h| near 2.993) may count on one side only. One such pair moves the
        # saturated share by 1/pairs and may flip its unit's "dead", 10/pairs (10 images).
        assert abs(ours["saturated"][layer] - theirs["saturated"]) <= 1 / pairs + 1e-12, (layer, ours, theirs)
        assert abs(ours["dead"][layer] - theirs["dead"]) <= 10 / pairs + 1e-12, (layer, ours, theirs)
        with torch.no_grad():
            h = net[3 * layer:3 * layer + 3](h)


def test_the_papers_init_leaves_the_logits_nearly_the_same_for_every_image(explorer):
    for activation in ("relu", "tanh"):
        for bias in (True, False):
            paper = _at(explorer, activation=activation, conv2_bias=bias)
            assert paper["spread"][-1] < 1e-3, (activation, bias, paper["spread"])  # the input's spread is 0.82
            assert paper["spread"][0] > 0.5
    # With conv2's bias of 1 almost none of what differs from image to image is left in the logits.
    assert _at(explorer)["share"][-1] < 0.02 and _at(explorer, conv2_bias=False)["share"][-1] > 0.3
    assert _at(explorer, std=10 ** -0.5)["spread"][-1] > 10  # a large std: the logits do depend on the image


def test_the_bias_of_one_keeps_conv2s_relus_on_and_kills_conv3s_for_every_image(explorer):
    on, off = _at(explorer), _at(explorer, conv2_bias=False)
    assert on["saturated"][1] == 0 and off["saturated"][1] > 0.3
    assert on["dead"][2] > 0.9 * on["saturated"][2] > 0.35  # conv3 sees ≈ 1 everywhere: the same verdict per image
    assert off["dead"][2] < 0.5 * off["saturated"][2]
    assert on["saturated"][0] == off["saturated"][0]  # conv1 comes before the bias


def test_without_biases_relus_do_not_see_the_scale(explorer):
    # ReLU(c·h) = c·ReLU(h): with every bias 0, the std scales every layer and changes no unit's sign.
    shown = [_at(explorer, std=std, conv2_bias=False) for std in explorer.controls[1].settings(2)]
    assert all(r["saturated"] == shown[0]["saturated"] and r["dead"] == shown[0]["dead"] for r in shown)
    assert shown[0]["share"] == pytest.approx(shown[-1]["share"], rel=1e-9)
    assert shown[-1]["spread"][-1] > 1e10 * shown[0]["spread"][-1]  # std^4 over 10^3: 10^12


def test_tanh_saturates_only_at_large_scales(explorer):
    for std in (1e-3, 0.01, 10 ** -1.25):
        assert _at(explorer, activation="tanh", std=std)["saturated"] == [0.0, 0.0, 0.0]
    assert min(_at(explorer, activation="tanh", std=1.0)["saturated"][1:]) > 0.5


def test_every_corner_gives_shares_and_finite_spreads(explorer):
    for activation in ("relu", "tanh"):
        for std in (1e-3, 1.0):
            for bias in (False, True):
                got = _at(explorer, activation=activation, std=std, conv2_bias=bias, seed=20)
                assert len(got["saturated"]) == len(got["dead"]) == 3 and len(got["spread"]) == len(STAGES)
                assert all(0 <= v <= 1 for v in got["saturated"] + got["dead"] + got["share"])
                assert all(0 <= d <= s for d, s in zip(got["dead"], got["saturated"]))
                assert all(v >= 0 and v < float("inf") for v in got["spread"])


@pytest.mark.parametrize("argument, bad", [("activation", "sigmoid"), ("std", 0.02), ("std", 2.0), ("std", 0.0),
                                           ("seed", 21), ("seed", -1), ("conv2_bias", "yes")])
def test_bad_arguments_are_refused_by_name(argument, bad):
    with pytest.raises(ValueError, match=f"^{argument}="):
        InitScaleExplorer(**{argument: bad})


def test_the_html_carries_the_explorer_and_its_code(explorer):
    html = explorer._repr_html_()
    assert 'data-kind="init_scale"' in html and 'A.register("init_scale"' in html and html.count("<script>") == 1
    assert "open it in a browser" in repr(explorer)


# ----------------------------------------------------------------------------- in the browser


def _layer_pairs(explorer: InitScaleExplorer) -> list[tuple[int, int]]:
    """(pairs, units) of each activation layer: what one unit or one pair moves a share by."""
    x, sizes = explorer.images, []
    net = weighted_net("relu", 0.01, True, 0)
    with torch.no_grad():
        for layer in range(3):
            units = net[3 * layer](x)[0].numel()
            sizes.append((units * len(x), units))
            x = net[3 * layer:3 * layer + 3](x)
    return sizes


def test_the_browser_computes_the_reference(page, explorer):
    settings = _sample(explorer, 24, seed=3) + [
        dict(explorer.settings, activation=a, std=s, conv2_bias=b) for a in ("relu", "tanh") for s in (1e-3, 1.0)
        for b in (False, True)]
    sizes, bad = _layer_pairs(explorer), []
    for s, js in zip(settings, _in_browser(page, explorer, settings)):
        py = explorer.reference(s)
        # Sums in another order: a pre-activation sitting on the threshold (ReLU: 0; tanh: the slope 0.01) could
        # land on the other side, moving a saturated share by 1/pairs and a dead share by 1/units. Float64 on both
        # sides makes that rare; the spreads agree to float64 rounding.
        problems = differences(js["spread"], py["spread"], "spread", rel=1e-8)
        problems += differences(js["share"], py["share"], "share", rel=1e-8)
        for l, (pairs, units) in enumerate(sizes):
            if abs(js["saturated"][l] - py["saturated"][l]) > 1 / pairs + 1e-12:
                problems.append(f"saturated[{l}]: browser {js['saturated'][l]}, Python {py['saturated'][l]}")
            if abs(js["dead"][l] - py["dead"][l]) > 1 / units + 1e-12:
                problems.append(f"dead[{l}]: browser {js['dead'][l]}, Python {py['dead'][l]}")
        if problems:
            bad.append(f"{s}: {problems[:3]}")
    assert not bad, f"{len(bad)} of {len(settings)} settings differ, e.g.\n" + "\n".join(bad[:5])
    assert not page.errors, page.errors


def test_every_control_changes_the_text_and_the_picture(page, explorer):
    for width in (900, 390):
        _show(page, explorer, width)
        moves = move_every_control(page, page.locator(".alexnet-explorer"))
        assert [m["name"] for m in moves] == [c.name for c in explorer.controls]
        assert all(m["changed"] and m["restored"] for m in moves), moves
        sizes = page.evaluate("() => [document.querySelector('.alexnet-explorer svg').getBoundingClientRect().width, "
                              "document.documentElement.scrollWidth]")
        assert max(sizes) <= width, sizes
    assert not page.errors, page.errors

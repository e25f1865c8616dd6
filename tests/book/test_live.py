"""Each explorer alone in headless Chromium: what its JavaScript computes equals the library's Python over many
settings, every control changes the text and the picture, and an impossible setting is a red line, not an error.
"""

from __future__ import annotations

import itertools
import json
import random

import pytest

from alexnet_lib.book.live import LiveExplorer, script
from alexnet_lib.book.live.prng import normals, uniforms
from tests.book.live_cases import BUILDERS, TOLERANCE, compare, move_every_control

EVALUATE = "([kind, settings, data]) => settings.map((s) => AlexNetExplorers.evaluate(kind, s, data))"


@pytest.fixture(scope="module")
def page(browser):
    """A blank page with the runtime loaded, console errors collected in `page.errors`."""
    page = browser.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    yield page
    page.close()


def _show(page, explorer: LiveExplorer, width: int = 900) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.set_content(f"<!doctype html><html><body>{explorer._repr_html_()}</body></html>")
    page.wait_for_function("() => document.querySelector('.alexnet-explorer').dataset.updates >= 1")


def _in_browser(page, explorer: LiveExplorer, settings: list[dict]) -> list[dict]:
    _show(page, explorer)
    return page.evaluate(EVALUATE, [explorer.kind, settings, explorer.data()])


def _agree(page, explorer: LiveExplorer, settings: list[dict], rel: float = 1e-9) -> None:
    got = _in_browser(page, explorer, settings)
    bad = []
    for s, js in zip(settings, got):
        problems = compare(js, explorer.reference(s), rel=rel)
        if problems:
            bad.append(f"{s}: {problems[:3]}")
    assert not bad, f"{len(bad)} of {len(settings)} settings differ, e.g.\n" + "\n".join(bad[:5])
    assert not page.errors, page.errors


def _grid(explorer: LiveExplorer, every: dict[str, int] | None = None) -> list[dict]:
    """Every combination of the controls' values (every n-th step where `every` says)."""
    names = [c.name for c in explorer.controls]
    values = [c.settings((every or {}).get(c.name, 1)) for c in explorer.controls]
    return [dict(zip(names, combo)) for combo in itertools.product(*values)]


def _sample(explorer: LiveExplorer, n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    return [{c.name: rng.choice(c.settings()) for c in explorer.controls} for _ in range(n)]


def test_the_random_streams_match_python(page):
    _show(page, BUILDERS["pooling"]())
    got = page.evaluate("() => [Array.from(AlexNetExplorers.uniforms(7, 2000)), Array.from(AlexNetExplorers.uniforms("
                        "2147483647, 50)), Array.from(AlexNetExplorers.normals(3, 1000))]")
    assert got[0] == uniforms(7, 2000).tolist()  # bit for bit: integer arithmetic, then one division
    assert got[1] == uniforms(2**31 - 1, 50).tolist()
    assert max(abs(a - b) for a, b in zip(got[2], normals(3, 1000).tolist())) < 1e-12
    u = uniforms(0, 100_000)
    assert 0 <= u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.005  # uniform enough to draw masks from


def test_output_size_agrees_on_thousands_of_settings(page):
    explorer = BUILDERS["output_size"]()
    settings = _sample(explorer, 4000) + _grid(explorer, {"size": 17, "kernel": 2, "padding": 2})[:2000]
    assert len(settings) >= 5000
    _agree(page, explorer, settings)


def test_pooling_agrees_on_every_setting(page):
    explorer = BUILDERS["pooling"]()
    settings = _grid(explorer)
    assert len(settings) == 40 * 8 * 8 * 2  # ceil_mode off and on
    _agree(page, explorer, settings)


def test_lrn_agrees(page):
    explorer = BUILDERS["lrn"]()
    _agree(page, explorer, _sample(explorer, 600), rel=1e-9)


def test_layers_agree_with_the_real_networks(page):
    explorer = BUILDERS["layers"]()
    settings = _sample(explorer, 60) + [dict(explorer.settings, alexnet_size=s) for s in (48, 63, 64, 67, 224, 320)]
    _agree(page, explorer, settings)


def test_towers_agree_with_the_real_networks(page):
    explorer = BUILDERS["towers"]()
    settings = [dict(explorer.settings, input_size=s, split=split) for s in (64, 66, 67, 99, 160, 224, 227, 320)
                for split in explorer.controls[1].options]
    _agree(page, explorer, settings)


def test_activation_agrees(page):
    explorer = BUILDERS["activation"]()
    settings = _sample(explorer, 25) + [dict(explorer.settings, depth=50, weight_scale=w) for w in (0.5, 3.0)]
    _agree(page, explorer, settings, rel=1e-7)


def test_patches_agree_with_the_loader(page):
    explorer = BUILDERS["patch"]()
    _agree(page, explorer, _sample(explorer, 12), rel=TOLERANCE["patch"])


def test_ensembles_agree_with_the_record(page):
    explorer = BUILDERS["ensemble"]()
    _agree(page, explorer, _grid(explorer, {"position": 7}), rel=TOLERANCE["ensemble"])


def test_budget_plans_agree_with_plan_budget(page):
    explorer = BUILDERS["budget"]()
    _agree(page, explorer, _grid(explorer))


def test_dropout_agrees(page):
    explorer = BUILDERS["dropout"]()
    _agree(page, explorer, _sample(explorer, 80))


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_every_control_changes_the_text_and_the_picture(page, kind):
    explorer = BUILDERS[kind]()
    for width in (900, 390):
        _show(page, explorer, width)
        root = page.locator(".alexnet-explorer")
        moves = move_every_control(page, root)
        assert [m["name"] for m in moves] == [c.name for c in explorer.controls]
        unchanged = [m["name"] for m in moves if not m["changed"]]
        assert not unchanged, f"{kind} at {width} px: moving {unchanged} did not change both the text and the picture"
        assert all(m["restored"] for m in moves), f"{kind}: moving a control back did not restore the text"
        for m in moves:
            problems = compare(m["values"], explorer.reference(m["settings"]), rel=TOLERANCE.get(kind, 1e-9))
            assert not problems, (kind, m["settings"], problems[:3])
    assert not page.errors, page.errors


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_the_picture_fits_a_phone(page, kind):
    _show(page, BUILDERS[kind](), 390)
    sizes = page.evaluate("() => { const r = document.querySelector('.alexnet-explorer svg, .alexnet-explorer canvas')"
                          ".getBoundingClientRect(); return [r.width, document.documentElement.scrollWidth]; }")
    assert sizes[0] <= 390 and sizes[1] <= 390, sizes


def test_an_impossible_setting_is_a_red_line(page):
    explorer = BUILDERS["output_size"]()
    _show(page, explorer)
    page.evaluate("""() => { const i = document.querySelector('input[name=kernel]'); i.value = 15;
                              i.dispatchEvent(new Event('input')); const s = document.querySelector('input[name=size]');
                              s.value = 5; s.dispatchEvent(new Event('input')); }""")
    page.wait_for_function("() => document.querySelector('.alexnet-explorer').dataset.error")
    text = page.locator(".ax-result").inner_text()
    assert "Impossible setting" in text and "K=15" in text
    assert page.locator(".ax-figure svg").count() == 0
    assert not page.errors


def test_the_spec_is_json_a_script_cannot_escape():
    html = BUILDERS["pooling"]()._repr_html_()
    assert html.count("<script>") == 1 and html.count("</script>") == 1
    spec = html[html.rindex("mount(") + 6:]
    json.loads(spec[spec.index("{"):spec.rindex(");")].replace("<\\/", "</"))


def test_controls_refuse_what_they_cannot_show():
    from alexnet_lib.book.explorers import LRNExplorer, OutputSizeExplorer
    with pytest.raises(ValueError, match="size"):
        OutputSizeExplorer(size=300)
    with pytest.raises(ValueError, match="no control named"):
        OutputSizeExplorer.__bases__[0].__init__(OutputSizeExplorer.__new__(OutputSizeExplorer), bogus=1)
    with pytest.raises(ValueError, match="cannot start"):
        OutputSizeExplorer(size=5, kernel=11)
    with pytest.raises(ValueError, match="alpha"):
        LRNExplorer(alpha=2.0)


def test_every_script_is_shipped_with_the_package():
    for kind in ("runtime", *BUILDERS):
        assert script(kind).strip()

"""The built book in a real browser: every page works offline, as a reader sees it.

Serves the built HTML from 127.0.0.1, opens every page in headless Chromium (through Playwright) with
every request to another host blocked and recorded, and checks what each page contains: formulas
typeset by MathJax, every explorer drawn and answering every control, every image loaded, no console
error, code and tables that fit, ✅/❌ drawn with the book's own font, and at a phone's width the ☰
button opens the chapter menu. Screenshots for humans land in `_build/screenshots/` (desktop/ has one
per page, phone*.png the phone views), with pages.json: what the browser found on each page.

Needs Chromium (`sudo apt install chromium`) and the `playwright` Python package (requirements.txt);
never `playwright install`. Without them the tests skip, except under CI=true where they fail.
"""

import contextlib
import functools
import http.server
import json
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.book.chromium import DESKTOP, PHONE, TIMEOUT_MS
from tests.book.live_cases import BUILDERS, TOLERANCE, compare, move_every_control
from tests.chapters import CHAPTERS, ROOT

# Every test here needs the browser: start it first, so that without one they skip (or, under CI, fail)
# at once instead of after a book build.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("browser")]

SCREENSHOTS = Path(os.environ.get("ALEXNET_SCREENSHOTS", ROOT / "_build" / "screenshots"))
# The font the book's CSS (book_assets/static/book.css) declares for the exercise checkers' marks.
MARKS_FONT = "AlexNet marks"
EXPLORER_TIMEOUT_MS = 10_000  # an explorer draws itself within a few hundred milliseconds
# ---------------------------------------------------------------------------------------------------
# What the browser runs on each page. Each returns plain JSON.

WAIT_FOR_MATHJAX = """async () => {
  const mj = window.MathJax;
  if (!(mj && mj.startup && mj.startup.promise)) return false;  // MathJax 3 did not load
  const timeout = new Promise(done => setTimeout(() => done(false), %d));
  return await Promise.race([mj.startup.promise.then(() => true), timeout]);
}""" % TIMEOUT_MS

EXPLORERS_DRAWN = """() => [...document.querySelectorAll('.alexnet-explorer')]
  .every(e => Number(e.dataset.updates) >= 1)"""

LOAD_IMAGES = """async () => {
  const imgs = [...document.images];
  imgs.forEach(i => { i.loading = 'eager'; });
  await Promise.all(imgs.map(i => i.complete ? null : new Promise(done => {
    i.addEventListener('load', done); i.addEventListener('error', done); setTimeout(done, 10000); })));
  await document.fonts.ready;
}"""

INSPECT = r"""() => {
  const short = s => (s || '').replace(/\s+/g, ' ').trim().slice(0, 90);
  const visible = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  // Formulas: Sphinx writes each one as span.math / div.math holding TeX; MathJax puts an mjx-container in it.
  const maths = [...document.querySelectorAll('span.math, div.math')];
  const untypeset = maths.filter(m => !m.querySelector('mjx-container')).map(m => short(m.textContent));
  const mathErrors = [...document.querySelectorAll('mjx-merror')].map(
      e => short(e.getAttribute('data-mjx-error') || e.textContent));
  const rawTex = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement.closest('pre, code, kbd, script, style, textarea, mjx-container, .highlight')) continue;
    if (/\\\(|\\\[|\$\$/.test(node.textContent)) rawTex.push(short(node.textContent));
  }
  // Explorers (alexnet_lib.book.live): each draws its controls, its sentence and its picture in the page.
  const explorers = [...document.querySelectorAll('.alexnet-explorer')].map(e => ({
    kind: e.dataset.kind, drawn: Number(e.dataset.updates) >= 1 && !!e.querySelector('.ax-control')
      && !!e.querySelector('.ax-figure svg, .ax-figure canvas') && visible(e.querySelector('.ax-figure'))}));
  const ipywidgets = document.querySelectorAll('script[type^="application/vnd.jupyter.widget"]').length;
  const images = [...document.images].map(i => ({src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0}));
  // Layout: code and text outputs wrap (no box scrolls sideways) and the page itself never scrolls sideways.
  // The library's own source (show_source: a python block in a cell's output) keeps its lines and scrolls
  // inside its own box instead; it must be able to.
  const viewport = document.documentElement.clientWidth;
  const pageOverflow = document.documentElement.scrollWidth - viewport;
  const isSource = p => !!p.closest('div.cell_output div.highlight-python');
  const boxes = [...document.querySelectorAll('div.highlight pre, div.cell_output pre, div.output pre')]
    .filter(visible);
  const scrolling = boxes.filter(p => !isSource(p) && p.scrollWidth > p.clientWidth + 1)
    .map(p => short(p.textContent));
  const stuckSource = boxes.filter(p => isSource(p) && p.scrollWidth > p.clientWidth + 1
    && !['auto', 'scroll'].includes(getComputedStyle(p).overflowX)).map(p => short(p.textContent));
  // A table wider than the box around it must be able to scroll inside that box: the nearest ancestor that
  // does not let it overflow visibly (or the window itself) must scroll, or its right-hand columns are lost;
  // and the box must show that it scrolls (the book's CSS shades the edge where more columns wait).
  const clippedTables = [], silentTables = [];
  for (const t of document.querySelectorAll('main table, article table')) {
    if (!visible(t)) continue;
    let box = null;
    for (let a = t.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible') { box = a; break; }
    }
    const scrolls = !!box && ['auto', 'scroll'].includes(getComputedStyle(box).overflowX);
    const edge = box ? box.getBoundingClientRect().left + box.clientWidth : viewport;
    if (t.getBoundingClientRect().right > edge + 1 && !scrolls) clippedTables.push(short(t.textContent));
    if (scrolls && box.scrollWidth > box.clientWidth + 1 && !getComputedStyle(box).backgroundImage.includes('gradient'))
      silentTables.push(short(t.textContent));
  }
  // Every text and picture of an explorer is on screen: not past the right edge of the explorer's area, and
  // not clipped by a box of its own (a slider's value at its right end, say).
  const explorersCut = [];
  const drawnBox = e => {  // where a leaf element's text (or, without text, the element) is drawn
    if (!e.textContent.trim()) return e.getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(e);
    return range.getBoundingClientRect();
  };
  const clipped = (e, area) => {
    const r = drawnBox(e);
    if (r.right > area.getBoundingClientRect().right + 1) return true;
    for (let a = e; a && a !== area; a = a.parentElement) {
      if (getComputedStyle(a).overflowX === 'visible') continue;
      const box = a.getBoundingClientRect();
      const left = box.left + a.clientLeft;
      if (r.left < left - 1 || r.right > left + a.clientWidth + 1) return true;
    }
    return false;
  };
  for (const area of document.querySelectorAll('.alexnet-explorer')) {
    for (const e of area.querySelectorAll('.ax-controls *, .ax-result, .ax-figure > svg, .ax-figure canvas')) {
      if ((e.children.length && !e.matches('svg')) || !visible(e)) continue;
      if (clipped(e, area)) explorersCut.push(short(`${area.dataset.kind}: ${e.tagName} ${e.textContent}`));
    }
  }
  // The exercise checkers' ✅/❌: where the page shows one, the book's font for them must have loaded.
  const marks = /[\u2705\u274C]/.test(document.body.innerText);
  const marksFont = [...document.fonts].filter(f => f.family.replace(/["']/g, '') === '%MARKS%').map(f => f.status);
  // The theme: one search field on a desktop page (sphinx-book-theme 1.3 + pydata 0.17 add a second in an
  // otherwise empty top bar).
  const searchFields = [...document.querySelectorAll('.search-button-field, .bd-header .bd-search')]
    .filter(visible).length;
  return {maths: maths.length, typeset: document.querySelectorAll('mjx-container').length, untypeset, mathErrors,
          rawTex, explorers, ipywidgets, images, pageOverflow, boxes: boxes.length, scrolling, stuckSource,
          clippedTables, silentTables, explorersCut, marks, marksFont, searchFields};
}""".replace("%MARKS%", MARKS_FONT)

SIDEBAR_LINK_REACHABLE = """() => {
  // A link of the chapter menu that is on screen and not covered: what a reader could tap.
  for (const a of document.querySelectorAll('.bd-docs-nav a.reference, nav.bd-links a')) {
    const r = a.getBoundingClientRect();
    if (r.width <= 0 || r.height <= 0 || r.right <= 0 || r.left >= innerWidth || r.bottom <= 0 || r.top >= innerHeight)
      continue;
    const hit = document.elementFromPoint(r.left + Math.min(r.width / 2, 20), r.top + r.height / 2);
    if (hit && (hit === a || a.contains(hit))) return a.textContent.trim();
  }
  return null;
}"""


# ---------------------------------------------------------------------------------------------------
# Fixtures: the site on 127.0.0.1, the browser, and one visit of every page.

def _pages(html: Path) -> list[str]:
    """Every HTML page of the book (not the theme's own templates under _static), as paths relative to `html`."""
    pages = []
    for path in sorted(html.rglob("*.html")):
        rel = path.relative_to(html)
        if rel.parts[0] in {"_static", "_sources", "_images"}:
            continue
        pages.append(rel.as_posix())
    return pages


def _redirect_target(path: Path) -> str | None:
    match = re.search(r'http-equiv="refresh"[^>]*url=([^"\']+)', path.read_text(encoding="utf-8"), re.I)
    return match.group(1) if match else None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site(html):
    """The built book served over HTTP on 127.0.0.1 (as a reader's web server would), on a free port."""
    assert (html / "index.html").exists(), f"no built book at {html}"
    handler = functools.partial(_QuietHandler, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _Recorder:
    """Blocks and records requests to any host but the local site; records failed local requests and errors."""

    def __init__(self, origin: str):
        self.origin = origin
        self.foreign: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []

    def route(self, route):
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in {"data", "blob", "about"} or f"{parts.scheme}://{parts.netloc}" == self.origin:
            route.continue_()
        else:
            self.foreign.append(url)
            route.abort("blockedbyclient")

    def response(self, response):
        if response.status >= 400 and response.url.startswith(self.origin):
            self.failed.append(f"{response.status} {response.url}")

    def console(self, message):
        if message.type == "error":
            where = message.location.get("url", "") if message.location else ""
            self.errors.append(f"{message.text} ({where})")

    def page_error(self, error):
        self.errors.append(f"uncaught {error}")

    def attach(self, page):
        page.route("**/*", self.route)
        page.on("response", self.response)
        page.on("console", self.console)
        page.on("pageerror", self.page_error)


@contextlib.contextmanager
def _opened(browser, site: str, rel: str, viewport: dict):
    """`rel` of the served book in a new page at `viewport`, with a _Recorder attached; closed afterwards."""
    page = browser.new_page()
    page.set_viewport_size(viewport)
    record = _Recorder(site)
    record.attach(page)
    try:
        page.goto(f"{site}/{rel}", wait_until="load", timeout=TIMEOUT_MS)
        yield page, record
    finally:
        page.close()


def _shot_name(rel: str) -> str:
    return rel.removesuffix(".html").replace("/", "__") + ".png"


@pytest.fixture(scope="module")
def visits(browser, html, site):
    """Open every page once (at desktop width, then resized to a phone's); return what each contains, by path."""
    out = SCREENSHOTS / "desktop"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    results = {}
    for rel in _pages(html):
        target = _redirect_target(html / rel)
        if target is not None:  # index.html only forwards to the first page, which is visited itself
            results[rel] = {"redirect": target}
            continue
        page = browser.new_page()
        record = _Recorder(site)
        record.attach(page)
        info = {}
        try:
            page.goto(f"{site}/{rel}", wait_until="load", timeout=TIMEOUT_MS)
            info["mathjax_ran"] = page.evaluate(WAIT_FOR_MATHJAX)
            try:
                page.wait_for_function(EXPLORERS_DRAWN, timeout=EXPLORER_TIMEOUT_MS)
            except Exception:  # noqa: BLE001 - not drawn in time: reported per explorer below
                pass
            page.evaluate(LOAD_IMAGES)
            info.update(page.evaluate(INSPECT))
            page.screenshot(path=out / _shot_name(rel), full_page=True)
            # The same page at a phone's width: media queries apply on resize, no reload needed.
            page.set_viewport_size(PHONE)
            page.wait_for_timeout(300)
            info["phone"] = page.evaluate(INSPECT)
        finally:
            page.close()
        info.update(foreign=record.foreign, failed=record.failed, errors=record.errors)
        results[rel] = info
    # What each page showed, next to its screenshot, for a human reading a failure (or a CI log).
    (SCREENSHOTS / "pages.json").write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    return results


def _pages_visited(visits) -> dict:
    return {rel: info for rel, info in visits.items() if "redirect" not in info}


def _report(problems: dict) -> str:
    return "\n".join(f"{page}: {what}" for page, what in problems.items() if what)


# ---------------------------------------------------------------------------------------------------
# The checks.

def test_every_page_was_opened(html, visits):
    for rel, info in visits.items():
        if "redirect" in info:
            assert (html / rel).parent.joinpath(info["redirect"]).exists(), f"{rel} forwards to a missing page"
    chapters = [rel for rel in _pages_visited(visits) if rel.startswith("chapters/")]
    assert len(chapters) >= len(CHAPTERS), chapters


def test_no_request_leaves_the_site(visits):
    """Offline means offline: MathJax, fonts and the explorers' code are served by the book itself."""
    problems = {rel: sorted(set(info["foreign"])) for rel, info in _pages_visited(visits).items()}
    assert not any(problems.values()), "requests to other hosts (blocked):\n" + _report(problems)


def test_no_local_request_fails(visits):
    problems = {rel: info["failed"] for rel, info in _pages_visited(visits).items()}
    assert not any(problems.values()), "missing files:\n" + _report(problems)


def test_no_console_errors(visits):
    problems = {rel: info["errors"] for rel, info in _pages_visited(visits).items()}
    assert not any(problems.values()), "console errors:\n" + _report(problems)


def test_formulas_are_typeset(visits):
    problems = {}
    for rel, info in _pages_visited(visits).items():
        what = []
        if info["maths"] and not info["mathjax_ran"]:
            what.append(f"{info['maths']} formulas but MathJax did not start (or did not finish)")
        if info["untypeset"]:
            what.append(f"{len(info['untypeset'])} of {info['maths']} formulas left as TeX, "
                        f"e.g. {info['untypeset'][0]!r}")
        if info["mathErrors"]:
            what.append(f"TeX errors: {info['mathErrors'][:3]}")
        if info["rawTex"]:
            what.append(f"raw TeX delimiters in the text: {info['rawTex'][:3]}")
        problems[rel] = "; ".join(what)
    assert not any(problems.values()), "formulas not typeset:\n" + _report(problems)
    assert sum(info["typeset"] for info in _pages_visited(visits).values()) > 0, "the book shows no formula at all"


def test_explorers_are_drawn_and_no_page_needs_a_widget_manager(visits):
    problems = {}
    for rel, info in _pages_visited(visits).items():
        blank = [e["kind"] for e in info["explorers"] if not e["drawn"]]
        if blank:
            problems[rel] = f"{len(blank)} of {len(info['explorers'])} explorers not drawn: {blank}"
        if info["ipywidgets"]:
            problems[rel] = f"{info['ipywidgets']} ipywidgets outputs, which no kernel will ever draw here"
    assert not problems, "explorers:\n" + _report(problems)
    kinds = {e["kind"] for info in _pages_visited(visits).values() for e in info["explorers"]}
    assert kinds == set(BUILDERS), f"the book shows explorers {sorted(kinds)}; tests know {sorted(BUILDERS)}"


def test_images_load(visits):
    problems = {rel: [i["src"] for i in info["images"] if not i["ok"]] for rel, info in _pages_visited(visits).items()}
    assert not any(problems.values()), "images that did not load:\n" + _report(problems)


def test_code_and_tables_fit(visits):
    """Code and text outputs wrap; library source and tables fit or scroll inside themselves (and tables show
    it); explorers fit; no page scrolls sideways.

    Checked at desktop width (1280 px) and at a phone's (390 px)."""
    problems = {}
    for rel, page_info in _pages_visited(visits).items():
        what = []
        for width, info in (("desktop", page_info), ("phone", page_info["phone"])):
            if info["scrolling"]:
                what.append(f"{width}: {len(info['scrolling'])} of {info['boxes']} code/output boxes scroll "
                            f"sideways, e.g. {info['scrolling'][0]!r}")
            if info["stuckSource"]:
                what.append(f"{width}: library source wider than its box that cannot scroll: {info['stuckSource'][:2]}")
            if info["clippedTables"]:
                what.append(f"{width}: tables cut off: {info['clippedTables'][:2]}")
            if info["silentTables"]:
                what.append(f"{width}: tables that scroll without showing it: {info['silentTables'][:2]}")
            if info["explorersCut"]:
                what.append(f"{width}: explorer parts cut off: {info['explorersCut'][:3]}")
            if info["pageOverflow"] > 1:
                what.append(f"{width}: the page scrolls sideways by {info['pageOverflow']} px")
        problems[rel] = "; ".join(what)
    assert not any(problems.values()), "layout:\n" + _report(problems)


def test_desktop_pages_have_one_search_field(visits):
    problems = {rel: f"{info['searchFields']} search fields on screen"
                for rel, info in _pages_visited(visits).items() if info["searchFields"] > 1}
    assert not problems, "a second search bar (theme bug):\n" + _report(problems)


def test_check_marks_use_the_books_font(visits):
    """✅/❌ must not depend on the reader having an emoji font: the book ships one for them."""
    problems = {rel: f"shows ✅/❌ but the {MARKS_FONT!r} font is {info['marksFont'] or 'not declared'}"
                for rel, info in _pages_visited(visits).items()
                if info["marks"] and "loaded" not in info["marksFont"]}
    assert not problems, _report(problems)


def test_phone_menu_opens_the_sidebar(browser, html, site):
    """At a phone's width (390 px) the ☰ button opens the chapter menu, on the landing page and on a chapter."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    chapter = next(rel for rel in _pages(html) if rel.startswith("chapters/") and _redirect_target(html / rel) is None)
    for rel in ("intro.html", chapter):
        with _opened(browser, site, rel, PHONE) as (page, record):
            page.evaluate(WAIT_FOR_MATHJAX)
            assert page.evaluate(SIDEBAR_LINK_REACHABLE) is None, f"{rel}: the menu is already open at 390 px"
            if rel == chapter:
                page.screenshot(path=SCREENSHOTS / "phone.png", full_page=True)
            toggles = page.locator(".primary-toggle").filter(visible=True)
            assert toggles.count() >= 1, f"{rel}: no visible ☰ (primary sidebar) button at 390 px"
            toggles.first.click()
            try:
                page.wait_for_function(SIDEBAR_LINK_REACHABLE, timeout=5_000)
            except Exception:  # noqa: BLE001 - the assertion below says what is wrong
                pass
            shown = page.evaluate(SIDEBAR_LINK_REACHABLE)
            page.screenshot(path=SCREENSHOTS / f"phone-menu-{_shot_name(rel)}")
            assert shown, f"{rel}: at 390 px the ☰ button does not open the sidebar (no menu link on screen)"
            assert not record.errors, f"{rel}: console errors at 390 px: {record.errors}"
            assert not record.foreign, f"{rel}: requests to other hosts at 390 px: {record.foreign}"


def test_every_control_of_every_explorer_answers_on_the_built_book(browser, html, site):
    """On the built site, offline, at 1280 px and at 390 px: moving each control of each explorer changes its
    sentence and its picture, and what the page then shows equals the library's Python for that setting."""
    pages = [rel for rel in _pages(html) if 'class="alexnet-explorer"' in (html / rel).read_text(encoding="utf-8")]
    assert pages, "no page of the built book shows an explorer"
    explorers = {kind: build() for kind, build in BUILDERS.items()}
    seen, problems = set(), []
    for rel in pages:
        for viewport in (DESKTOP, PHONE):
            with _opened(browser, site, rel, viewport) as (page, record):
                page.wait_for_function(EXPLORERS_DRAWN, timeout=EXPLORER_TIMEOUT_MS)
                for root in page.locator(".alexnet-explorer").all():
                    kind = root.get_attribute("data-kind")
                    seen.add(kind)
                    root.scroll_into_view_if_needed()
                    for move in move_every_control(page, root):
                        where = f"{rel} at {viewport['width']} px, {kind}.{move['name']}"
                        if not move["changed"]:
                            problems.append(f"{where}: the sentence and the picture did not both change")
                        if not move["restored"]:
                            problems.append(f"{where}: moving it back did not restore the sentence")
                        diff = compare(move["values"], explorers[kind].reference(move["settings"]),
                                       rel=TOLERANCE.get(kind, 1e-9))
                        if diff:
                            problems.append(f"{where}: differs from Python at {move['settings']}: {diff[:2]}")
                problems += [f"{rel}: {e}" for e in record.errors + record.foreign + record.failed]
    assert seen == set(BUILDERS), f"explorers on the built book: {sorted(seen)}"
    assert not problems, "\n".join(problems[:20])

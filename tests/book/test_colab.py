"""Colab: installing alexnet_lib keeps Colab's own packages, and the explorers work with Colab's ipywidgets 7.7.1.

A chapter's Colab setup cell runs `pip install "alexnet-lib @ git+..."` in a kernel that has already loaded
Colab's packages. Any bound in pyproject.toml that a preinstalled version fails makes pip replace that
package on disk while the old one stays loaded, so every bound must admit every version Colab ships.
`colab_snapshot.json` records those versions and where they come from (Colab's published pip freeze).

The second half installs Colab's kernel-side widget stack (ipywidgets 7.7.1, IPython 7.34.0, ipykernel
6.17.1, traitlets 5.7.1, ...) into a cache folder under `_build/` (`--no-deps`, over this environment),
then builds and drives every explorer of `alexnet_lib.book.explorers` with it in a fresh interpreter. Installing
needs the package registry: without it the test is skipped, or fails under `CI=true`. The folder is reused
by later runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    tomllib = pytest.importorskip("tomli", reason="reading pyproject.toml before Python 3.11 needs tomli")

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT_FILE = Path(__file__).with_name("colab_snapshot.json")
SNAPSHOT = json.loads(SNAPSHOT_FILE.read_text(encoding="utf-8"))
#: Colab's versions by canonical package name.
COLAB = {canonicalize_name(name): versions for name, versions in SNAPSHOT["packages"].items()}
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
DEPENDENCIES = [Requirement(text) for text in PROJECT["dependencies"]]

#: The explorers the chapters use; discovery must find at least these.
KNOWN_EXPLORERS = {"OutputSizeExplorer", "ActivationExplorer", "DropoutExplorer", "LRNExplorer", "PoolingExplorer"}


# ----------------------------------------------------------------------------- the bounds admit Colab's versions


def test_snapshot_says_where_its_numbers_come_from():
    assert SNAPSHOT.get("source") and SNAPSHOT.get("recorded")
    for name, versions in COLAB.items():
        assert versions, f"{name}: no versions recorded"
        for v in versions:
            Version(v)  # every entry parses
    for v in SNAPSHOT["python"]:
        Version(v)
    assert {Version(v).release[:2] for v in SNAPSHOT["python"]} >= {(3, 11), (3, 12), (3, 13)}
    assert {canonicalize_name(n) for n in SNAPSHOT["widget_stack"]} <= set(COLAB)


@pytest.mark.parametrize("requirement", DEPENDENCIES, ids=lambda r: r.name)
def test_dependency_keeps_what_colab_ships(requirement):
    name = canonicalize_name(requirement.name)
    assert not requirement.url, (
        f"{requirement.name} is a direct URL requirement ({requirement.url}): pip would fetch it over Colab's copy")
    assert name in COLAB, (
        f"{requirement.name} is not preinstalled on Colab (not in {SNAPSHOT_FILE.name}): installing alexnet-lib "
        f"in Colab would pull it in. Drop it, or record Colab's versions of it if Colab does ship it.")
    assert not requirement.extras, (
        f"{requirement.name}[{','.join(sorted(requirement.extras))}]: extras can pull packages Colab lacks")
    pythons = [v for v in SNAPSHOT["python"] if requirement.marker is None
               or requirement.marker.evaluate({"python_version": ".".join(v.split(".")[:2]),
                                               "python_full_version": v})]
    if not pythons:
        pytest.skip(f"{requirement} applies to none of Colab's Pythons")
    rejected = [v for v in COLAB[name] if not requirement.specifier.contains(Version(v), prereleases=True)]
    assert not rejected, "\n".join(
        f"Colab ships {requirement.name} {v}, but our bound is {requirement.name}{requirement.specifier}: "
        f"installing alexnet-lib in Colab would replace it on disk while {v} stays loaded" for v in rejected)


def test_requires_python_admits_colab():
    spec = SpecifierSet(PROJECT.get("requires-python", ""))
    rejected = [v for v in SNAPSHOT["python"] if not spec.contains(v)]
    assert not rejected, f"requires-python = {str(spec)!r} rejects Colab's Python {', '.join(rejected)}"


def test_tested_set_is_within_the_bounds():
    """requirements.txt (what CI tests) must satisfy pyproject's bounds too, or `-e .` in it conflicts."""
    pins = {}
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\s*([A-Za-z0-9_.-]+)\s*==\s*([^\s;#]+)", line)
        if m:
            pins[canonicalize_name(m.group(1))] = m.group(2)
    outside = [f"requirements.txt pins {r.name}=={pins[canonicalize_name(r.name)]}, outside {r.name}{r.specifier}"
               for r in DEPENDENCIES if canonicalize_name(r.name) in pins
               and not r.specifier.contains(Version(pins[canonicalize_name(r.name)]), prereleases=True)]
    assert not outside, "\n".join(outside)


# ----------------------------------------------------------------------------- what the Colab setup cell installs


@pytest.mark.slow
def test_the_built_package_has_every_module(tmp_path):
    """Colab installs a wheel built from the repository, not an editable checkout: every module must be in it."""
    setuptools = pytest.importorskip("setuptools", reason="building the wheel needs setuptools")
    needed = [Requirement(r) for r in tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
              .get("build-system", {}).get("requires", []) if Requirement(r).name == "setuptools"]
    if needed and not needed[0].specifier.contains(setuptools.__version__, prereleases=True):
        pytest.skip(f"setuptools {setuptools.__version__} here, the build needs {needed[0]}")
    src = tmp_path / "src"
    shutil.copytree(ROOT / "alexnet_lib", src / "alexnet_lib",
                    ignore=shutil.ignore_patterns("__pycache__", ".*", "*.pyc", "*.egg-info"))
    for f in ROOT.iterdir():  # pyproject.toml, README.md (its readme) and the other small top-level files
        if f.is_file() and not f.name.startswith("."):
            shutil.copy2(f, src / f.name)
    build = "import sys; from setuptools import build_meta; print('WHEEL=' + build_meta.build_wheel(sys.argv[1]))"
    proc = subprocess.run([sys.executable, "-c", build, str(tmp_path / "dist")], cwd=src, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, f"building the wheel failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    wheel = tmp_path / "dist" / re.findall(r"^WHEEL=(.+)$", proc.stdout, re.M)[-1]
    with zipfile.ZipFile(wheel) as z:
        shipped = {n for n in z.namelist() if n.endswith(".py")}
    modules = {f.relative_to(src).as_posix() for f in (src / "alexnet_lib").rglob("*.py")}
    missing = sorted(modules - shipped)
    packages = sorted({m.rsplit("/", 1)[0].replace("/", ".") for m in missing})
    assert not missing, (f"`pip install \"alexnet-lib @ git+...\"` (Colab) would leave out {len(missing)} module(s) "
                         f"of {packages}: {missing}. List every subpackage in [tool.setuptools] packages, or use "
                         f"[tool.setuptools.packages.find] include = [\"alexnet_lib*\"]")


# ----------------------------------------------------------------------------- the explorers under Colab's widgets

#: Colab's kernel-side widget stack: the newest recorded version of each package named in `widget_stack`.
STACK = {canonicalize_name(n): str(max(map(Version, COLAB[canonicalize_name(n)]))) for n in SNAPSHOT["widget_stack"]}
STACK_CACHE = ROOT / "_build" / "colab-widget-stack"

#: What pip says when it cannot reach the registry (or the registry has nothing at all for the name).
UNREACHABLE = re.compile(
    r"NewConnectionError|Max retries exceeded|Failed to establish a new connection|Temporary failure in name "
    r"resolution|Name or service not known|nodename nor servname|Network is unreachable|Connection refused|"
    r"ConnectTimeout|Read timed out|ProxyError|SSLError|from versions: none\)", re.I)


def _cannot_install(why: str) -> None:
    message = f"cannot install Colab's widget stack ({why}); the ipywidgets 7.7.1 check needs the package registry"
    if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def colab_widget_stack() -> Path:
    """A folder holding Colab's widget stack, installed once and reused (keyed by the pins and this Python)."""
    pins = sorted(f"{name}=={version}" for name, version in STACK.items())
    key = hashlib.sha256(json.dumps([pins, sys.version_info[:2], sys.platform, platform.machine()]).encode())
    target = STACK_CACHE / f"py{sys.version_info[0]}{sys.version_info[1]}-{key.hexdigest()[:12]}"
    if (target / "STACK.json").is_file():
        return target
    STACK_CACHE.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{target.name}.partial-", dir=STACK_CACHE))
    try:
        cmd = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--no-deps",
               "--only-binary=:all:", "--timeout", "30", "--retries", "2", "--target", str(work), *pins]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        except subprocess.TimeoutExpired:
            _cannot_install("pip install timed out after 900 s")
        output = proc.stdout + proc.stderr
        if proc.returncode != 0:
            if UNREACHABLE.search(output):
                last = " | ".join(line.strip() for line in output.strip().splitlines()[-3:])
                _cannot_install(f"pip could not reach the registry: {last}")
            pytest.fail(f"pip install {' '.join(pins)} failed:\n{output[-4000:]}")
        (work / "STACK.json").write_text(json.dumps(pins, indent=1), encoding="utf-8")
        if target.exists() and not (target / "STACK.json").is_file():
            shutil.rmtree(target)  # an unfinished folder from an interrupted run
        try:
            work.rename(target)
        except OSError:
            if not (target / "STACK.json").is_file():  # else a parallel run finished first: use its copy
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


#: Runs in a fresh interpreter with the stack first on sys.path; prints one JSON report as its last line.
DRIVER = r'''
import contextlib, inspect, io, json, math, sys, traceback

import matplotlib
matplotlib.use("Agg")
import IPython, ipykernel, ipywidgets, traitlets
from IPython.display import display

report = {"versions": {"ipywidgets": ipywidgets.__version__, "ipython": IPython.__version__,
                       "ipykernel": ipykernel.__version__, "traitlets": traitlets.__version__},
          "files": {m.__name__: m.__file__ for m in (ipywidgets, IPython, ipykernel, traitlets)},
          "explorers": {}, "not_buildable": {}}
import alexnet_lib.book.explorers as module


def is_explorer(cls):
    if not inspect.isclass(cls) or cls.__module__ != module.__name__ or cls.__name__.startswith("_"):
        return False
    base = getattr(module, "Explorer", None)
    return (hasattr(cls, "_ipython_display_") or issubclass(cls, ipywidgets.Widget)
            or (inspect.isclass(base) and issubclass(cls, base)))


found = [cls for cls in vars(module).values() if is_explorer(cls)]
# A base the others derive from (Explorer) is not an explorer itself.
explorers = [cls for cls in found if not inspect.isabstract(cls)
             and not any(other is not cls and issubclass(other, cls) for other in found)]


def widget_of(ex):
    if isinstance(ex, ipywidgets.Widget):
        return ex
    for name in ("widget", "box", "ui"):
        if isinstance(getattr(ex, name, None), ipywidgets.Widget):
            return getattr(ex, name)
    raise AssertionError(f"{type(ex).__name__} has no widget (looked for .widget, .box, .ui)")


def kind(c):
    if not isinstance(c, ipywidgets.ValueWidget):
        return None
    if type(c.value) is bool:
        return "toggle"
    if hasattr(c, "options") and hasattr(c, "index"):
        return "choice"
    if hasattr(c, "min") and hasattr(c, "max") and isinstance(c.value, (int, float)):
        return "number"
    return None  # an output (HTML, Image, Label, ...)


def parts(ex):
    """The explorer's controls (by attribute name) and its output widgets."""
    attrs = {a: v for a, v in vars(ex).items() if isinstance(v, ipywidgets.Widget)}
    outputs = [v for v in attrs.values() if isinstance(v, ipywidgets.ValueWidget) and not kind(v)]
    return {a: v for a, v in attrs.items() if kind(v)}, outputs


def nudge(c):
    """Move a control one step, as a user would."""
    k = kind(c)
    if k == "toggle":
        c.value = not c.value
    elif k == "choice":
        c.index = (c.index + 1) % len(c.options)
    elif hasattr(c, "base"):  # a log slider: min, max and step are exponents
        exp = math.log(c.value, c.base)
        c.value = c.base ** (exp + c.step if exp + c.step <= c.max + 1e-9 else exp - c.step)
    else:
        step = c.step or 1
        c.value = c.value + step if c.value + step <= c.max else c.value - step


def shown(ex, outputs):
    """What the user sees: the result and error lines and every output widget's value (bytes, not a memoryview)."""
    values = [o.value for o in outputs]
    return repr([getattr(ex, "result", None), getattr(ex, "error", None)]
                + [bytes(v) if isinstance(v, (bytes, bytearray, memoryview)) else v for v in values])


for cls in explorers:
    name = cls.__name__
    needed = [p.name for p in inspect.signature(cls).parameters.values()
              if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if needed:
        report["not_buildable"][name] = f"needs arguments {needed}"
        continue
    entry = report["explorers"][name] = {"steps": []}
    try:
        entry["steps"].append("construct with defaults")
        ex = cls()
        widget = widget_of(ex)
        entry["widget"] = type(widget).__name__
        controls, outputs = parts(ex)
        entry["controls"] = sorted(controls)
        if controls:  # one move on the default explorer (it draws, as in the chapters)
            attr, control = next(iter(controls.items()))
            entry["steps"].append(f"move .{attr}")
            before = shown(ex, outputs)
            nudge(control)
            entry["first_move_changed"] = shown(ex, outputs) != before
        # Then every control, one step away from the defaults and back (so that no move hides the next one);
        # without drawing when the explorer can skip it (the drawing is matplotlib's, the same under any
        # ipywidgets).
        draw = inspect.signature(cls).parameters.get("draw")
        sweep = cls(draw=False) if draw is not None and draw.kind != draw.POSITIONAL_ONLY else cls()
        controls, outputs = parts(sweep)
        changed = []
        for i, (attr, control) in enumerate(controls.items()):
            entry["steps"].append(f"move .{attr}")
            before, old = shown(sweep, outputs), control.value
            nudge(control)
            if shown(sweep, outputs) != before:
                changed.append(attr)
            if i < len(controls) - 1:
                entry["steps"].append(f"move .{attr} back")
                control.value = old
        entry["changed"] = changed
        entry["steps"].append("display")
        with contextlib.redirect_stdout(io.StringIO()):
            ex._ipython_display_() if hasattr(ex, "_ipython_display_") else display(widget)
        entry["ok"] = True
    except Exception:
        entry["ok"] = False
        entry["traceback"] = traceback.format_exc()

report["found"] = sorted(cls.__name__ for cls in explorers)
print(json.dumps(report))
'''


@pytest.mark.slow
def test_colab_stack_has_everything_it_requires(colab_widget_stack):
    """Installed --no-deps, the stack must still find every package it requires, in itself or in this environment.

    A fresh environment lacks what the machine's own Python may have had by hand (IPython 7.34 needs
    `decorator`, which IPython 9 no longer does): name it here rather than crash inside the driver.
    """
    from importlib import metadata

    stack = {canonicalize_name(d.metadata["Name"]): d for d in metadata.distributions(path=[str(colab_widget_stack)])}
    assert set(STACK) <= set(stack), f"the stack folder lacks {sorted(set(STACK) - set(stack))}"
    env = {canonicalize_name(d.metadata["Name"]): d for d in metadata.distributions()}
    unmet = []
    for name, dist in sorted(stack.items()):
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue
            have = stack.get(canonicalize_name(req.name)) or env.get(canonicalize_name(req.name))
            if have is None:
                unmet.append(f"{name} {dist.version} requires {req}, which neither the stack nor this environment has")
            elif not req.specifier.contains(have.version, prereleases=True):
                unmet.append(f"{name} {dist.version} requires {req}, but {req.name} {have.version} is what it would load")
    assert not unmet, ("\n".join(unmet) + f"\nAdd each to 'widget_stack' in {SNAPSHOT_FILE.name} with the version "
                       "Colab ships (its pip freeze), or pin it in requirements.txt if Colab's environment has it too")


@pytest.mark.slow
def test_explorers_work_with_colabs_ipywidgets(colab_widget_stack):
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(colab_widget_stack), str(ROOT), env.get("PYTHONPATH")) if p)
    proc = subprocess.run([sys.executable, "-c", DRIVER], capture_output=True, text=True, timeout=600, cwd=ROOT,
                          env=env)
    assert proc.returncode == 0, f"the explorer driver crashed under Colab's widget stack:\n{proc.stderr[-6000:]}"
    report = json.loads(proc.stdout.strip().splitlines()[-1])

    for module, version in report["versions"].items():
        assert version == STACK[module], f"{module} {version} loaded, expected Colab's {STACK[module]}"
    for module, file in report["files"].items():
        assert Path(file).resolve().is_relative_to(colab_widget_stack.resolve()), f"{module} came from {file}"

    assert KNOWN_EXPLORERS <= set(report["found"]), f"found only {report['found']} in alexnet_lib.book.explorers"
    assert not report["not_buildable"], f"explorers that cannot be built with defaults: {report['not_buildable']}"
    failures = [f"{name} failed at step '{entry['steps'][-1]}' under ipywidgets {STACK['ipywidgets']}:\n"
                f"{entry['traceback']}" for name, entry in report["explorers"].items() if not entry["ok"]]
    assert not failures, "\n".join(failures)
    for name, entry in report["explorers"].items():
        assert entry["controls"], f"{name}: no controls found to move"
        still = sorted(set(entry["controls"]) - set(entry["changed"]))
        assert not still, f"{name}: moving {still} one step changed nothing shown: the update did not fire"
        assert entry["first_move_changed"], f"{name}: its first control changed nothing shown when drawing"

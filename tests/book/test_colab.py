"""Colab: installing alexnet_lib keeps Colab's own packages, and the explorers work under Colab's IPython stack.

A chapter's Colab setup cell runs `pip install "alexnet-lib @ git+..."` in a kernel that has already loaded
Colab's packages. Any bound in pyproject.toml that a preinstalled version fails makes pip replace that
package on disk while the old one stays loaded, so every bound must admit every version Colab ships.
`colab_snapshot.json` records those versions and where they come from (Colab's published pip freeze).

The second half installs Colab's kernel-side stack (ipywidgets 7.7.1, IPython 7.34.0, ipykernel 6.17.1,
traitlets 5.7.1, ...) into a cache folder under `_build/` (`--no-deps`, over this environment), builds every
explorer of the book with it in a fresh interpreter, formats it as a cell's output, and moves every control of
that output in headless Chromium. Installing
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
        shipped = {n for n in z.namelist() if n.endswith((".py", ".js", ".css"))}
    # Modules, and the explorers' browser code their HTML carries.
    modules = {f.relative_to(src).as_posix() for f in (src / "alexnet_lib").rglob("*")
               if f.suffix in (".py", ".js", ".css") and "__pycache__" not in f.parts}
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


#: Runs in a fresh interpreter with the stack first on sys.path: builds every explorer of the book as its chapter
#: does and formats it with Colab's IPython, as a cell's output would be; prints one JSON report as its last line.
DRIVER = r'''
import json, traceback

import IPython, ipykernel, ipywidgets, traitlets
from IPython.core.formatters import DisplayFormatter

from tests.book.live_cases import BUILDERS

report = {"versions": {"ipywidgets": ipywidgets.__version__, "ipython": IPython.__version__,
                       "ipykernel": ipykernel.__version__, "traitlets": traitlets.__version__},
          "files": {m.__name__: m.__file__ for m in (ipywidgets, IPython, ipykernel, traitlets)}, "explorers": {}}
for kind, build in BUILDERS.items():
    try:
        bundle, _ = DisplayFormatter().format(build())
        report["explorers"][kind] = {"ok": True, "mimetypes": sorted(bundle), "html": bundle.get("text/html", "")}
    except Exception:
        report["explorers"][kind] = {"ok": False, "traceback": traceback.format_exc()}
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
                unmet.append(f"{name} {dist.version} requires {req}, but {req.name} {have.version} is what it would "
                             f"load")
    assert not unmet, ("\n".join(unmet) + f"\nAdd each to 'widget_stack' in {SNAPSHOT_FILE.name} with the version "
                       "Colab ships (its pip freeze), or pin it in requirements.txt if Colab's environment has it too")


@pytest.mark.slow
def test_explorers_work_with_colabs_stack(colab_widget_stack, browser):
    """Every explorer, built and formatted under Colab's IPython/ipywidgets, gives HTML whose every control answers
    in a browser (Colab shows a cell's HTML output in its own frame, scripts included)."""
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(colab_widget_stack), str(ROOT), env.get("PYTHONPATH")) if p)
    proc = subprocess.run([sys.executable, "-c", DRIVER], capture_output=True, text=True, timeout=600, cwd=ROOT,
                          env=env)
    assert proc.returncode == 0, f"the explorer driver crashed under Colab's stack:\n{proc.stderr[-6000:]}"
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    for module, version in report["versions"].items():
        assert version == STACK[module], f"{module} {version} loaded, expected Colab's {STACK[module]}"
    for module, file in report["files"].items():
        assert Path(file).resolve().is_relative_to(colab_widget_stack.resolve()), f"{module} came from {file}"

    from tests.book.live_cases import BUILDERS, move_every_control
    assert set(report["explorers"]) == set(BUILDERS)
    failures = [f"{kind}:\n{entry['traceback']}" for kind, entry in report["explorers"].items() if not entry["ok"]]
    assert not failures, "\n".join(failures)
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        for kind, entry in report["explorers"].items():
            assert "text/html" in entry["mimetypes"] and "text/plain" in entry["mimetypes"], (kind, entry["mimetypes"])
            page.set_content(f"<!doctype html><html><body>{entry['html']}</body></html>")
            root = page.locator(".alexnet-explorer")
            moves = move_every_control(page, root)
            assert moves and all(m["changed"] for m in moves), (kind, [m["name"] for m in moves if not m["changed"]])
    finally:
        page.close()
    assert not errors, errors

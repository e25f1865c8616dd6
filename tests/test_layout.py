"""The library's layout: folders by job, imports that only point down, no circle, no import deferred to dodge one."""

import ast
from pathlib import Path

import pytest

import alexnet_lib

PACKAGE = Path(alexnet_lib.__file__).resolve().parent

#: The floors, lowest first: a module may import from its own floor or a lower one, never a higher one.
FLOORS = [
    {"_checks", "tables", "files", "device", "distributed", "__init__"},
    {"net"},
    {"data"},
    {"engine"},
    {"toolkits"},
    {"experiments"},
    {"exercises", "book"},
    {"__main__"},
]
FOLDERS = {"net", "data", "engine", "toolkits", "experiments", "exercises", "book"}


def floor(module: str) -> int:
    """The floor of a module given by its dotted path inside the package (e.g. 'engine.loop')."""
    top = module.split(".")[0]
    for i, names in enumerate(FLOORS):
        if top in names:
            return i
    raise AssertionError(f"alexnet_lib.{module} is on no floor: add its folder to FLOORS in {__file__}")


def modules() -> dict[str, Path]:
    """Every module of the package by dotted path inside it ('engine.loop', 'net.__init__', '_checks')."""
    return {p.relative_to(PACKAGE).with_suffix("").as_posix().replace("/", "."): p for p in PACKAGE.rglob("*.py")}


def imports(module: str, path: Path) -> list[tuple[str, int, bool]]:
    """(imported module inside the package, line, at top level?) for every import of the package in `path`."""
    package = module.rpartition(".")[0]  # 'engine.loop' and 'engine.__init__' are both in 'engine'
    known = modules()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(n) for n in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            base = package.split(".") if package else []
            base = ".".join(base[:len(base) - (node.level - 1)] + ([node.module] if node.module else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}" if base else alias.name
                target = sub if sub in known or f"{sub}.__init__" in known else base
                found.append((target or "__init__", node.lineno, id(node) in top))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("alexnet_lib."):
                    found.append((alias.name[len("alexnet_lib."):], node.lineno, id(node) in top))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("alexnet_lib"):
            found.append((node.module[len("alexnet_lib."):] or "__init__", node.lineno, id(node) in top))
    return found


def test_every_folder_says_its_job_in_one_sentence():
    for folder in FOLDERS:
        doc = ast.get_docstring(ast.parse((PACKAGE / folder / "__init__.py").read_text(encoding="utf-8")))
        first = (doc or "").splitlines()[0] if doc else ""
        assert first.endswith(".") and first.count(". ") == 0, f"alexnet_lib/{folder}/__init__.py begins {first!r}"


def test_the_loop_the_network_and_the_data_are_found_from_the_tree():
    assert (PACKAGE / "engine" / "loop.py").is_file() and (PACKAGE / "net" / "model.py").is_file()
    assert (PACKAGE / "data" / "fashion_mnist.py").is_file() and (PACKAGE / "data" / "loader.py").is_file()
    flat = [p.name for p in PACKAGE.glob("*.py")]
    assert len(flat) <= 8, f"{len(flat)} modules side by side at the top of alexnet_lib: {sorted(flat)}"


@pytest.mark.parametrize("module", sorted(modules()))
def test_imports_point_down(module):
    path = modules()[module]
    up = [f"line {line}: {target} (floor {floor(target)})" for target, line, _ in imports(module, path)
          if floor(target) > floor(module)]
    assert not up, f"alexnet_lib.{module} (floor {floor(module)}) imports from a higher floor: {up}"


def test_no_circle_among_modules():
    graph = {m: {t for t, _, _ in imports(m, p) if t in modules() or t + ".__init__" in modules()}
             for m, p in modules().items()}
    state: dict[str, int] = {}

    def visit(m: str, trail: list[str]) -> None:
        state[m] = 1
        for t in sorted(graph.get(m, ())):
            t = t if t in graph else t + ".__init__"
            if state.get(t) == 1:
                raise AssertionError("import circle: " + " -> ".join(trail[trail.index(t):] + [t]))
            if t not in state:
                visit(t, trail + [t])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])


def test_no_import_is_deferred_to_dodge_a_circle():
    """A module imports the package inside a function only to keep an import light, and says so."""
    deferred = []
    for module, path in modules().items():
        if module == "__main__":
            continue  # the command line imports each subcommand's modules when it runs (fast --help)
        lines = path.read_text(encoding="utf-8").splitlines()
        for target, line, at_top in imports(module, path):
            if not at_top and "imported here" not in lines[line - 1] + lines[line - 2]:
                deferred.append(f"alexnet_lib.{module} line {line}: {target}")
    assert not deferred, deferred

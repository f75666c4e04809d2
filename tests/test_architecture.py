"""The import graph of src/momo: no cycles, and no import from a lower layer to a higher one.

Imports are read with `ast` (nothing is imported): every ``import`` / ``from ... import``
anywhere in a module counts, including those inside functions; only imports under
``if TYPE_CHECKING:`` are left out (annotations only, never run). ARCHITECTURE.md at the
repository root describes the layers.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "momo"

#: Layers, lowest first. A module belongs to the longest entry that is its name or a package
#: above it ("momo" itself: only the package's __init__, whose public names resolve lazily), and
#: may import modules of its own layer or lower ones.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("momo", "momo.errors", "momo.constants", "momo.text_embedding", "momo.utils", "momo.assets"),
    # Pure measures on motions (NumPy only) sit with the motion representation.
    ("momo.motion", "momo.evaluation.metrics"),
    ("momo.io",),
    ("momo.diffusion", "momo.models"),
    # Loading assembles a whole model (denoiser, noise schedule, normaliser, text encoder).
    ("momo.pipelines", "momo.models.loading"),
    ("momo.data",),
    ("momo.evaluation", "momo.analysis", "momo.training"),
    # `python -m momo` runs the command line.
    ("momo.cli", "momo.app", "momo.__main__"),
)

#: Packages of one layer that must not import each other, in either direction.
INDEPENDENT: tuple[tuple[str, str], ...] = (("momo.diffusion", "momo.models"),)

#: Cycles tolerated for now (none); a new cycle fails the test.
KNOWN_CYCLES: frozenset[frozenset[str]] = frozenset()


def module_files(src: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file under ``src`` (a package folder)."""
    modules = {}
    for path in src.rglob("*.py"):
        parts = list(path.relative_to(src.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_names(source: str, module: str, is_package: bool) -> set[str]:
    """Every dotted name a module imports at run time (``from a import b`` gives ``a.b``)."""
    tree = ast.parse(source)
    type_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and _is_type_checking(node)
        for inner in ast.walk(node)
    }
    package = module if is_package else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def import_graph(modules: Mapping[str, Path]) -> dict[str, set[str]]:
    """Module -> the project modules it imports (each name resolved to its longest module)."""
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = set()
        for name in imported_names(path.read_text(), module, path.name == "__init__.py"):
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
        graph[module] = targets
    return graph


def cycles(graph: Mapping[str, Iterable[str]]) -> list[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def owner(module: str, layers: tuple[tuple[str, ...], ...] = LAYERS) -> tuple[int, str] | None:
    """(layer, entry) of the longest entry of ``layers`` that covers ``module``."""
    best: tuple[int, str] | None = None
    for level, entries in enumerate(layers):
        for entry in entries:
            covers = module == entry or (entry != "momo" and module.startswith(entry + "."))
            if covers and (best is None or len(entry) > len(best[1])):
                best = (level, entry)
    return best


def layering_violations(
    graph: Mapping[str, Iterable[str]],
    layers: tuple[tuple[str, ...], ...] = LAYERS,
    independent: tuple[tuple[str, str], ...] = INDEPENDENT,
) -> list[str]:
    """Imports that go up a layer or between independent packages, as readable lines."""
    problems = []
    for module, targets in sorted(graph.items()):
        mine = owner(module, layers)
        if mine is None:
            problems.append(f"{module} has no layer: add it to LAYERS")
            continue
        for target in sorted(targets):
            theirs = owner(target, layers)
            if theirs is None:
                continue  # reported as the target's own problem
            if theirs[0] > mine[0]:
                problems.append(
                    f"{module} (layer {mine[0]}) imports {target} (layer {theirs[0]}): upward"
                )
            for a, b in independent:
                if {mine[1], theirs[1]} == {a, b}:
                    problems.append(f"{module} imports {target}: {a} and {b} are independent")
    return problems


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(module_files(SRC))


def test_no_import_cycles(graph: dict[str, set[str]]) -> None:
    new = [sorted(cycle) for cycle in cycles(graph) if cycle not in KNOWN_CYCLES]
    assert not new, f"import cycles: {new}"


def test_no_import_goes_up_a_layer(graph: dict[str, set[str]]) -> None:
    problems = layering_violations(graph)
    assert not problems, "\n".join(problems)


def test_the_graph_is_read(graph: dict[str, set[str]]) -> None:
    # The checks above see real edges, so an empty graph cannot pass them by accident.
    assert "momo.diffusion.guidance" in graph["momo.pipelines.generate"]
    assert "momo.models.attention" in graph["momo.models.mdm"]
    assert "momo.models.bundle" not in graph["momo.pipelines.generate"]  # TYPE_CHECKING only


def test_the_checks_catch_a_planted_cycle_and_upward_imports() -> None:
    planted = {
        "momo.motion.a": {"momo.pipelines.x"},  # upward
        "momo.pipelines.x": {"momo.motion.a"},  # and a cycle
        "momo.diffusion.d": {"momo.models.m"},  # independent siblings
        "momo.models.m": set(),
        "momo.nowhere": set(),
    }
    assert cycles(planted) == [frozenset({"momo.motion.a", "momo.pipelines.x"})]
    problems = layering_violations(planted)
    assert any("momo.motion.a (layer 1) imports momo.pipelines.x (layer 4)" in p for p in problems)
    assert any("are independent" in p for p in problems)
    assert any("momo.nowhere has no layer" in p for p in problems)


def test_relative_imports_resolve_against_the_package() -> None:
    names = imported_names("from . import a\nfrom ..b import c\n", "momo.x.y", is_package=False)
    assert names == {"momo.x.a", "momo.b.c"}

"""The toolkit's modules import each other without a circle.

The graph is read from the source (ast), so it sees every import a module
makes at its top level, and, separately, the imports made inside functions:
a lazy import is how a package avoids a circle, so it may point "backwards",
but the module-level graph must be acyclic.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import course

PACKAGE_ROOT = Path(course.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    """The toolkit's modules (not the pristine stubs it ships as data)."""
    shipped = PACKAGE_ROOT / "learner" / "pristine"
    return {module_name(path): path for path in sorted(PACKAGE_ROOT.rglob("*.py")) if shipped not in path.parents}


def top_level_imports(path: Path, name: str, known: set[str]) -> set[str]:
    """course.* modules imported when `name` is imported (imports inside functions excluded)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    own_packages = {name.rsplit(".", cut)[0] for cut in range(1, name.count(".") + 1)}

    def add(target: str) -> None:
        # Importing a.b.c runs a, a.b and a.b.c: each is an edge, except this module's own
        # packages, which Python always initialises before it (course.bench.measure
        # importing course.bench.config is no circle with course.bench's __init__).
        parts = target.split(".")
        for cut in range(1, len(parts) + 1):
            candidate = ".".join(parts[:cut])
            if candidate in known and candidate != name and candidate not in own_packages:
                found.add(candidate)

    def visit(nodes) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    add(alias.name)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                add(base)
                for alias in node.names:
                    add(f"{base}.{alias.name}")  # `from pkg import submodule`
            elif isinstance(node, (ast.If, ast.Try)):
                visit(node.body)
                visit(node.orelse)
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)
                visit(getattr(node, "finalbody", []))

    visit(tree.body)
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as a list of module names, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := walk(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := walk(start)):
            return cycle
    return None


def import_graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: top_level_imports(path, name, known) for name, path in found.items()}


def test_the_toolkit_has_no_import_circle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import circle in src/course: " + " -> ".join(cycle)


def test_the_graph_sees_the_subpackages_and_their_edges():
    """Guards the test itself: a parser that saw no edges would find no circle either."""
    graph = import_graph()
    assert "course.capstone.core" in graph["course.capstone.backends.local"]
    assert "course.grading.results" in graph["course.grading.engine"]
    assert "course.capstone.backends.local" not in graph["course.capstone.core"], "the core must find backends lazily"
    assert "course.capstone" in graph["course.bench.measure"]
    assert "course.bench" not in graph["course.bench.measure"], "a module's own package is not an edge"


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"a"}}, ["a", "a"]),
    ],
)
def test_find_cycle_finds_circles_and_only_circles(graph, expected):
    assert find_cycle(graph) == expected

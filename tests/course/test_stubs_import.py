"""Every exercise's stub imports cleanly and has the public API its graded tests call.

A stub that cannot be imported costs a student every task before they have written
a line; it is also what a student release's `make test` checks (its graded tests
fail against the stubs until the work is done, so they are not its suite).
"""

from __future__ import annotations

import ast

import pytest

from course import catalogue

COURSE = catalogue.load()


@pytest.mark.parametrize("exercise", COURSE.exercises, ids=lambda e: e.id)
def test_the_stub_imports_and_defines_what_it_documents(exercise):
    module = COURSE.import_module(exercise, "exercises")
    source = (COURSE.tree("exercises") / exercise.relpath()).read_text(encoding="utf-8")
    public = [
        node.name for node in ast.parse(source).body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not node.name.startswith("_")
    ]
    assert public, f"exercises/{exercise.relpath()} defines no public function or class"
    missing = [name for name in public if not callable(getattr(module, name, None))]
    assert not missing, f"importing exercises/{exercise.relpath()} did not define {missing}"
    assert (module.__doc__ or "").strip(), f"exercises/{exercise.relpath()} has no module docstring saying what to build"

"""Notice when the code under test rewires the tools the tests judge it with.

Student code runs in the same interpreter as its tests, so it can replace
`pytest.approx`, `pytest.raises`, `math.isclose`, a test function's body or a
helper of course.testing, and every assertion after that proves nothing.
The grader takes a snapshot of those names after the tests are collected and
before any student code is imported; a test whose snapshot no longer matches
fails, naming what was replaced.

Only functions, classes, modules and descriptors are compared: counters and
caches inside these modules change legitimately while tests run.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

WATCHED_MODULES = (
    "builtins", "math", "cmath", "operator", "functools", "itertools", "statistics", "time",
    "threading", "queue", "asyncio", "concurrent.futures", "multiprocessing", "os", "signal",
    "pytest", "_pytest.python_api", "_pytest.raises", "_pytest.outcomes", "_pytest.runner",
    "_pytest.python", "_pytest.reports", "_pytest.fixtures", "_pytest.assertion.rewrite", "_pytest.assertion.util",
    "course.testing", "course.testing.plugin", "course.grading.channel", "course.grading.tamper",
)
# Replaced by pytest itself around every test (its threadexception plugin).
_VOLATILE = {("threading", "excepthook")}
_COMPARED = (types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.ModuleType, type,
             property, classmethod, staticmethod, types.MethodDescriptorType, types.WrapperDescriptorType)


def _namespaces(test_root: Path):
    for name in WATCHED_MODULES:
        module = sys.modules.get(name)
        if module is not None:
            yield name, vars(module)
            if name != "builtins":
                for attr, value in list(vars(module).items()):
                    if isinstance(value, type) and value.__module__ == name:
                        yield f"{name}.{attr}", value.__dict__
    for name, module in list(sys.modules.items()):
        location = getattr(module, "__file__", None) or ""
        if location.startswith(str(test_root)):
            yield name, vars(module)


class Snapshot:
    def __init__(self, test_root: Path):
        self._test_root = test_root
        self._entries = {
            (space, attr): value
            for space, namespace in _namespaces(test_root)
            for attr, value in list(namespace.items())
            if isinstance(value, _COMPARED) and (space, attr) not in _VOLATILE
        }
        self._code = {key: value.__code__ for key, value in self._entries.items() if isinstance(value, types.FunctionType)}

    def replaced(self) -> list[str]:
        """Names whose object (or function body) is no longer the one in the snapshot."""
        current = {space: namespace for space, namespace in _namespaces(self._test_root)}
        changed = []
        for (space, attr), value in self._entries.items():
            namespace = current.get(space)
            if namespace is None or namespace.get(attr, value) is not value:
                changed.append(f"{space}.{attr}")
            elif (space, attr) in self._code and value.__code__ is not self._code[(space, attr)]:
                changed.append(f"{space}.{attr} (its code)")
        return changed

"""The capstone's two errors: an item's exception (`ItemError`) and a dead worker (`WorkerLost`)."""

from __future__ import annotations

import builtins
import importlib


class ItemError(Exception):
    """`fn` raised on one item; the map stops and raises this in the caller.

    The original exception may have happened in another process or on another
    machine, so it travels as data and comes back as an `ItemError` that is
    *also* an instance of the original type whenever that type can be
    imported here: `except ValueError` catches a `ValueError` raised by `fn`,
    as it would around the builtin `map` or `Executor.map`. An unimportable
    type (or one that cannot be combined, see `_combined`) gives a plain
    `ItemError`. Either way it carries:

    - `index`: the position of the failing item in the input
    - `exc_type`: the exception's type name (`"ValueError"`, or `"pkg.mod.MyError"`)
    - `message`: `str()` of the exception
    - `remote_traceback`: the traceback where it happened, as text
    """

    def __new__(cls, index: int, exc_type: str, message: str, remote_traceback: str = ""):
        if cls is ItemError:
            cls = _combined(exc_type)
        return super().__new__(cls)

    def __init__(self, index: int, exc_type: str, message: str, remote_traceback: str = ""):
        # Not super().__init__: the original type's constructor may want other arguments.
        Exception.__init__(self, index, exc_type, message)
        self.index = index
        self.exc_type = exc_type
        self.message = message
        self.remote_traceback = remote_traceback

    def __str__(self) -> str:
        return f"item {self.index} raised {self.exc_type}: {self.message}"

    def __reduce__(self):
        """Pickle by the public name: the combined class is made again on the other side."""
        return ItemError, (self.index, self.exc_type, self.message, self.remote_traceback)


# original exception type -> the ItemError subclass that is also that type
_COMBINED: dict[type, type] = {}


def _combined(exc_type: str) -> type:
    """`ItemError` joined with the exception type named `exc_type`, or `ItemError` alone.

    The class is made once per type and cached, so `type(a) is type(b)` for
    two errors of the same kind, and `except` clauses behave predictably.
    """
    original = _importable_exception(exc_type)
    if original is None:
        return ItemError
    if original not in _COMBINED:
        try:
            combined = type(f"ItemError[{exc_type}]", (ItemError, original), {"__module__": __name__})
        except TypeError:  # an incompatible layout (a few C types); stay a plain ItemError
            combined = ItemError
        _COMBINED.setdefault(original, combined)
    return _COMBINED[original]


def _importable_exception(name: str) -> type | None:
    """The `Exception` subclass called `name` ("ValueError", "pkg.mod.Error", "pkg.mod.Outer.Error"), or None."""
    parts = name.split(".")
    if len(parts) == 1:
        found = getattr(builtins, name, None)
    else:
        found = None
        # The module is the longest importable prefix; the rest is a qualified name inside it.
        for cut in range(len(parts) - 1, 0, -1):
            try:
                found = importlib.import_module(".".join(parts[:cut]))
            except Exception:  # not a module (or a module that fails to import): try a shorter prefix
                continue
            for attribute in parts[cut:]:
                found = getattr(found, attribute, None)
            break
    if not isinstance(found, type) or not issubclass(found, Exception) or issubclass(found, ItemError):
        return None
    if issubclass(found, (StopIteration, StopAsyncIteration)):
        return None  # raised from a generator (a map is one) it would turn into a RuntimeError
    return found


class WorkerLost(Exception):
    """The process running a chunk died before answering; the chunk may be retried.

    The map raises it to the caller (with `index`, the chunk's first item)
    only when a chunk has been lost more than `retries` times: a poison item
    that kills every worker it touches must end in an error, not a loop.
    """

    def __init__(self, message: str, index: int | None = None):
        super().__init__(message)
        self.index = index

"""The code under test in a process of its own, for exercises judged outside its interpreter.

`python -I -m course.grading.subject SOCKET TREE CHAPTER MODULE TESTS_ROOT`

An exercise whose tests only exchange data with the code under test
(catalogue: `judged = "outside"`) is graded without ever importing the
submission into the process that runs the tests and signs the verdicts.
The tests reach the module through this server (course.testing.remote): each
connection is served by a thread of its own, so calls the tests make from
several threads run concurrently here too. The submission can do anything it
likes inside this process, pytest and the grader's modules included: none of
them decides anything here. What leaves is a value, a reference to an object
that stays here, or an exception's type and text, and the tests judge those.

It runs inside the same sandbox as the tests (same namespaces, uid and
limits); the grader's result pipe is not among its file descriptors, and the
tests' process is non-dumpable, so this one cannot read or write it.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import traceback
from pathlib import Path

from course.testing import wire

MAX_REFERENCES = 200_000  # a test that makes more objects than this has gone wrong
MAX_TEXT = 4000  # characters of an exception's message or a repr that cross back
_TOOLKIT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "")


class Objects:
    """Everything handed out as a reference, numbered; the number is stable for an object."""

    def __init__(self) -> None:
        self._by_number: dict[int, object] = {}
        self._numbers: dict[int, int] = {}  # id(object) -> number; the object is kept, so ids stay unique
        self._lock = threading.Lock()

    def refer(self, value) -> dict:
        with self._lock:
            number = self._numbers.get(id(value))
            if number is None:
                if len(self._by_number) >= MAX_REFERENCES:
                    raise wire.WireError(f"more than {MAX_REFERENCES:,} objects handed to the tests")
                number = len(self._by_number) + 1
                self._by_number[number] = value
                self._numbers[id(value)] = number
        return {"t": "ref", "v": number, **describe(value)}

    def resolve(self, tagged: dict):
        if tagged.get("t") == "ref":
            try:
                return self._by_number[tagged["v"]]
            except (KeyError, TypeError):
                raise wire.WireError(f"no object numbered {tagged.get('v')!r}") from None
        if tagged.get("t") == "mp_context" and tagged.get("v") in ("fork", "spawn", "forkserver"):
            import multiprocessing

            return multiprocessing.get_context(tagged["v"])
        raise wire.WireError(f"an unknown tag {tagged.get('t')!r}")


def describe(value) -> dict:
    """What the tests' side needs to stand in for `value`: its kind and name, and for an
    exception class the builtin exceptions it derives from (so `pytest.raises(ValueError)`
    catches a submission's `InsufficientFunds(ValueError)`)."""
    if isinstance(value, type) and issubclass(value, BaseException):
        bases = [base.__name__ for base in value.__mro__ if base.__module__ == "builtins"]
        return {"k": "exception", "n": value.__qualname__, "b": bases}
    if isinstance(value, type):
        return {"k": "class", "n": value.__qualname__}
    name = getattr(type(value), "__qualname__", "object")
    return {"k": "callable" if callable(value) else "object", "n": str(name)}


class Server:
    def __init__(self, tree: Path, chapter: str, module: str) -> None:
        self.tree, self.chapter, self.module_name = tree, chapter, module
        self.objects = Objects()
        self._module = None
        self._import_lock = threading.Lock()

    def module(self):
        """The submission's module, imported on first use (an import error reaches the test that asked)."""
        with self._import_lock:
            if self._module is None:
                from course.testing.tree import load_exercise

                self._module = load_exercise(self.chapter, self.module_name)
            return self._module

    def serve(self, connection: socket.socket) -> None:
        with connection:
            while True:
                try:
                    request = wire.receive(connection)
                except (OSError, EOFError, wire.WireError):
                    return
                if request is None:
                    return
                try:
                    reply = self.answer(request)
                    wire.send(connection, reply)
                except wire.WireError as error:
                    try:
                        wire.send(connection, {"error": str(error)})
                    except (OSError, wire.WireError):
                        return
                except OSError:
                    return

    def answer(self, request: dict) -> dict:
        operation = request.get("op")
        try:
            value = self.perform(operation, request)
        except StopIteration:
            if operation == "next":
                return {"stop": True}
            raise
        except wire.WireError:
            raise
        except BaseException as error:  # the code under test raised: its type and text cross back
            return {"raised": self.raised(error)}
        return {"ok": wire.encode(value, self.objects.refer)}

    def raised(self, error: BaseException) -> dict:
        try:
            message = str(error)[:MAX_TEXT]
        except BaseException:
            message = f"<{type(error).__name__} whose str() failed>"
        args = error.args if all(type(a) in wire.SCALARS for a in error.args) else None
        return {"class": self.objects.refer(type(error)), "message": message,
                "args": list(args) if args is not None else None, "where": self.where(error)}

    def where(self, error: BaseException) -> str:
        """The submission's part of the traceback, as text: where in its code the error came from."""
        try:
            frames = [f for f in traceback.extract_tb(error.__traceback__) if not f.filename.startswith(_TOOLKIT)]
            return "".join(traceback.format_list(frames))[-MAX_TEXT:]
        except Exception:
            return ""

    def perform(self, operation, request: dict):
        def value(name):
            return wire.decode(request.get(name), self.objects.resolve)

        target = self.module() if request.get("target") is None else value("target")
        if operation == "get":
            return getattr(target, _name(request))
        if operation == "set":
            setattr(target, _name(request), value("value"))
            return None
        if operation == "call":
            args, kwargs = value("args"), value("kwargs")
            if type(args) is not list or type(kwargs) is not dict or not all(type(k) is str for k in kwargs):
                raise wire.WireError("a call needs a list of arguments and a dict of keywords")
            function = getattr(target, _name(request)) if request.get("name") is not None else target
            return function(*args, **kwargs)
        if operation == "repr":
            return repr(target)[:MAX_TEXT]
        if operation == "len":
            return len(target)
        if operation == "bool":
            return bool(target)
        if operation == "iter":
            return iter(target)
        if operation == "next":
            return next(target)
        if operation == "getitem":
            return target[value("key")]
        if operation == "setitem":
            target[value("key")] = value("value")
            return None
        if operation == "contains":
            return value("key") in target
        raise wire.WireError(f"an unknown operation {operation!r}")


def _name(request: dict) -> str:
    name = request.get("name")
    if type(name) is not str or not name.isidentifier():
        raise wire.WireError(f"not an attribute name: {name!r}")
    return name


def main() -> None:
    socket_path, tree, chapter, module, tests_root = sys.argv[1:6]
    from course.grading.tamper import install_audit_hook
    from course.testing.tree import expose_tree

    toolkit = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # No judge here: the hook only keeps the solutions and the grader's stacks out of reach,
    # as it does for an exercise judged inside.
    install_audit_hook(tree, (sys.prefix, sys.base_prefix, toolkit, tests_root), None, tests_root=tests_root)
    expose_tree(Path(tree))
    server = Server(Path(tree), chapter, module)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen(64)
    while True:
        connection, _ = listener.accept()
        threading.Thread(target=server.serve, args=(connection,), name="course-subject-connection", daemon=True).start()


if __name__ == "__main__":
    main()

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
    "course.testing", "course.testing.plugin", "course.testing.pyro", "course.grading.channel", "course.grading.tamper",
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


# -- refusing what forging needs (PEP 578) ---------------------------------------------------

# Events refused while code of the submission is on the calling thread's stack.
_REFUSED = frozenset({
    "gc.get_objects", "gc.get_referrers", "gc.get_referents",  # finding the key or the sender among live objects
    "sys._getframe", "sys._current_frames",  # walking frames up to the sender
    "sys.settrace", "sys.setprofile",  # rewriting outcomes as they happen (threading.settrace ends here too)
    "code.__new__",  # code disguised as the grader's by its filename (marshal.loads below)
})
_FRAME_ATTRIBUTES = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_back"})
_STACK_READERS = ("traceback.py", "_code/code.py")  # print a traceback without handing frames out
# Dump every thread's stack as text on a timeout; they run in a signal handler, on top of
# whatever frame the test was stuck in, often the submission's.
_STACK_DUMPERS = ("/pytest_timeout.py", "/course/grading/channel.py")
_FORBIDDEN_IMPORTS = ("solutions", "tests.buggy")
_WATCHED = _REFUSED | {"object.__getattr__", "compile", "marshal.loads", "open", "import"}


class Refused(ValueError):
    """Raised into submission code for what only an attack needs. A ValueError because the
    standard library treats "no frame available" (namedtuple, typing, logging) as one."""


def install_audit_hook(tree: str, trusted: tuple[str, ...]):
    """Refuse to the submission's frames the tools that forging a verdict needs.

    Installed in the child before any student code is imported; an audit hook
    cannot be removed. Returns a function telling whether code of the submission
    is on the calling thread's stack (the result sender refuses such calls).

    A frame is trusted only when its code comes from a file under `trusted`
    (the interpreter, the venv, the toolkit, the course's tests: all read-only
    to the run) and not from the staged tree; anything else (the submission,
    a file it wrote in /tmp and imported, `<string>` code from `exec`) counts
    as the submission's. Code compiled under a trusted file's name must be that
    file's text, so compiling cannot disguise it. The grader's own helpers
    (stack dumps on timeout, pytest's tracebacks) run from trusted frames, and
    printing a traceback (traceback.py) stays possible for student code.
    """
    import os
    import sys
    import threading

    prefixes = tuple({os.path.join(tree, ""), os.path.join(os.path.realpath(tree), "")})
    trusted = tuple({os.path.join(folder, "") for path in trusted for folder in (path, os.path.realpath(path))})
    getframe = sys._getframe
    busy = threading.local()  # in the hook's closure only: nothing of the student's reaches it

    def untrusted(filename: str) -> bool:
        if filename.startswith("<frozen "):
            return False
        # The tree is imported through a folder holding a `submission` link (course.testing.plugin).
        return filename.startswith(prefixes) or "/submission/" in filename or not filename.startswith(trusted)

    def genuine(source, filename: str) -> bool:
        """Is `source` the text of `filename` (importlib compiling a module it found)?"""
        try:
            with open(filename, "rb") as handle:
                text = handle.read()
        except OSError:
            return False
        return text == (source.encode() if isinstance(source, str) else bytes(source))

    def untrusted_thread_hooks() -> bool:
        """threading.settrace/setprofile only store a function; each new thread installs it."""
        threading = sys.modules.get("threading")
        hooks = (getattr(threading, "_trace_hook", None), getattr(threading, "_profile_hook", None))
        return any(untrusted(getattr(getattr(h, "__code__", None), "co_filename", "<string>")) for h in hooks if h)

    def submission_on_stack() -> bool:
        frame = getframe(2)
        while frame is not None:
            if untrusted(frame.f_code.co_filename):
                return True
            frame = frame.f_back
        return False

    def caller_files(depth: int) -> list[str]:
        frame, files = getframe(3), []  # 0: here, 1: check, 2: hook, 3: the code that raised the event
        while frame is not None and len(files) < depth:
            files.append(frame.f_code.co_filename)
            frame = frame.f_back
        return files

    def hook(event: str, args: tuple) -> None:
        if event not in _WATCHED and not event.startswith("ctypes."):
            return  # the common case (open, import, exec...) costs one set lookup
        if getattr(busy, "now", False):
            return  # the hook's own look at the stack
        busy.now = True
        try:
            check(event, args)
        finally:
            busy.now = False

    def check(event: str, args: tuple) -> None:
        if event == "sys._current_frames" and caller_files(1)[0].endswith(_STACK_DUMPERS):
            return
        if event in _REFUSED or event.startswith("ctypes."):
            if submission_on_stack() or (event in ("sys.settrace", "sys.setprofile") and untrusted_thread_hooks()):
                raise Refused(f"{event} is not available to the code under test")
        elif event == "object.__getattr__" and args[1] in _FRAME_ATTRIBUTES:
            if all(f.endswith(_STACK_READERS) for f in caller_files(2)):
                return  # traceback printing: it reads frames but does not return them
            if submission_on_stack():
                raise Refused(f"{args[1]} is not available to the code under test")
        elif event == "compile" and isinstance(args[1], str) and not args[1].startswith("<") \
                and not untrusted(args[1]) and submission_on_stack() and not genuine(args[0], args[1]):
            raise Refused("compiling code under another file's name is not available to the code under test")
        elif event == "marshal.loads" and not caller_files(1)[0].startswith("<frozen importlib"):
            if submission_on_stack():
                raise Refused("marshal.loads is not available to the code under test")
        elif event == "open" and isinstance(args[0], str) and args[0].startswith("/proc/") \
                and args[0].endswith(("/mem", "/environ", "/maps", "/pagemap")):
            if submission_on_stack():
                raise PermissionError(f"{args[0]} is not available to the code under test")
        elif event == "import" and args[0].startswith(_FORBIDDEN_IMPORTS):
            if submission_on_stack():
                raise ModuleNotFoundError(f"No module named {args[0]!r}")

    def from_submission() -> bool:
        busy.now = True
        try:
            return submission_on_stack()
        finally:
            busy.now = False

    sys.addaudithook(hook)
    return from_submission

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

import operator
import sys
import types
from pathlib import Path

WATCHED_MODULES = (
    "builtins", "math", "cmath", "operator", "functools", "itertools", "statistics", "time",
    "threading", "queue", "asyncio", "concurrent.futures", "multiprocessing", "os", "signal", "json", "hmac",
    "pytest", "pytest_timeout",
)
# Every module of these packages: pytest's runner, reports and fixtures, pluggy's hook calling,
# and the toolkit (the judge's own helpers among them).
WATCHED_PACKAGES = ("_pytest.", "pluggy.", "course.")
# Replaced by pytest itself around every test (its threadexception plugin).
_VOLATILE = {("threading", "excepthook")}
_COMPARED = (types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.ModuleType, type,
             property, classmethod, staticmethod, types.MethodDescriptorType, types.WrapperDescriptorType)


def _namespaces(test_root: Path):
    """(name, module or class, namespace) of every watched module and of its classes."""
    root = str(test_root)
    for name, module in list(sys.modules.items()):
        location = getattr(module, "__file__", None) or ""
        if type(module) is not types.ModuleType or not (
                name in WATCHED_MODULES or name.startswith(WATCHED_PACKAGES) or location.startswith(root)):
            continue
        namespace = vars(module)
        yield name, module, namespace
        if name != "builtins":
            for attr, value in list(namespace.items()):
                if isinstance(value, type) and value.__module__ == name:
                    yield f"{name}.{attr}", value, vars(value)


class Snapshot:
    """The watched names as they are now. It keeps each namespace itself (a module's dict
    is that module's for life, a class's mapping shows its dict as it changes), so a
    later look reads no module or global that student code could have rebound; a
    function's body cannot be swapped under it (the audit hook refuses rewriting
    `__code__` of the grader's, pytest's and the tests' functions)."""

    def __init__(self, test_root: Path):
        self._modules = {}
        self._entries = []
        for space, owner, namespace in _namespaces(test_root):
            if isinstance(owner, types.ModuleType):
                self._modules[space] = owner
            names = [(attr, value) for attr, value in list(namespace.items())
                     if isinstance(value, _COMPARED) and (space, attr) not in _VOLATILE]
            self._entries.append((space, namespace, tuple(a for a, _ in names), tuple(v for _, v in names)))

    def replaced(self, modules=sys.modules, any=any, map=map, is_not=operator.is_not) -> list[str]:
        """Names whose object is no longer the one in the snapshot (compared in C, by
        identity: a replacement's own `__eq__` is never asked)."""
        changed = [name for name, module in self._modules.items() if modules.get(name) is not module]
        for space, namespace, names, values in self._entries:
            if any(map(is_not, map(namespace.get, names, values), values)):
                changed += [f"{space}.{a}" for a, v in zip(names, values) if namespace.get(a, v) is not v]
        return changed


# -- refusing what forging needs (PEP 578) ---------------------------------------------------

# Refused to everyone but a few known callers (a test library checking its own objects):
# a thread whose target is a C method (`list.extend` fed by `itertools.starmap`), or a
# lazy C iterator the tests consume, calls them with no frame of the submission on the stack.
_ALWAYS_REFUSED = frozenset({"gc.get_objects", "gc.get_referrers", "gc.get_referents"})
_GC_USERS = ("/hypothesis/internal/entropy.py",)
# Refused while code of the submission is on the calling thread's stack.
_REFUSED = frozenset({
    "sys._getframe", "sys._current_frames",  # walking frames up to the plugin or the judge
    "sys.settrace", "sys.setprofile",  # rewriting outcomes as they happen (threading.settrace ends here too)
    "code.__new__",  # code disguised as the grader's by its filename
    "marshal.loads",  # the same, through importlib's bytecode loader (a trusted module's own cache is read)
})
# Refused while the judge runs (its frame holds the key and the verdicts): in its thread,
# whatever could reach its frame; in other threads, reading another thread's frames.
_WHILE_JUDGING = frozenset({"sys._getframe", "sys._current_frames", "sys.settrace", "sys.setprofile", "object.__getattr__"})
_FRAME_ATTRIBUTES = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame"})
# Let through to trusted code only when that code calls them by name (tamper.install_audit_hook).
_CALLED_BY_NAME = frozenset({"sys._getframe", "sys.settrace", "sys.setprofile"})
_FUNCTION_PARTS = frozenset({"__code__", "__defaults__", "__kwdefaults__"})
_FUNCTION_REWRITERS = ("/types.py", "/course/grading/channel.py")  # types.coroutine; the witness
_STACK_READERS = ("traceback.py", "_code/code.py")  # print a traceback without handing frames out
_FORBIDDEN_IMPORTS = ("solutions", "tests.buggy")
_JUDGED = frozenset({"course.collected", "course.report", "course.finished", "course.send"})
_WATCHED = _ALWAYS_REFUSED | _REFUSED | _JUDGED | {
    "object.__getattr__", "object.__setattr__", "object.__delattr__", "compile", "open", "import"}


class Refused(ValueError):
    """Raised into submission code for what only an attack needs. A ValueError because the
    standard library treats "no frame available" (namedtuple, typing, logging) as one."""


class _Probe(Exception):
    """Raised and caught by the hook to find its own frame without `sys._getframe`."""


def install_audit_hook(tree: str, trusted: tuple[str, ...], judge=None, tests_root: str | None = None) -> None:
    """Refuse to the submission's frames the tools that forging a verdict needs, and hand
    the `course.*` events to `judge` (channel.judge, already started), which from then on
    only this hook holds.

    Installed in the child before any student code is imported; an audit hook
    cannot be removed, and no Python code can list the hooks, so `judge` is out
    of reach of attribute walks. A frame is trusted only when its code comes
    from a file under `trusted` (the interpreter, the venv, the toolkit, the
    course's tests: all read-only to the run) and not from the staged tree;
    anything else (the submission, a file it wrote in /tmp and imported,
    `<string>` code from `exec`) counts as the submission's. Code compiled under
    a trusted file's name must be that file's text, and bytecode cannot be
    loaded while the submission is on the stack, so code cannot pass itself
    off as trusted. The grader's own helpers (stack dumps on timeout, pytest's
    tracebacks) run from trusted frames, and printing a traceback (traceback.py)
    stays possible for student code.

    The hook never lets a check through because it is already running: student
    code can run inside it (a finalizer, a signal handler), and would then get
    everything. It finds its own frame by raising and catching an exception,
    and reads that one traceback's frame; only that read is let through.
    """
    import _thread
    import gc
    import os
    import queue
    import sys
    import threading

    prefixes = tuple({os.path.join(tree, ""), os.path.join(os.path.realpath(tree), "")})
    trusted = tuple({os.path.join(folder, "") for path in trusted for folder in (path, os.path.realpath(path))})
    reading = threading.local()  # the traceback whose frame the hook itself is reading
    judging = [None]  # the judge's thread, while it judges
    gc_enabled, gc_disable, gc_enable, probe_type, function_type = gc.isenabled, gc.disable, gc.enable, _Probe, types.FunctionType
    get_ident, getpid, new_lock, frame_type = threading.get_ident, os.getpid, _thread.allocate_lock, types.FrameType
    main, owner, inbox = get_ident(), getpid(), queue.SimpleQueue()
    tests = os.path.join(tests_root or "/nonexistent", "")

    def untrusted(filename) -> bool:
        if type(filename) is not str:
            return True
        if filename.startswith("<frozen "):
            return False
        # The tree is imported through a folder holding a `submission` link (course.testing.plugin).
        return filename.startswith(prefixes) or "/submission/" in filename or not filename.startswith(trusted)

    def own_frame():
        """The frame of the function calling this one."""
        try:
            raise probe_type
        except probe_type as probe:
            traceback = probe.__traceback__
        reading.tb = traceback
        try:
            frame = traceback.tb_frame
        finally:
            reading.tb = None
        return frame.f_back

    def genuine(source, filename: str) -> bool:
        """Is `source` the text of `filename` (importlib compiling a module it found)?"""
        if type(source) is str:
            source = source.encode()
        elif type(source) not in (bytes, bytearray):
            return False
        try:
            with open(filename, "rb") as handle:
                return handle.read() == bytes(source)
        except OSError:
            return False

    def cached_bytecode(data, raiser) -> bool:
        """Is importlib loading a trusted module's own cached bytecode (`data` is that file's
        body, read here again)? Anything else loaded while the submission is on the stack
        could be code dressed up as the grader's."""
        path = raiser.f_locals.get("bytecode_path") if raiser is not None \
            and raiser.f_code.co_filename.startswith("<frozen importlib") else None
        if type(path) is not str or untrusted(path) or type(data) is not bytes:
            return False
        try:
            with open(path, "rb") as handle:
                return handle.read()[16:] == data  # after the header: magic, flags, source stamp
        except OSError:
            return False

    def untrusted_thread_hooks() -> bool:
        """threading.settrace/setprofile only store a function; each new thread installs it."""
        threading = sys.modules.get("threading")
        hooks = (getattr(threading, "_trace_hook", None), getattr(threading, "_profile_hook", None))
        return any(type(h) is not function_type or untrusted(h.__code__.co_filename) for h in hooks if h)

    def submission_on(frame) -> bool:
        while frame is not None:
            if untrusted(frame.f_code.co_filename):
                return True
            frame = frame.f_back
        return False

    import inspect
    import logging

    # Trusted functions that hand the frame they found back to their caller.
    returners = {inspect.currentframe.__code__: "currentframe", inspect.stack.__code__: "stack",
                 logging.currentframe.__code__: "currentframe"}

    def called_by_name(raiser, primitive: str) -> bool:
        """Does the code raising the event name the primitive itself (`sys._getframe(1)`,
        `tb.tb_frame`)? A C callable that a test or pytest runs for the submission (a `map`
        over `sys._getframe`, an `attrgetter("tb_frame")`, a `starmap` of
        `inspect.currentframe`) raises it from a trusted frame that never names it, with no
        frame of the submission on the stack. A function that returns the frame it found
        must itself be called by name."""
        if raiser is None:
            return False
        name = primitive.rpartition(".")[2]
        code = raiser.f_code
        if name not in code.co_names and name not in code.co_consts:
            return False
        returned_as = returners.get(code)
        if returned_as is None:
            return True
        caller = raiser.f_back
        return caller is not None and (returned_as in caller.f_code.co_names or returned_as in caller.f_code.co_consts)

    def deliver(event: str, args: tuple) -> None:
        """Hand an event to the judge's thread and wait until it is judged."""
        if judge is None or get_ident() != main or getpid() != owner or judging[0] is not None:
            return  # another thread's, a forked child's, or raised while judging: not judged
        request = (event, args, own_frame(), new_lock())
        request[3].acquire()
        inbox.put(request)
        request[3].acquire()

    import ctypes
    import multiprocessing.sharedctypes as sharedctypes

    # multiprocessing.Value and Array build numbers in shared memory with ctypes
    # (from_buffer, addressof, memset), inside these functions of the standard library.
    # Taken now, before student code runs, so no replaced attribute changes them.
    shared_builders = (sharedctypes.__file__, frozenset({"RawValue", "RawArray", "rebuild_ctype"}))
    numbers = tuple(sharedctypes.typecode_to_type.values())
    simple_meta, array_meta, array_base = type(ctypes.c_int), type(ctypes.Array), ctypes.Array

    def plain_number_type(kind) -> bool:
        """A ctypes number type of the standard library, or an array of one: no pointer in it.
        Only identity and type checks: nothing here runs code of the submission's."""
        if type(kind) is array_meta and kind.__bases__[0] is array_base:
            kind = vars(kind).get("_type_")
        return type(kind) is simple_meta and any(kind is number for number in numbers)

    def shared_numbers(frame) -> bool:
        """Is the ctypes event raised by multiprocessing's shared-number builders, for numbers?"""
        if frame is None:
            return False
        code = frame.f_code
        if code.co_filename != shared_builders[0] or code.co_name not in shared_builders[1]:
            return False
        return plain_number_type(frame.f_locals.get("type_"))

    def serve() -> None:
        """The judge's thread. A Python signal handler runs in the main thread only, with the
        frame it interrupted: the judge's frame, holding the key, is never one of them, and
        nothing in the main thread holds the judge. A request counts only if the frame that
        sent it is `deliver` running now with that very request; the event's raiser is the
        frame below the hook (deliver, check, hook, raiser)."""
        while True:
            request = inbox.get()
            if type(request) is not tuple or len(request) != 4 or type(request[2]) is not frame_type \
                    or type(request[3]) is not type(lock):
                continue
            messenger = request[2]
            if messenger.f_code is deliver.__code__ and messenger.f_locals.get("request") is request:
                enabled = gc_enabled()
                gc_disable()  # no finalizer runs in this thread while the judge's frame is live
                judging[0] = get_ident()
                try:
                    judge.send((request[0], request[1], messenger.f_back.f_back.f_back))  # check, hook, raiser
                except Exception:
                    pass
                finally:
                    judging[0] = None
                    if enabled:
                        gc_enable()
            try:
                request[3].release()
            except RuntimeError:
                pass

    def hook(event, args: tuple) -> None:
        if type(event) is not str or (event not in _WATCHED and not event.startswith("ctypes.")):
            return  # the common case (exec, os.listdir...) costs one set lookup
        if event == "object.__getattr__" and (args[1] not in _FRAME_ATTRIBUTES or (
                args[1] == "tb_frame" and args[0] is getattr(reading, "tb", None))):
            return  # f_code, __code__...: and the hook's own look at its frame
        check(event, args, own_frame().f_back)

    def check(event: str, args: tuple, raiser) -> None:
        if event in _JUDGED:
            return deliver(event, args)
        if event in _ALWAYS_REFUSED and (raiser is None or not raiser.f_code.co_filename.endswith(_GC_USERS)
                                         or submission_on(raiser) or not called_by_name(raiser, event)):
            raise Refused(f"{event} is not available to the code under test")
        if event.startswith("ctypes."):
            if shared_numbers(raiser):
                return  # no pointer in a number: nothing to read the judge's memory with
            raise Refused(f"{event} is not available to the code under test")
        if judging[0] is not None and (event == "sys._current_frames" or event.startswith("ctypes.") or (
                event in _WHILE_JUDGING and judging[0] == get_ident())):
            raise Refused(f"{event} is not available while the grader judges")
        if event == "sys._current_frames":  # every thread's frames, the judge's among them
            # Only a test's own probe; the toolkit reads stacks as text (course.testing.stacks).
            if raiser is None or not raiser.f_code.co_filename.startswith(tests) or submission_on(raiser) \
                    or not called_by_name(raiser, event):
                raise Refused(f"{event} is not available to the code under test")
            return
        if event == "marshal.loads":
            if submission_on(raiser) and not cached_bytecode(args[0], raiser):
                raise Refused(f"{event} is not available to the code under test")
        elif event in _REFUSED:
            if submission_on(raiser) or (event in ("sys.settrace", "sys.setprofile") and untrusted_thread_hooks()) \
                    or (event in _CALLED_BY_NAME and not called_by_name(raiser, event)):
                raise Refused(f"{event} is not available to the code under test")
        elif event == "object.__getattr__":  # a frame attribute
            if judge is not None and args[0] is judge:
                raise Refused(f"{args[1]} of the judge is not available")
            if raiser is not None and raiser.f_code.co_filename.endswith(_STACK_READERS) and (
                    raiser.f_back is not None and raiser.f_back.f_code.co_filename.endswith(_STACK_READERS)):
                return  # traceback printing: it reads frames but does not return them
            if submission_on(raiser) or not called_by_name(raiser, args[1]):
                raise Refused(f"{args[1]} is not available to the code under test")
        elif event in ("object.__setattr__", "object.__delattr__"):
            # A trusted function keeps its body and defaults (a thread whose target is
            # `setattr` has no frame of the submission); only `types.coroutine` and the
            # witness (on its copy of the test) rewrite one.
            if args[1] in _FUNCTION_PARTS and type(args[0]) is function_type \
                    and not untrusted(args[0].__code__.co_filename) \
                    and (raiser is None or not raiser.f_code.co_filename.endswith(_FUNCTION_REWRITERS)):
                raise Refused(f"rewriting {args[1]} of this function is not available to the code under test")
        elif event == "compile" and type(args[1]) is str and not args[1].startswith("<") \
                and not untrusted(args[1]) and submission_on(raiser) and not genuine(args[0], args[1]):
            raise Refused("compiling code under another file's name is not available to the code under test")
        elif event == "open" and type(args[0]) is str and args[0].startswith("/proc/") \
                and args[0].endswith(("/mem", "/environ", "/maps", "/pagemap")):
            if submission_on(raiser):
                raise PermissionError(f"{args[0]} is not available to the code under test")
        elif event == "import" and type(args[0]) is str and args[0].startswith(_FORBIDDEN_IMPORTS):
            if submission_on(raiser):
                raise ModuleNotFoundError(f"No module named {args[0]!r}")

    lock = new_lock()
    if judge is not None:
        judge.send(lambda code: untrusted(code.co_filename))
        _thread.start_new_thread(serve, ())
    sys.addaudithook(hook)

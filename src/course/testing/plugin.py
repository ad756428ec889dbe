"""The pytest plugin every graded test uses (tests/conftest.py loads it).

It gives tests the code under test without naming a tree (the `exercise`
fixture), the `task` marker, a `mp_context` fixture that repeats a test under
fork, spawn and forkserver (a failure says, in plain words, which start method
it failed under and what that method does not hand to a worker), and an
automatic check that a test leaves no threads, child processes, listening
sockets or shared-memory segments behind.
"""

from __future__ import annotations

import ast
import gc
import logging
import multiprocessing
import os
import sys
import threading
import time
import warnings
from pathlib import Path

import psutil
import pytest

from course.catalogue import find_root, resolve_tree
from course.catalogue import load as load_catalogue
from course.testing.remote import Subject
from course.testing.tree import SUBMISSION_PACKAGE, expose_tree, load_exercise

LEAK_GRACE_SECONDS = 3.0
START_METHODS = ("fork", "spawn", "forkserver")
SHARED_MEMORY = Path("/dev/shm")
SHARED_MEMORY_PREFIX = "psm_"  # multiprocessing.shared_memory._SHM_NAME_PREFIX on POSIX
# What a worker process gets under each start method, as a learner should read it.
START_METHOD_MEANING = {
    "fork": "each worker is a copy of the calling process made when it starts, globals and all",
    "spawn": (
        "each worker is a fresh Python that imports your module again and gets everything else "
        "by pickling: globals set while the program runs, lambdas and nested functions do not reach it"
    ),
    "forkserver": (
        "each worker is forked from a clean server process, so, as under spawn, it sees only what "
        "your module defines when imported and what is pickled to it"
    ),
}
# Errors whose text a learner cannot act on, and what they mean.
_PICKLING_ERRORS = {
    "Can't pickle local object": "a nested function or lambda cannot be pickled: define it at module level",
    "Can't pickle <function <lambda>": "a lambda cannot be pickled: use a function defined at module level",
    "Can't get attribute": "the worker could not find that name in your module: define it at module level",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("course")
    group.addoption(
        "--against",
        default=os.environ.get("COURSE_TREE", "solutions"),
        help="tree the graded tests import: exercises, solutions or a path (default: solutions)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "task(n): the catalogue task this graded test belongs to")
    against = config.getoption("--against")
    expose_tree(resolve_tree(find_root(config.rootpath), against))
    # A test file named on the command line (the grader names one): its exercise's process,
    # if judged outside, starts now and is ready by the time collection is done.
    for argument in config.args:
        path = Path(argument.partition("::")[0])
        if path.suffix == ".py" and path.name.startswith("test_"):
            _start_if_outside(config, path)


@pytest.fixture
def exercise(request: pytest.FixtureRequest):
    """The module under test, found from the test file's place: tests/exercises/CHAPTER/test_MODULE.py.

    For an exercise judged outside (catalogue: `judged = "outside"`) this process never
    imports it: the fixture gives a stand-in that reaches the module in a process of its
    own (course.testing.remote), started once and again after the code under test ends it.
    """
    path = Path(request.path)
    chapter, module = path.parent.name, path.stem.removeprefix("test_")
    if not _judged_outside(request.config, chapter, module):
        return load_exercise(chapter, module)
    return _subject(request.config, chapter, module).module


def _subject(config: pytest.Config, chapter: str, module: str) -> Subject:
    """The process running that exercise's module: the one already started, or a new one."""
    subjects = config.stash.setdefault(_SUBJECTS, {})
    subject = subjects.get((chapter, module))
    if subject is None or not subject.alive():
        if subject is not None:
            subject.close()
        root = find_root(config.rootpath)
        tree = resolve_tree(root, config.getoption("--against"))
        subject = subjects[chapter, module] = Subject(tree, chapter, module, root / "tests")
    return subject


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the process of each exercise judged outside now: it starts while pytest gets
    on with the first test (the submission is imported only when a test asks for it)."""
    for path in {Path(item.path) for item in session.items if "exercise" in getattr(item, "fixturenames", ())}:
        _start_if_outside(session.config, path)


def _start_if_outside(config: pytest.Config, test_file: Path) -> None:
    chapter, module = test_file.parent.name, test_file.stem.removeprefix("test_")
    if _judged_outside(config, chapter, module):
        _subject(config, chapter, module)


_SUBJECTS = pytest.StashKey[dict]()
_OUTSIDE = pytest.StashKey[set]()


def _judged_outside(config: pytest.Config, chapter: str, module: str) -> bool:
    if _OUTSIDE not in config.stash:
        catalogue = load_catalogue(find_root(config.rootpath), check_files=False)
        config.stash[_OUTSIDE] = {(e.chapter, e.module) for e in catalogue.exercises if e.judged == "outside"}
    return (chapter, module) in config.stash[_OUTSIDE]


def _subjects(config: pytest.Config) -> list[Subject]:
    return [s for s in config.stash.get(_SUBJECTS, {}).values() if s.alive()]


@pytest.fixture(params=START_METHODS)
def mp_context(request: pytest.FixtureRequest):
    """A multiprocessing context per start method: code that only works under fork is a bug."""
    return multiprocessing.get_context(request.param)


def _children() -> set[int]:
    """This process's direct children (multiprocessing's, subprocess's, a daemon's double fork's parent)."""
    return {child.pid for child in psutil.Process().children()}


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _listening_sockets() -> set[str]:
    """TCP sockets this process holds in the LISTEN state, as address:port."""
    return {
        f"{connection.laddr.ip}:{connection.laddr.port}"
        for connection in psutil.Process().net_connections(kind="tcp")
        if connection.status == psutil.CONN_LISTEN
    }


def _shared_memory_segments() -> set[str]:
    """Python's shared-memory blocks in /dev/shm (`multiprocessing.shared_memory` names them psm_*).

    Only those: other programs keep segments there too (a database, a browser),
    and so do multiprocessing's own named semaphores (`sem.*`, kept until the
    lock object is collected), none of which is a leak of the code under test.
    """
    try:
        return {name for name in os.listdir(SHARED_MEMORY) if name.startswith(SHARED_MEMORY_PREFIX)}
    except OSError:  # no /dev/shm on this system: nothing to leak there
        return set()


def _snapshot(own_sockets: bool = True) -> tuple[set[threading.Thread], set[int], set[str], set[str]]:
    sockets = _listening_sockets() if own_sockets else set()
    return set(threading.enumerate()), _children(), sockets, _shared_memory_segments()


@pytest.fixture(autouse=True)
def no_leaks(request: pytest.FixtureRequest):
    """Fail a test that leaves threads, child processes, listening sockets or
    shared-memory segments behind.

    A leftover thread is usually a worker that was never joined, a consumer
    that never got its shutdown sentinel or a queue's feeder thread; it can also
    keep the interpreter from exiting. A segment in /dev/shm outlives every
    process until someone unlinks it: it holds memory until the machine reboots.
    The check waits (with a deadline) for things to wind down first. It removes
    nothing: a leaked block is unlinked by multiprocessing's resource tracker
    when the test run ends (with a warning), and a name that merely looks like
    one may belong to another program.

    For an exercise judged outside, this process runs none of the code under
    test: what counts is the other process's threads, children and servers,
    observed from here (course.testing.remote.Subject.census).
    """
    if request.node.get_closest_marker("allow_leaks"):
        yield
        return
    path = Path(request.path)
    outside = _judged_outside(request.config, path.parent.name, path.stem.removeprefix("test_"))
    threads_before, children_before, sockets_before, segments_before = _snapshot(own_sockets=not outside)
    remote_before = {s.pid: s.census() for s in _subjects(request.config)}
    yield
    multiprocessing.active_children()  # reaps finished children

    servers = {}  # what each subject's process listens on, at the latest look

    def leaks():
        threads, children, sockets, segments = _snapshot(own_sockets=not outside)
        subjects = _subjects(request.config)
        remote = [(s, s.census(), remote_before.get(s.pid, (0, set()))) for s in subjects]
        servers.update({s: s.servers() for s in subjects})
        return (
            [t.name for t in threads - threads_before if t.is_alive()]
            + [f"{now[0] - before[0]} in the code under test's process" for _, now, before in remote if now[0] > before[0]],
            [pid for pid in children - children_before if _alive(pid) and not _is_helper(pid)
             and pid not in {s.pid for s in subjects}]
            + [pid for _, now, before in remote for pid in now[1] - before[1] if _alive(pid) and not _is_helper(pid)],
            sorted(sockets - sockets_before) + sorted(a for s, now in servers.items() for a in now - s.servers_after_last_test),
            sorted(segments - segments_before),
        )

    deadline = time.monotonic() + LEAK_GRACE_SECONDS
    while any(found := leaks()) and time.monotonic() < deadline:
        time.sleep(0.02)
    threads, children, sockets, segments = found
    for subject, now in servers.items():
        subject.servers_after_last_test = now
    problems = []
    if threads:
        problems.append("threads still running: " + ", ".join(threads) + " (join them before returning)")
    if children:
        problems.append(f"child processes still running: pids {sorted(children)} (join or terminate them)")
    if sockets:
        problems.append("servers still listening: " + ", ".join(sockets) + " (shut the daemon down)")
    if segments:
        problems.append(
            "shared-memory segments left in /dev/shm: " + ", ".join(segments)
            + " (unlink() the block once every process has closed it, in a finally)"
        )
    if problems:
        pytest.fail("the code left work running after it returned:\n  " + "\n  ".join(problems), pytrace=False)


class _AsyncioComplaints(logging.Handler):
    """Collects asyncio's 'Task was destroyed but it is pending!' reports."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "destroyed but it is pending" in message:
            self.messages.append(" ".join(message.split()))


@pytest.fixture(autouse=True)
def no_lost_coroutines():
    """Fail a test in which a coroutine was never awaited or a pending task was destroyed.

    Both lose work silently: `fetch(url)` without `await` only builds a
    coroutine object (Python warns when it is thrown away), and a task nobody
    keeps a reference to can be garbage-collected while it still waits
    (asyncio logs "Task was destroyed but it is pending!", CPython #91887).
    A garbage collection at the end of the test finds the objects that only
    a reference cycle kept alive. It looks only at objects made since the
    previous test: what survived a test is frozen (gc.freeze), so the check
    costs microseconds, not the quarter second a collection of the whole heap
    of a pytest process takes.
    """
    complaints = _AsyncioComplaints()
    logger = logging.getLogger("asyncio")
    logger.addHandler(complaints)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        try:
            yield
        finally:
            gc.collect()  # cheap: everything older than this test is frozen (below)
            gc.freeze()
            logger.removeHandler(complaints)
    never_awaited = []
    for warning in caught:
        if issubclass(warning.category, RuntimeWarning) and "was never awaited" in str(warning.message):
            never_awaited.append(str(warning.message))
        else:  # not ours: hand it back to pytest's own warnings capture
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    problems = [f"{message} (call it with await, or hand it to a task you keep)" for message in never_awaited]
    problems += [f"{message} (keep a reference to every task and await it)" for message in complaints.messages]
    if problems:
        pytest.fail("asynchronous work was lost:\n  " + "\n  ".join(problems), pytrace=False)


def _is_helper(pid: int) -> bool:
    """The forkserver and resource tracker are shared helpers, not leaks."""
    try:
        cmdline = " ".join(psutil.Process(pid).cmdline())
    except psutil.Error:
        return True
    return "forkserver" in cmdline or "resource_tracker" in cmdline


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """`DID NOT RAISE ValueError` names the call that should have raised, from the test's source;
    a failure under one start method says which, and what that method does not hand a worker."""
    outcome = yield
    report = outcome.get_result()
    crash = getattr(report.longrepr, "reprcrash", None)
    if not report.failed or crash is None:
        return
    if call.excinfo is not None and crash.message.startswith("Failed: DID NOT RAISE"):
        if statement := _expected_to_raise(call.excinfo, Path(item.path)):
            crash.message = f"{crash.message}: `{statement}` should have raised it"
    if method := _start_method_of(item):
        crash.message = explain_start_method(crash.message, method)


def _start_method_of(item: pytest.Item) -> str:
    """The start method an `mp_context` test ran under, or ""."""
    callspec = getattr(item, "callspec", None)
    method = callspec.params.get("mp_context", "") if callspec else ""
    return method if method in START_METHODS else ""


def explain_start_method(message: str, method: str) -> str:
    """`message` with the start method it failed under, in plain words, after its error type.

    "AssertionError: word_count returned {}" becomes "AssertionError: failed under the
    spawn start method (each worker is a fresh Python ...): word_count returned {}",
    so the learner's report keeps the test's own first line and reads as one sentence.
    """
    kind, separator, text = message.partition(": ")
    if not separator or " " in kind:
        kind, text = "", message
    notes = [meaning for pattern, meaning in _PICKLING_ERRORS.items() if pattern in message]
    said = f"failed under the {method} start method ({START_METHOD_MEANING[method]})"
    said += "".join(f"; {note}" for note in notes)
    return f"{kind}: {said}: {text}" if kind else f"{said}: {text}"


def _expected_to_raise(excinfo: pytest.ExceptionInfo, test_file: Path) -> str:
    """The source of the body of the `with pytest.raises(...)` block that failed in `test_file`."""
    lines = [entry.lineno + 1 for entry in excinfo.traceback if Path(entry.path) == test_file]
    if not lines:
        return ""
    source = test_file.read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.With) and node.lineno <= lines[-1] <= node.end_lineno and any(
            isinstance(i.context_expr, ast.Call) and getattr(i.context_expr.func, "attr", "") == "raises" for i in node.items
        ):
            return "; ".join(ast.unparse(statement) for statement in node.body)
    return ""


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Kill child processes still alive when the run ends.

    The leak check has already failed the test that left them; without this,
    multiprocessing's exit handler would join a stuck child and the whole run
    would hang after printing its results.
    """
    for child in multiprocessing.active_children():
        child.kill()
        child.join(timeout=5)
    for subject in session.config.stash.get(_SUBJECTS, {}).values():
        subject.close()
    session.config.stash[_EXIT_STATUS] = int(exitstatus)


_EXIT_STATUS = pytest.StashKey[int]()


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """A thread deadlocked by a failed test would keep the interpreter from exiting: leave now."""
    stuck = [t for t in threading.enumerate() if t is not threading.main_thread() and t.is_alive() and not t.daemon]
    if stuck and _EXIT_STATUS in config.stash:
        sys.stderr.write(f"course: {len(stuck)} thread(s) still blocked at exit ({', '.join(t.name for t in stuck[:5])}); exiting anyway\n")
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(config.stash[_EXIT_STATUS])

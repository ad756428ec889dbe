"""The pytest plugin every graded test uses (tests/conftest.py loads it).

It gives tests the code under test without naming a tree (the `exercise`
fixture), the `task` marker, a `mp_context` fixture that repeats a test under
fork, spawn and forkserver, and an automatic check that a test leaves no
threads, child processes or listening sockets behind.
"""

from __future__ import annotations

import ast
import gc
import importlib
import logging
import multiprocessing
import os
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path
from types import ModuleType

import psutil
import pytest

from course.catalogue import find_root, resolve_tree

SUBMISSION_PACKAGE = "submission"
LEAK_GRACE_SECONDS = 3.0
START_METHODS = ("fork", "spawn", "forkserver")


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


def expose_tree(tree: Path) -> None:
    """Make `submission.<chapter>.<module>` import from `tree`.

    A folder holding one symlink goes first on sys.path and PYTHONPATH, so the
    name resolves the same way in this process, in spawn and forkserver
    children, and in worker processes the tests start. Only that one name is
    added: files in the tree (a stray `pytest.py`) cannot shadow anything else.
    """
    holder = Path(tempfile.mkdtemp(prefix="course-tree-"))
    (holder / SUBMISSION_PACKAGE).symlink_to(tree.resolve(), target_is_directory=True)
    sys.path.insert(0, str(holder))
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(holder), os.environ.get("PYTHONPATH")]))
    os.environ["COURSE_TREE"] = str(tree.resolve())


def load_exercise(chapter: str, module: str) -> ModuleType:
    return importlib.import_module(f"{SUBMISSION_PACKAGE}.{chapter}.{module}")


@pytest.fixture
def exercise(request: pytest.FixtureRequest) -> ModuleType:
    """The module under test, found from the test file's place: tests/exercises/CHAPTER/test_MODULE.py."""
    path = Path(request.path)
    module = path.stem.removeprefix("test_")
    return load_exercise(path.parent.name, module)


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


def _snapshot() -> tuple[set[threading.Thread], set[int], set[str]]:
    return set(threading.enumerate()), _children(), _listening_sockets()


@pytest.fixture(autouse=True)
def no_leaks(request: pytest.FixtureRequest):
    """Fail a test that leaves threads, child processes or listening sockets behind.

    A leftover thread is usually a worker that was never joined or a consumer
    that never got its shutdown sentinel; it can also keep the interpreter from
    exiting. The check waits (with a deadline) for things to wind down first.
    """
    if request.node.get_closest_marker("allow_leaks"):
        yield
        return
    threads_before, children_before, sockets_before = _snapshot()
    yield
    multiprocessing.active_children()  # reaps finished children

    def leaks():
        threads, children, sockets = _snapshot()
        return (
            [t for t in threads - threads_before if t.is_alive()],
            [pid for pid in children - children_before if _alive(pid) and not _is_helper(pid)],
            sorted(sockets - sockets_before),
        )

    deadline = time.monotonic() + LEAK_GRACE_SECONDS
    while any(found := leaks()) and time.monotonic() < deadline:
        time.sleep(0.02)
    threads, children, sockets = found
    problems = []
    if threads:
        problems.append("threads still running: " + ", ".join(t.name for t in threads) + " (join them before returning)")
    if children:
        problems.append(f"child processes still running: pids {sorted(children)} (join or terminate them)")
    if sockets:
        problems.append("servers still listening: " + ", ".join(sockets) + " (shut the daemon down)")
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
    """`DID NOT RAISE ValueError` names the call that should have raised, from the test's source."""
    outcome = yield
    report = outcome.get_result()
    crash = getattr(report.longrepr, "reprcrash", None)
    if not report.failed or call.excinfo is None or crash is None or not crash.message.startswith("Failed: DID NOT RAISE"):
        return
    if statement := _expected_to_raise(call.excinfo, Path(item.path)):
        crash.message = f"{crash.message}: `{statement}` should have raised it"


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

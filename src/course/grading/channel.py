"""The results channel between a confined test run and the grader.

The score must come from what the grader observed, never from what the
student's code prints, writes or returns as an exit status. So the grader
opens a pipe and hands the child a fresh random key over stdin before any
student code is imported; every record the child sends is signed with it.
Output on stdout, files in the working folder, `sys.exit(0)` and `os._exit(0)`
cannot forge a record: a missing record is a failed test.

Inside the child, `ReportingPlugin` decides each test's outcome from two
witnesses: pytest's own reports for setup, call and teardown, and a wrapper
around the test function that notes when the test body ran to its end. A
student who monkeypatches pytest to skip test bodies or swallow failures
fools the first witness but not the second.

What this does not stop: code written against this module's internals that
digs the key out of the interpreter's memory. That is a deliberate attack on
the grader, for a human to find in review (see README, threat model).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import sys
import threading
import traceback
import types
from pathlib import Path
from typing import Any, Iterator

import _pytest.main
import _pytest.runner
import pytest

from course.grading.tamper import Snapshot
from course.grading.timeline import MAX_SPANS, NAME_LIMIT, Recorder

REPEAT_PARAM = "course_repeat"
_CHILD_FILE = str(Path(__file__).with_name("child.py"))
MESSAGE_LIMIT = 4000


def sign(key: bytes, payload: dict[str, Any]) -> bytes:
    body = json.dumps(payload, separators=(",", ":"))
    mac = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
    return f"{mac} {body}\n".encode()


def verified_records(key: bytes, data: bytes) -> Iterator[dict[str, Any]]:
    """Records whose signature checks out; anything else on the pipe is ignored."""
    for line in data.splitlines():
        mac, _, body = line.decode(errors="replace").partition(" ")
        expected = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
        if hmac.compare_digest(mac, expected):
            try:
                record = json.loads(body)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield record


ID_LIMIT = 2000  # characters in a test id
MAX_TESTS = 5000


def _text(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) else None


def _seconds(value: Any) -> float:
    """A duration the child measured: for the class report's slowest tasks, never for a score."""
    return min(max(float(value), 0.0), 1e5) if type(value) in (int, float) and value == value else 0.0


def _spans(value: Any) -> list[list] | None:
    """A timeline's spans (lane, what, start, end), or None when any is of the wrong shape."""
    if not isinstance(value, list) or not 0 < len(value) <= MAX_SPANS:
        return None
    spans = []
    for span in value:
        if not (isinstance(span, list) and len(span) == 4 and all(isinstance(t, str) for t in span[:2])
                and all(type(t) in (int, float) for t in span[2:])):
            return None
        spans.append([span[0][:NAME_LIMIT], span[1][:NAME_LIMIT + 8], _seconds(span[2]), _seconds(span[3])])
    return spans


def checked_records(key: bytes, data: bytes) -> list[dict[str, Any]]:
    """The verified records whose shape, types and sizes are what the child sends;
    anything else is dropped, so no record can make the grader raise."""
    checked = []
    for record in verified_records(key, data):
        kind = record.get("type")
        if kind in ("started", "done"):
            checked.append({"type": kind})
        elif kind == "collect-error" and (message := _text(record.get("message"), MESSAGE_LIMIT * 2)) is not None:
            checked.append({"type": kind, "message": message})
        elif kind == "result" and (test := _text(record.get("id"), ID_LIMIT)) and isinstance(record.get("passed"), bool):
            checked.append({"type": kind, "id": test, "passed": record["passed"],
                            "message": _text(record.get("message"), MESSAGE_LIMIT * 4) or "",
                            "duration": _seconds(record.get("duration"))})
        elif kind == "timeline" and (test := _text(record.get("id"), ID_LIMIT)) and (spans := _spans(record.get("spans"))):
            checked.append({"type": kind, "id": test, "passed": record.get("passed") is True, "spans": spans})
        elif kind == "collected" and isinstance(tests := record.get("tests"), list) and len(tests) <= MAX_TESTS:
            entries = [{"id": entry["id"][:ID_LIMIT], "task": entry.get("task"), "repeat": entry.get("repeat")}
                       for entry in tests if isinstance(entry, dict) and isinstance(entry.get("id"), str)
                       and isinstance(entry.get("task"), (str, type(None))) and type(entry.get("repeat")) is int]
            if len(entries) == len(tests):
                checked.append({"type": kind, "tests": entries})
    return checked


def _signer(fd: int, mac, main_thread: int, trusted_files: frozenset, from_submission, dumps, write, get_ident, getframe):
    """Signs and writes each payload sent in. The key exists only inside `mac`, a C-level
    HMAC object in this suspended generator's frame: reaching it needs `gi_frame`, which
    the audit hook refuses to the code under test. Everything it uses was bound when it
    was made, so patching `json` or `os` later changes nothing. It signs only for the
    grader's own code (the plugin and the child), in the main thread, with no frame of
    the submission on the stack: a thread, a finalizer or a callback of the student's
    that calls it gets nothing signed."""
    sent = True
    while True:
        payload = yield sent
        caller = getframe(2)  # 0: here, 1: Sender.send, 2: whoever called it
        sent = get_ident() == main_thread and caller.f_code.co_filename in trusted_files and not from_submission()
        if sent:
            body = dumps(payload, separators=(",", ":"))
            line = mac.copy()
            line.update(body.encode())
            data = f"{line.hexdigest()} {body}\n".encode()
            while data:
                data = data[write(fd, data):]


class Sender:
    def __init__(self, fd: int, key: bytes, from_submission=lambda: False):
        trusted = frozenset({__file__, sys.modules[__name__].__file__, _CHILD_FILE})
        self._signer = _signer(fd, hmac.new(key, digestmod=hashlib.sha256), threading.get_ident(), trusted,
                               from_submission, json.dumps, os.write, threading.get_ident, sys._getframe)
        next(self._signer)

    def send(self, payload: dict[str, Any]) -> bool:
        """True when the record was signed and written."""
        return self._signer.send(payload)


def _task_of(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("task")
    return str(marker.args[0]) if marker and marker.args else None


def _repeat_of(item: pytest.Item) -> int:
    callspec = getattr(item, "callspec", None)
    return int(callspec.params.get(REPEAT_PARAM, 0)) if callspec else 0


def _other_threads() -> str:
    """The stacks of every thread but this one, as they are right now."""
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    return "".join(
        f"--- thread {names.get(ident, ident)} ---\n" + "".join(traceback.format_stack(frame))
        for ident, frame in sys._current_frames().items()
        if ident != threading.get_ident()
    )


def _failure_text(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    if "Timeout" in text:
        # A hang: show where the test thread was stuck, and where every other thread is.
        text = f"{text}\n--- the test's thread ---\n{str(report.longrepr)[-MESSAGE_LIMIT // 2:]}\n{_other_threads()}"
    return text[:MESSAGE_LIMIT * 2]


# Taken when the child imports this module, before any student code runs.
_LOGGING_CODE = _pytest.runner.call_and_report.__code__
_LOOP_CODE = _pytest.main.pytest_runtestloop.__code__


def _logged_by_pytest(report: pytest.TestReport) -> bool:
    """True only when pytest's own runner is logging this very report, for the item its
    main loop is running: the innermost `call_and_report` frame holds `report` and the
    loop's current item. Trusted code can be made to call the hook by student code (a
    weakref finalizer fires inside whatever trusted code allocates), with a report the
    student built; such a call has no runner frame holding that report."""
    frame, logging_frame = sys._getframe(1), None
    while frame is not None:
        if frame.f_code is _LOGGING_CODE and logging_frame is None:
            logging_frame = frame
        elif frame.f_code is _LOOP_CODE:
            return (logging_frame is not None and logging_frame.f_locals.get("report") is report
                    and logging_frame.f_locals.get("item") is frame.f_locals.get("item"))
        frame = frame.f_back
    return False


class ReportingPlugin:
    """Sends `collected`, one `result` per test, and `done`; repeats each test N times."""

    def __init__(self, sender: Sender, repeats: int):
        self._sender = sender
        self._repeats = repeats
        self._finished: set[str] = set()
        self._phases: dict[str, list[pytest.TestReport]] = {}
        self._snapshot: Snapshot | None = None
        self._tampered: list[str] = []

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if self._repeats > 1:
            metafunc.fixturenames.append(REPEAT_PARAM)
            metafunc.parametrize(REPEAT_PARAM, range(self._repeats), ids=lambda i: f"repeat{i + 1}")

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            if isinstance(item, pytest.Function):
                item.obj = self._witnessed(item.nodeid, item.obj, "monkeypatch" in item.fixturenames)

    def _witnessed(self, nodeid: str, test_function, patches_on_purpose: bool):
        """The test body, copied now (student code may later rewrite the module's
        function object), noting when it ran to its end with nothing tampered."""
        finished = self._finished
        body = types.FunctionType(test_function.__code__, test_function.__globals__, test_function.__name__,
                                  test_function.__defaults__, test_function.__closure__)
        body.__kwdefaults__ = test_function.__kwdefaults__
        plugin = self

        @functools.wraps(test_function)
        def ran_to_the_end(*args, **kwargs):
            finished.discard(nodeid)
            body(*args, **kwargs)
            if not patches_on_purpose and (replaced := plugin._replaced()):
                raise AssertionError("the code under test replaced what the tests use to judge it: " + ", ".join(replaced[:5]))
            finished.add(nodeid)

        return ran_to_the_end

    def _replaced(self) -> list[str]:
        return self._snapshot.replaced() if self._snapshot else []

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        # Taken before any student code is imported: the `exercise` fixture imports it later.
        self._snapshot = Snapshot(Path(str(session.config.rootpath)) / "tests")
        self._sender.send({
            "type": "collected",
            "tests": [{"id": i.nodeid, "task": _task_of(i), "repeat": _repeat_of(i)} for i in session.items],
        })

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self._sender.send({"type": "collect-error", "message": str(report.longrepr)[:MESSAGE_LIMIT]})

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not _logged_by_pytest(report):
            return  # a report pytest did not make for the test it is running is no verdict
        phases = self._phases.setdefault(report.nodeid, [])
        phases.append(report)
        if report.when != "teardown":
            return
        failed = [r for r in phases if not r.passed]
        if not self._tampered:
            self._tampered = self._replaced()
        if self._tampered:
            message = "the code under test replaced what the tests use to judge it: " + ", ".join(self._tampered[:5])
        elif failed:
            first = failed[0]
            message = "skipped: a skipped test earns nothing" if first.skipped else _failure_text(first)
            if first.when != "call" and not first.skipped:
                message = f"(during test {first.when}) {message}"
        elif report.nodeid not in self._finished:
            message = "the test body did not run to its end (was pytest tampered with?)"
        else:
            message = ""
        self._sender.send({
            "type": "result",
            "id": report.nodeid,
            "passed": not message,
            "message": message,
            "duration": round(sum(r.duration for r in phases), 4),
        })
        del self._phases[report.nodeid]


class TimelinePlugin:
    """Records a timeline of each test's call (`course.grading.timeline`) and sends at most
    two: the first of a test that passed and the first of one that failed, each only when
    more than one thread ran the submission's code. Two, so the records stay a few
    kilobytes: a timeline must never crowd a verdict out of the results pipe."""

    def __init__(self, sender: Sender, tree: str):
        self._sender = sender
        self._tree = tree
        self._spans: dict[str, list] = {}
        self._sent: set[bool] = set()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item):
        recorder = Recorder(self._tree)
        recorder.start()
        try:
            yield
        finally:
            self._spans[item.nodeid] = recorder.stop()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        spans = self._spans.pop(report.nodeid, None) if report.when == "call" else None
        if spans and len({span[0] for span in spans}) > 1 and report.passed not in self._sent:
            self._sent.add(report.passed)
            self._sender.send({"type": "timeline", "id": report.nodeid, "passed": report.passed,
                               "spans": [list(span) for span in spans]})

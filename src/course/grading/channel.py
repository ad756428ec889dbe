"""The results channel between a confined test run and the grader.

The score must come from what the grader observed, never from what the
student's code prints, writes or returns as an exit status. So the grader
opens a pipe and hands the child a fresh random key over stdin before any
student code is imported; every record the child sends is signed with it.
Output on stdout, files in the working folder, `sys.exit(0)` and `os._exit(0)`
cannot forge a record: a missing record is a failed test.

Inside the child the tests run in the student's interpreter, so nothing the
plugin holds can be trusted once student code has run: a submission reaches
pytest's session, its plugin manager, the items and this plugin through
plain attribute walks. So the plugin decides nothing. It raises audit events
(`course.collected`, `course.report`, `course.finished`, `course.send`) and
the verdict is the judge's: a generator (`judge`) that only the audit hook
holds (course.grading.tamper), that alone holds the key, and that checks
every event against its own snapshot, taken before student code was
imported: the event comes from the very code object that must raise it,
called by pytest's runner for the item its main loop runs; the item, its
test function, the witness around it and its fixtures are the objects
collected; the plugin manager holds the same plugins and hook functions; no
instance attribute hides a method; no module the tests judge with was
rewired. A test passes only if pytest reported setup, call and teardown
passed *and* the witness saw its body run to its end.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import threading
import types
from pathlib import Path
from typing import Any, Iterator

import _pytest.main
import _pytest.python
import _pytest.runner
import pytest

from course.grading.tamper import Snapshot
from course.grading.timeline import MAX_SPANS, NAME_LIMIT, Recorder
from course.testing.stacks import format_stacks, thread_stacks

REPEAT_PARAM = "course_repeat"
MESSAGE_LIMIT = 4000


PR_SET_DUMPABLE = 4


def undumpable() -> None:
    """Keep other processes of this user (one a submission starts: its memory is its own,
    with no audit hook) from reading this one's memory through /proc/PID/mem or ptrace:
    the grader and the grading child both hold the key. Forks keep it; exec starts afresh."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


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


def _task_of(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("task")
    return str(marker.args[0]) if marker and marker.args else None


def _repeat_of(item: pytest.Item) -> int:
    callspec = getattr(item, "callspec", None)
    return int(callspec.params.get(REPEAT_PARAM, 0)) if callspec else 0


def dump_stacks_as_text(terminal) -> None:
    """pytest-timeout's dump of the other threads on a timeout, made without frame objects:
    its own (`sys._current_frames`, `traceback.format_stack`) can crash the classroom's
    interpreter while those threads run on (course.testing.stacks)."""
    terminal.write(_other_threads() + "\n")


def _other_threads() -> str:
    """The stacks of every thread but this one, as they are right now (read as text: a
    frame object of a thread still running can crash the interpreter, course.testing.stacks)."""
    stacks = thread_stacks()
    return format_stacks(stacks, [ident for ident in stacks if ident != threading.get_ident()])


def _failure_text(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    if "Timeout" in text:
        # A hang: show where the test thread was stuck, and where every other thread is.
        text = f"{text}\n--- the test's thread ---\n{str(report.longrepr)[-MESSAGE_LIMIT // 2:]}\n{_other_threads()}"
    return text[:MESSAGE_LIMIT * 2]


class Witnessed:
    """The test function as pytest calls it: runs the body copied at collection (student
    code may later rewrite the module's function) and, when it returns, tells the judge.
    The judge accepts that only from this very code, called by pytest's
    `pytest_pyfunc_call` for the item its main loop runs, with the attributes this
    object had at collection."""

    def __init__(self, test_function, patches_on_purpose: bool):
        self.body = types.FunctionType(test_function.__code__, test_function.__globals__, test_function.__name__,
                                       test_function.__defaults__, test_function.__closure__)
        self.body.__kwdefaults__ = test_function.__kwdefaults__
        self.code = test_function.__code__
        self.patches_on_purpose = patches_on_purpose
        self.__wrapped__ = test_function  # pytest reads the signature (fixtures) from it

    def __call__(self, *args, **kwargs):
        self.body(*args, **kwargs)
        sys.audit("course.finished", self, kwargs)


class ReportingPlugin:
    """Raises the events the judge turns into records; repeats each test N times."""

    def __init__(self, repeats: int):
        self._repeats = repeats

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if self._repeats > 1:
            metafunc.fixturenames.append(REPEAT_PARAM)
            metafunc.parametrize(REPEAT_PARAM, range(self._repeats), ids=lambda i: f"repeat{i + 1}")

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            if isinstance(item, pytest.Function):
                item.obj = Witnessed(item.obj, "monkeypatch" in item.fixturenames)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        # Before any student code is imported: the `exercise` fixture imports it later.
        tests = [{"id": i.nodeid, "task": _task_of(i), "repeat": _repeat_of(i)} for i in session.items]
        sys.audit("course.collected", session, {"type": "collected", "tests": tests})

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            sys.audit("course.send", {"type": "collect-error", "message": str(report.longrepr)[:MESSAGE_LIMIT]})

    @pytest.hookimpl(tryfirst=True)  # before any other plugin has seen the report
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.passed:
            message = ""
        elif report.skipped:
            message = "skipped: a skipped test earns nothing"
        else:
            message = _failure_text(report)
            if report.when != "call":
                message = f"(during test {report.when}) {message}"
        sys.audit("course.report", report, message, round(report.duration, 4))


class TimelinePlugin:
    """Records a timeline of each test's call (`course.grading.timeline`) and sends at most
    two: the first of a test that passed and the first of one that failed, each only when
    more than one thread ran the submission's code. Two, so the records stay a few
    kilobytes: a timeline must never crowd a verdict out of the results pipe."""

    def __init__(self, tree: str):
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
            sys.audit("course.send", {"type": "timeline", "id": report.nodeid, "passed": report.passed,
                                      "spans": [list(span) for span in spans]})


# -- the judge ---------------------------------------------------------------------------

_SHADOWED = (types.FunctionType, property, classmethod, staticmethod, types.MethodDescriptorType,
             types.WrapperDescriptorType, types.MemberDescriptorType, types.GetSetDescriptorType)


def _instance_dict(obj) -> dict:
    return object.__getattribute__(obj, "__dict__") if hasattr(type(obj), "__dict__") else {}


def _shadowing(obj, allowed: frozenset) -> list[str]:
    """Instance attributes that hide a method or property of the object's class."""
    mro = type(obj).__mro__
    return [f"{type(obj).__name__}.{name}" for name in list(_instance_dict(obj))
            if name not in allowed and any(isinstance(vars(k).get(name), _SHADOWED) for k in mro)]


def _identical(now, then) -> bool:
    """The same objects, compared by identity only: a replacement's `__eq__` is never asked."""
    if type(then) is tuple:
        return type(now) is tuple and len(now) == len(then) and all(map(_identical, now, then))
    if type(then) is dict:
        return type(now) is dict and len(now) == len(then) and all(
            k in then and _identical(v, then[k]) for k, v in now.items())
    return now is then


_PLAIN_SCALARS = (int, float, complex, str, bytes, bool, type(None))
_PLAIN_CONTAINERS = (list, tuple, set, frozenset)


def _fingerprint(value, depth: int = 0):
    """Plain data as a tuple that compares equal only to the same data (floats by their repr,
    so a NaN equals itself); anything else by identity. Only exact types are walked: no
    method of a class the submission wrote is ever called."""
    kind = type(value)
    if kind in _PLAIN_SCALARS:
        return kind, repr(value)
    if depth < 8 and kind in _PLAIN_CONTAINERS:
        items = [_fingerprint(v, depth + 1) for v in list(value)[:10_000]]
        return kind, tuple(sorted(items, key=repr) if kind in (set, frozenset) else items)
    if depth < 8 and kind is dict:
        return kind, tuple((_fingerprint(k, depth + 1), _fingerprint(v, depth + 1)) for k, v in list(value.items())[:10_000])
    return "object", id(value)


def _parameters(item) -> dict:
    callspec = _instance_dict(item).get("callspec")
    params = getattr(callspec, "params", None) if callspec is not None else None
    return dict(params) if type(params) is dict else {}


class Integrity:
    """What the tests' verdicts rest on, as it was before student code was imported.

    That includes each test's parameters: pytest's own objects are reachable from
    student code (a closure of pytest-timeout's alarm handler holds the running item,
    and the item its session), so a parameter set to another value (a worker count of
    1, an expected answer of the stub's) would otherwise be a test passed on other terms.
    """

    def __init__(self, session: pytest.Session, test_root: Path):
        self.modules = Snapshot(test_root)
        self.session = session
        self.config = session.config
        self.manager = session.config.pluginmanager
        self.inner, self.relay = self.manager._inner_hookexec, self.config.hook
        self.plugins = self._plugins()
        self.hooks = self._hooks()
        self.items = {}
        self.parameters: dict[str, dict] = {}
        self.direct: dict[str, frozenset] = {}
        # Bound now: only the judge holds this object, so no later rebinding of the module's
        # names runs in the judge's thread.
        self.fingerprint, self.parameters_of = _fingerprint, _parameters
        for item in session.items:
            fixtures = getattr(item, "_fixtureinfo", None)
            definitions = dict(fixtures.name2fixturedefs) if fixtures is not None else {}
            self.items[item.nodeid] = (item, type(item), frozenset(_instance_dict(item)), fixtures, {
                name: tuple((d, d.func) for d in defs) for name, defs in definitions.items()})
            self.parameters[item.nodeid] = {name: (value, _fingerprint(value)) for name, value in _parameters(item).items()}
            # Parametrised directly: the test is called with the parameter itself, not with a
            # fixture's value made from it (`mp_context` gets a context for "spawn").
            self.direct[item.nodeid] = frozenset(name for name, defs in definitions.items()
                                                 if defs and defs[-1].func is _DIRECT_PARAMETER)
        self.session_keys = frozenset(_instance_dict(session))

    def _plugins(self):
        return dict(self.manager._name2plugin)

    def _hooks(self):
        return {name: (caller, caller._hookexec, tuple((impl, impl.function, impl.hookwrapper, impl.wrapper)
                                                         for impl in caller._hookimpls))
                for name, caller in vars(self.manager.hook).items()}

    def broken(self, nodeid: str | None) -> list[str]:
        """What no longer is as it was; empty when everything still holds."""
        broken = self.modules.replaced()
        if self.manager._inner_hookexec is not self.inner or self.config.hook is not self.relay:
            broken.append("pytest's hook calling")
        if not _identical(self._plugins(), self.plugins):
            broken.append("pytest's plugins")
        hooks = self._hooks()
        broken += [f"hook {name}" for name in set(hooks) | set(self.hooks)
                   if not _identical(hooks.get(name), self.hooks.get(name))]
        broken += _shadowing(self.session, self.session_keys)
        if nodeid is not None:
            item, kind, keys, fixtures, definitions = self.items[nodeid]
            if type(item) is not kind:
                broken.append("the test's item")
            broken += _shadowing(item, keys)
            now = getattr(item, "_fixtureinfo", None)
            if now is not fixtures or (fixtures is not None and not _identical({
                    name: tuple((d, d.func) for d in defs) for name, defs in fixtures.name2fixturedefs.items()},
                    definitions)):
                broken.append("the test's fixtures")
            broken += self.changed_parameters(nodeid, self.parameters_of(item))
        return broken

    def changed_parameters(self, nodeid: str, values: dict, called: bool = False) -> list[str]:
        """Parameters of the test that are no longer the objects, or the data, collected
        (`called`: `values` are the arguments the test was called with, so only the
        parameters it takes directly are compared)."""
        then = self.parameters.get(nodeid, {})
        direct = self.direct.get(nodeid, frozenset())
        return [f"the test's parameter {name!r}" for name, (value, print_) in then.items()
                if name in values and (not called or name in direct)
                and (values[name] is not value or self.fingerprint(value) != print_)]


# The code objects that alone may raise each event, taken when the child imports this module.
_CODES = {
    "course.collected": ReportingPlugin.pytest_collection_finish.__code__,
    "course.report": ReportingPlugin.pytest_runtest_logreport.__code__,
    "course.finished": Witnessed.__call__.__code__,
    "course.send": ReportingPlugin.pytest_collectreport.__code__,
}
# Feedback only: a timeline record is never read for a score (engine._score).
_TIMELINE_CODE = TimelinePlugin.pytest_runtest_logreport.__code__
_LOGGING_CODE = _pytest.runner.call_and_report.__code__
_LOOP_CODE = _pytest.main.pytest_runtestloop.__code__
_PYFUNC_CALL_CODE = _pytest.python.pytest_pyfunc_call.__code__
_DIRECT_PARAMETER = _pytest.python.get_direct_param_fixture_func


def _runner(frame) -> tuple[Any, Any]:
    """(the innermost `call_and_report` frame, the item pytest's main loop is running)
    on the stack below `frame`."""
    logging_frame = None
    while frame is not None:
        if frame.f_code is _LOGGING_CODE and logging_frame is None:
            logging_frame = frame
        elif frame.f_code is _LOOP_CODE:
            return logging_frame, frame.f_locals.get("item")
        frame = frame.f_back
    return None, None


def _signed_write(mac, fd: int, payload: dict[str, Any], dumps, write) -> None:
    body = dumps(payload, separators=(",", ":"))
    mac.update(body.encode())
    data = f"{mac.hexdigest()} {body}\n".encode()
    while data:
        data = data[write(fd, data):]


def judge(fd: int, key: bytes, sender_code, test_root: Path):
    """The verdicts, as a generator only the audit hook holds (tamper.install_audit_hook
    sends it each `course.*` event with the frame that raised it; see the module's
    docstring for what it checks). The key lives only in this generator's frame, inside
    a C-level HMAC object; everything it calls was bound before student code ran."""
    mac = hmac.new(key, digestmod=hashlib.sha256)  # a plain local: no closure cell holds it
    del key
    dumps, write = json.dumps, os.write
    codes, senders = dict(_CODES), frozenset({sender_code, _CODES["course.send"], _TIMELINE_CODE})
    runner, report_type, witness_type, untrusted = _runner, pytest.TestReport, Witnessed, None
    integrity = items = None
    phases: dict[str, list[tuple[str, str, str, float]]] = {}
    finished: set[str] = set()
    spoiled: list[str] = []

    def from_the_loop(frame, nodeid: str) -> bool:
        item = items.get(nodeid)
        return item is not None and runner(frame)[1] is item

    untrusted = yield None  # the hook's test of a code object: True for the submission's
    while True:
        event, args, raiser = yield None
        try:
            if raiser is None or (raiser.f_code is not codes.get(event) and not (
                    event == "course.send" and raiser.f_code in senders)):
                continue
            frame = raiser
            while frame is not None and not untrusted(frame.f_code):
                frame = frame.f_back
            if frame is not None:
                continue  # raised with code of the submission on the stack
            if event == "course.send":
                payload = args[0]
                if type(payload) is dict and payload.get("type") in ("started", "done", "collect-error", "timeline"):
                    _signed_write(mac.copy(), fd, payload, dumps, write)
            elif event == "course.collected" and integrity is None:
                session = args[0]
                integrity = Integrity(session, test_root)
                items = {nodeid: entry[0] for nodeid, entry in integrity.items.items()}
                witnesses = {}
                for nodeid, item in items.items():
                    witness = _instance_dict(item).get("_obj")
                    if type(witness) is witness_type:
                        witnesses[id(witness)] = (nodeid, dict(vars(witness)))
                _signed_write(mac.copy(), fd, args[1], dumps, write)
            elif event == "course.finished" and integrity is not None:
                witness = args[0]
                nodeid, attributes = witnesses.get(id(witness), (None, None))
                caller = raiser.f_back
                now = vars(witness) if type(witness) is witness_type else {}
                if nodeid is None or raiser.f_locals.get("self") is not witness or now.keys() != attributes.keys() \
                        or any(now[k] is not v for k, v in attributes.items()) \
                        or attributes["body"].__code__ is not attributes["code"] or caller is None \
                        or caller.f_code is not _PYFUNC_CALL_CODE or caller.f_locals.get("pyfuncitem") is not items[nodeid] \
                        or not from_the_loop(caller, nodeid):
                    continue
                if not attributes["patches_on_purpose"] and (broken := integrity.broken(nodeid)):
                    spoiled += [b for b in broken if b not in spoiled]
                called_with = args[1] if len(args) > 1 and type(args[1]) is dict else {}
                spoiled += [c for c in integrity.changed_parameters(nodeid, called_with, called=True) if c not in spoiled]
                finished.add(nodeid)
            elif event == "course.report" and integrity is not None:
                report, message, duration = args
                fields = vars(report) if type(report) is report_type else {}
                nodeid = report.nodeid if fields else None  # a property of pytest's report class
                when, outcome = fields.get("when"), fields.get("outcome")
                logging_frame, item = runner(raiser)
                if raiser.f_locals.get("report") is not report or type(nodeid) is not str \
                        or logging_frame is None or logging_frame.f_locals.get("report") is not report \
                        or logging_frame.f_locals.get("item") is not item or items.get(nodeid) is not item:
                    continue  # a report pytest did not make for the test it is running is no verdict
                if type(message) is not str or type(when) is not str or type(outcome) is not str:
                    continue
                phases.setdefault(nodeid, []).append((when, outcome, message, duration if type(duration) is float else 0.0))
                if when != "teardown":
                    continue
                observed = phases.pop(nodeid)
                spoiled += [b for b in integrity.broken(nodeid) if b not in spoiled]
                failed = [m for _, o, m, _ in observed if o != "passed"]
                if spoiled:
                    message = "the code under test replaced what the tests use to judge it: " + ", ".join(spoiled[:5])
                elif failed:
                    message = failed[0] or "failed"
                elif [w for w, *_ in observed] != ["setup", "call", "teardown"] or nodeid not in finished:
                    message = "the test body did not run to its end (was pytest tampered with?)"
                else:
                    message = ""
                finished.discard(nodeid)
                _signed_write(mac.copy(), fd, {"type": "result", "id": nodeid, "passed": not message, "message": message,
                      "duration": round(sum(d for *_, d in observed), 4)}, dumps, write)
        except Exception:  # a malformed event earns nothing, and must not end the judge
            continue

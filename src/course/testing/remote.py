"""The tests' side of an exercise judged outside the student's interpreter.

`Subject` starts the code under test in a process of its own
(course.grading.subject) and `RemoteModule` stands in for its module: the
tests call `exercise.amdahl_speedup(0.5, 2)` as they would in-process, and get
back plain data, a `Remote` standing in for an object that stays over there,
or the exception it raised, rebuilt here as a builtin exception or as a class
standing in for the submission's own. Every thread of the tests has its own
connection, so concurrent calls stay concurrent.

Nothing that comes back is trusted beyond being data: no pickle, no code, a
size cap, and a subject that stops answering or dies fails the test that was
waiting (the next test gets a fresh subject).
"""

from __future__ import annotations

import builtins
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from course.testing import wire

START_SECONDS = 20.0  # to bind its socket; the submission is imported later, by the first request


class SubjectEnded(Exception):
    """The process running the code under test ended (the code exited or crashed it)."""


class RemoteError(Exception):
    """The code under test raised something that is not a builtin exception nor one of its own
    classes (SystemExit, KeyboardInterrupt), or answered outside the protocol."""


class Subject:
    """One process running the submission's module, and the tests' connections to it."""

    def __init__(self, tree: Path, chapter: str, module: str, tests_root: Path) -> None:
        self._folder = tempfile.mkdtemp(prefix="course-subject-")
        self.path = os.path.join(self._folder, "socket")
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-m", "course.grading.subject", self.path, str(tree), chapter, module, str(tests_root)],
            stdin=subprocess.DEVNULL, close_fds=True,
        )
        self._local = threading.local()
        self._connections: list[tuple[threading.Thread, socket.socket]] = []
        self._lock = threading.Lock()
        self._exceptions: dict[int, type] = {}
        self.servers_after_last_test: set[str] = set()  # the leak check's baseline: one look per test, not two
        self.module = RemoteModule(self)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def ended(self) -> SubjectEnded:
        code = self.process.poll()
        if code is None:
            return SubjectEnded("the process running the code under test stopped answering")
        how = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
        return SubjectEnded(f"the code under test ended its process ({how})")

    def _connect(self) -> socket.socket:
        deadline = time.monotonic() + START_SECONDS
        while True:
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                connection.connect(self.path)
                return connection
            except (FileNotFoundError, ConnectionRefusedError):
                connection.close()
                if not self.alive():
                    raise self.ended() from None
                if time.monotonic() > deadline:
                    raise SubjectEnded(f"the process for the code under test did not start in {START_SECONDS:.0f} s") from None
                time.sleep(0.005)  # polling with a deadline: nothing else tells us the socket is bound

    def connection(self) -> socket.socket:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._connect()
            with self._lock:
                self._connections.append((threading.current_thread(), connection))
        return connection

    def request(self, **message) -> dict:
        """Send one request from this thread and wait for its answer. Anything that
        interrupts the wait (a timeout) leaves the connection unusable: it is dropped."""
        __tracebackhide__ = True
        connection = self.connection()
        try:
            wire.send(connection, message)
            reply = wire.receive(connection)
        except BaseException as error:
            self._drop(connection)
            if isinstance(error, (OSError, EOFError)):
                raise self.ended() from None
            if isinstance(error, wire.WireError):
                raise RemoteError(f"the code under test answered outside the protocol: {error}") from None
            # Interrupted while the code under test worked (the test's timeout): it may still be
            # spinning over there, so the next test gets a fresh process rather than a busy one.
            self._kill_tree()
            raise
        if reply is None:
            self._drop(connection)
            raise self.ended()
        return reply

    def _drop(self, connection: socket.socket) -> None:
        self._local.connection = None
        connection.close()
        with self._lock:
            self._connections = [(t, c) for t, c in self._connections if c is not connection]

    def census(self) -> tuple[int, set[int]]:
        """Threads beyond its own (the main one and one per open connection) and the
        processes below it, in the code under test's process, as seen from here."""
        import psutil

        open_connections = self.close_finished()
        try:
            process = psutil.Process(self.pid)
            return max(process.num_threads() - 1 - open_connections, 0), {c.pid for c in process.children(recursive=True)}
        except psutil.Error:
            return 0, set()

    def servers(self) -> set[str]:
        """TCP servers (address:port) listening in its process now."""
        import psutil

        try:
            return {f"{c.laddr.ip}:{c.laddr.port}" for c in psutil.Process(self.pid).net_connections(kind="tcp")
                    if c.status == psutil.CONN_LISTEN}
        except psutil.Error:
            return set()

    def close_finished(self) -> int:
        """Close the connections of threads that have ended; the number still open."""
        with self._lock:
            finished = [(t, c) for t, c in self._connections if not t.is_alive()]
            self._connections = [(t, c) for t, c in self._connections if t.is_alive()]
        for _, connection in finished:
            connection.close()
        return len(self._connections)

    def value(self, reply: dict):
        """The answer as a value here, or its exception raised here."""
        __tracebackhide__ = True
        if "ok" in reply:
            try:
                return wire.decode(reply["ok"], self._stand_in)
            except wire.WireError as error:
                raise RemoteError(f"the code under test answered outside the protocol: {error}") from None
        if reply.get("stop") is True:
            raise StopIteration
        raised = reply.get("raised")
        if type(raised) is dict:
            error = self._exception(raised)
            where = raised.get("where")
            if type(where) is str and where.strip():
                error.add_note("raised in the code under test (its own process):\n" + where.rstrip()[-4000:])
            raise error
        raise RemoteError(f"the code under test answered outside the protocol: {str(reply.get('error', reply))[:200]}")

    def _stand_in(self, tagged: dict):
        if tagged.get("t") != "ref" or type(tagged.get("v")) is not int:
            raise wire.WireError(f"an unknown tag {tagged.get('t')!r}")
        name = tagged.get("n") if type(tagged.get("n")) is str else "object"
        if tagged.get("k") == "exception":
            return self._exception_class(tagged["v"], name, tagged.get("b"))
        return Remote(self, tagged["v"], name[:200], tagged.get("k") in ("class", "callable"))

    def _exception_class(self, number: int, name: str, bases) -> type:
        """The same stand-in class every time for one class of the submission's, derived from
        the builtin exceptions it derives from."""
        if number not in self._exceptions:
            if type(name) is not str or not name.replace(".", "_").isidentifier():
                name = "SubmissionError"
            found = [getattr(builtins, b, None) for b in (bases if type(bases) is list else []) if type(b) is str]
            found = [b for b in found if isinstance(b, type) and issubclass(b, Exception)]
            if found and found[0].__name__ == name.rpartition(".")[2]:  # a builtin itself
                self._exceptions[number] = found[0]
            else:
                parents = tuple(b for b in found if not any(b is not o and issubclass(o, b) for o in found))
                stand_in = type(name.rpartition(".")[2], parents or (Exception,), {"__module__": "submission"})
                self._exceptions[number] = stand_in
        return self._exceptions[number]

    def _exception(self, raised: dict) -> BaseException:
        try:
            kind = self._stand_in(raised.get("class"))
        except (wire.WireError, AttributeError):
            return RemoteError("the code under test raised something the tests cannot name")
        message = raised.get("message") if type(raised.get("message")) is str else ""
        if not (isinstance(kind, type) and issubclass(kind, Exception)):
            return RemoteError(f"the code under test raised {getattr(kind, '_name', 'something')}: {message}")
        args = raised.get("args")
        if type(args) is list and all(type(a) in wire.SCALARS for a in args):
            try:
                return kind(*args)
            except Exception:
                pass
        try:
            return kind(message)
        except Exception:
            return RemoteError(f"{kind.__name__}: {message}")

    def _kill_tree(self) -> None:
        """The process and every process below it (a worker the code under test left running)."""
        import psutil

        try:
            below = psutil.Process(self.pid).children(recursive=True)
        except psutil.Error:
            below = []
        for process in [*below]:
            try:
                process.kill()
            except psutil.Error:
                pass
        if self.alive():
            self.process.kill()

    def call(self, **message):
        __tracebackhide__ = True
        return self.value(self.request(**message))

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for _, connection in connections:
            connection.close()
        self._kill_tree()
        self.process.wait()
        try:
            os.unlink(self.path)
        except OSError:
            pass
        try:
            os.rmdir(self._folder)
        except OSError:
            pass


def _send(value):
    """An argument as it crosses: plain data, a Remote, or a multiprocessing context by name."""
    def refer(obj):
        if isinstance(obj, Remote):
            return {"t": "ref", "v": obj._number}
        method = getattr(obj, "_name", None)
        if type(obj).__module__ == "multiprocessing.context" and method in ("fork", "spawn", "forkserver"):
            return {"t": "mp_context", "v": method}
        raise TypeError(f"a {type(obj).__qualname__} cannot be handed to code judged outside the tests' process")
    return wire.encode(value, refer)


class RemoteModule:
    """The submission's module, as the tests see it."""

    def __init__(self, subject: Subject) -> None:
        self._subject = subject
        self._known: dict[str, object] = {}  # functions, classes and exceptions, looked up once

    def __getattr__(self, name: str):
        __tracebackhide__ = True
        if name.startswith("__"):
            raise AttributeError(name)
        if name in self._known:
            return self._known[name]
        value = self._subject.call(op="get", target=None, name=name)
        if isinstance(value, (Remote, type)):
            self._known[name] = value
        return value

    def __repr__(self) -> str:
        return "<the module under test, in its own process>"


class Remote:
    """An object of the submission's that stays in its process: attributes, calls, items,
    iteration and `with` are forwarded. `plain()` rejects it, as it rejects any object that
    is not plain data."""

    def __init__(self, subject: Subject, number: int, name: str, callable_: bool) -> None:
        object.__setattr__(self, "_subject", subject)
        object.__setattr__(self, "_number", number)
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_callable", callable_)

    @property
    def __name__(self) -> str:
        return self._name.rpartition(".")[2]

    def _ask(self, op: str, **fields):
        __tracebackhide__ = True
        return self._subject.call(op=op, target={"t": "ref", "v": self._number}, **fields)

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._ask("get", name=name)

    def __setattr__(self, name: str, value) -> None:
        self._ask("set", name=name, value=_send(value))

    def __call__(self, *args, **kwargs):
        __tracebackhide__ = True
        return self._ask("call", args=_send(list(args)), kwargs=_send(kwargs))

    def _ask_for(self, kind: type, op: str, **fields):
        """An answer that must be of `kind` (a length is an int): anything else is a lie."""
        __tracebackhide__ = True
        answer = self._ask(op, **fields)
        if type(answer) is not kind:
            raise RemoteError(f"the code under test answered {op} of a {self._name} with a {type(answer).__name__}")
        return answer

    def __repr__(self) -> str:
        try:
            return self._ask_for(str, "repr")
        except Exception as error:
            return f"<a {self._name} of the code under test, whose repr failed: {type(error).__name__}>"

    def __len__(self) -> int:
        return self._ask_for(int, "len")

    def __bool__(self) -> bool:
        return self._ask_for(bool, "bool")

    def __iter__(self):
        iterator = self._ask("iter")
        while True:
            try:
                yield iterator._ask("next")
            except StopIteration:
                return

    def __getitem__(self, key):
        return self._ask("getitem", key=_send(key))

    def __setitem__(self, key, value) -> None:
        self._ask("setitem", key=_send(key), value=_send(value))

    def __contains__(self, key) -> bool:
        return self._ask_for(bool, "contains", key=_send(key))

    def __enter__(self):
        return self._ask("call", name="__enter__", args=_send([]), kwargs=_send({}))

    def __exit__(self, *exc_info) -> bool:
        self._ask("call", name="__exit__", args=_send([None, None, None]), kwargs=_send({}))
        return False  # an exception in the block is never swallowed by the code under test

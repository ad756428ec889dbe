"""The long-running processes of the capstone: a Pyro name server, Pyro workers, Celery workers.

Each is a command of the course CLI (`course pyro-nameserver`, `course
pyro-worker`, `course celery-worker`, all in the one command table of
course.cli), so docker compose, the tests and a student's terminal start
exactly the same code. Each one:

- binds to 127.0.0.1 unless told otherwise (`--host`), and to a free port when
  given port 0;
- says it is ready by writing a small JSON file (`--ready-file`) atomically,
  so whoever started it waits on a fact with a deadline, never a fixed sleep;
- stops cleanly on SIGTERM or SIGINT: a Pyro worker removes its name from the
  name server first, so no caller is sent to a dead address.

`Service` starts one as a subprocess in its own session (so stopping it
also stops anything it forked, e.g. Celery's pool processes) and stops it
with SIGTERM, then SIGKILL for the whole group after a deadline.
"""

from __future__ import annotations

import argparse
import faulthandler
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import Pyro5.api
import Pyro5.errors

from course.capstone.core import run_chunk_by_ref

READY_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0
WORKER_PREFIX = "course.worker."


# --------------------------------------------------------------------------- starting services


class ServiceError(RuntimeError):
    """A service did not start; the message includes the end of its log."""


class Service:
    """One service subprocess: start, wait until ready, stop, with deadlines throughout."""

    def __init__(self, command: str, args: list[str], folder: Path, tag: str | None = None):
        self.command = command
        tag = tag or f"{command}-{time.monotonic_ns()}"
        self.ready_file = folder / f"{tag}.ready.json"
        self.log_file = folder / f"{tag}.log"
        self.ready_file.unlink(missing_ok=True)  # a stale file from an earlier start must not count
        with open(self.log_file, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "course", command, "--ready-file", str(self.ready_file), *args],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.info: dict = {}

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> dict:
        deadline = time.monotonic() + timeout
        while not self.ready_file.exists():
            if not self.alive():
                raise ServiceError(f"{self.command} exited with code {self.process.returncode} before it was ready:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise ServiceError(f"{self.command} was not ready within {timeout} s:\n{self.log_tail()}")
            time.sleep(0.01)
        self.info = json.loads(self.ready_file.read_text())
        return self.info

    def log_tail(self, size: int = 3000) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-size:]
        except OSError:
            return "(no log)"

    def terminate(self) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL the service and everything in its session: what a crash looks like."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM, wait up to `timeout`, then SIGKILL the whole group; always reaps."""
        self.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        self.kill()  # stragglers in the group (pool children) die with the leader
        self.process.wait()


def stop_all(services: list[Service], timeout: float = STOP_TIMEOUT) -> None:
    """Stop services in parallel: SIGTERM to all first, then reap each with one shared deadline."""
    for service in services:
        service.terminate()
    deadline = time.monotonic() + timeout
    for service in services:
        service.stop(max(0.0, deadline - time.monotonic()))


def write_ready(path: str | None, info: dict) -> None:
    """Atomically: a reader never sees half a file."""
    if not path:
        return
    target = Path(path)
    with tempfile.NamedTemporaryFile("w", dir=target.parent, delete=False, suffix=".tmp") as handle:
        json.dump(info, handle)
    os.replace(handle.name, target)


def _dump_stacks_on_sigusr1() -> None:
    """`kill -USR1 PID` prints every thread's stack: where is a service stuck?"""
    faulthandler.register(signal.SIGUSR1, all_threads=True)


def _stop_on_sigterm() -> None:
    """SIGTERM acts like Ctrl-C: Pyro's request loop ends on KeyboardInterrupt, then `finally` cleans up."""
    _dump_stacks_on_sigusr1()

    def handler(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once is enough; let the cleanup run
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


# --------------------------------------------------------------------------- pyro name server


def nameserver_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=9090, help="port to bind; 0 picks a free one (default: 9090)")
    parser.add_argument("--ready-file", help="write {uri, host, port} here as JSON once listening")


def run_nameserver(args: argparse.Namespace) -> int:
    import Pyro5.nameserver

    _stop_on_sigterm()
    uri, daemon, _ = Pyro5.nameserver.start_ns(host=args.host, port=args.port, enableBroadcast=False)
    try:
        write_ready(args.ready_file, {"uri": str(uri), "host": uri.host, "port": uri.port, "pid": os.getpid()})
        print(f"pyro name server at {uri}", file=sys.stderr, flush=True)
        daemon.requestLoop()
    except KeyboardInterrupt:
        pass
    finally:
        daemon.close()
    return 0


# --------------------------------------------------------------------------- pyro worker


@Pyro5.api.expose
class PyroWorker:
    """Runs chunks for `dmap`: `fn` arrives by name (module, qualname), items as plain data.

    One chunk at a time is the caller's business (it keeps one call per
    worker in flight); an exception in `fn` comes back as an error outcome,
    never as a Pyro exception, so a lost connection always means a lost worker.
    """

    def __init__(self, daemon: Pyro5.api.Daemon):
        self._daemon = daemon

    def map_chunk(self, module: str, qualname: str, chunk: list) -> dict:
        return run_chunk_by_ref(module, qualname, chunk)

    @Pyro5.api.oneway
    def shutdown(self) -> None:
        """Stop serving; the worker deregisters itself on the way out (see run_worker)."""
        self._daemon.shutdown()


def worker_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address this worker listens on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    parser.add_argument("--ns-host", default=os.environ.get("COURSE_PYRO_NS_HOST", "127.0.0.1"), help="name server address")
    parser.add_argument("--ns-port", type=int, default=int(os.environ.get("COURSE_PYRO_NS_PORT", "9090")), help="name server port")
    parser.add_argument("--name", help=f"name to register (default: {WORKER_PREFIX}<hostname>.<pid>)")
    parser.add_argument("--ready-file", help="write {name, uri, pid} here as JSON once registered")


def locate_ns(host: str, port: int, timeout: float = READY_TIMEOUT):
    """A name server proxy, waiting (with a deadline) while it starts: NamingError means not up yet."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return Pyro5.api.locate_ns(host=host, port=port)
        except (Pyro5.errors.NamingError, Pyro5.errors.CommunicationError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def worker_name(pid: int | None = None) -> str:
    return f"{WORKER_PREFIX}{socket.gethostname()}.{pid or os.getpid()}"


def run_worker(args: argparse.Namespace) -> int:
    _stop_on_sigterm()
    name = args.name or worker_name()
    daemon = Pyro5.api.Daemon(host=args.host, port=args.port)
    registered = False
    try:
        uri = daemon.register(PyroWorker(daemon), objectId=name)
        with locate_ns(args.ns_host, args.ns_port) as ns:
            ns.register(name, uri)
            registered = True
        write_ready(args.ready_file, {"name": name, "uri": str(uri), "pid": os.getpid()})
        print(f"pyro worker {name} at {uri}", file=sys.stderr, flush=True)
        daemon.requestLoop()
    except KeyboardInterrupt:
        pass
    finally:
        if registered:
            try:
                with locate_ns(args.ns_host, args.ns_port, timeout=2.0) as ns:
                    ns.remove(name)
            except Exception as error:  # the name server may be gone first: nothing left to clean
                print(f"could not deregister {name}: {error}", file=sys.stderr)
        daemon.close()
    return 0


# --------------------------------------------------------------------------- celery worker


def celery_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--broker", default=os.environ.get("COURSE_BROKER_URL"),
                        help="broker URL (default: $COURSE_BROKER_URL, else the embedded filesystem broker)")
    parser.add_argument("--result-backend", default=os.environ.get("COURSE_RESULT_BACKEND"),
                        help="result backend URL (default: $COURSE_RESULT_BACKEND, else files in the data folder)")
    parser.add_argument("--data-folder", default=os.environ.get("COURSE_CELERY_FOLDER"),
                        help="the embedded broker's folder, shared with the callers "
                             "(default: $COURSE_CELERY_FOLDER, else course-celery in the temp folder)")
    parser.add_argument("--queue", default=os.environ.get("COURSE_CELERY_QUEUE"),
                        help="queue to consume (default: $COURSE_CELERY_QUEUE, else 'course')")
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 2, help="pool processes (default: CPU count)")
    parser.add_argument("--ready-file", help="write {pid, queue} here as JSON once consuming")


def run_celery_worker(args: argparse.Namespace) -> int:
    from celery.signals import worker_ready

    from course.capstone import celery_app

    _dump_stacks_on_sigusr1()  # Celery handles SIGTERM itself
    args.queue = args.queue or celery_app.DEFAULT_QUEUE
    app = celery_app.make_app(args.broker, args.result_backend, args.queue, args.data_folder)

    @worker_ready.connect(weak=False)
    def announce(**_):
        write_ready(args.ready_file, {"pid": os.getpid(), "queue": args.queue, "broker": celery_app.redact(app.conf.broker_url)})

    argv = [
        "worker", f"--concurrency={args.concurrency}", "--pool=prefork", f"--queues={args.queue}",
        "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat",
        f"--hostname=course-{os.getpid()}@%h",
    ]
    app.worker_main(argv)
    return 0

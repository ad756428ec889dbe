"""The Pyro5 backend: chunks go to worker daemons found in a name server.

Each worker gets one call at a time, so the caller knows which chunk each
worker holds. When a worker dies mid-call the caller's proxy raises
`ConnectionClosedError` (within milliseconds, measured); that chunk's future
fails with `WorkerLost` and the map resubmits it to another worker. The dead
worker's name stays in the name server (it had no chance to deregister), so
it is removed here; in a cluster we own, a fresh worker takes its place.

With `COURSE_PYRO_NS_HOST` (and `COURSE_PYRO_NS_PORT`) set, the backend
uses the workers registered there (`course.worker.*`) and starts nothing;
otherwise it starts a name server and `workers` worker processes on
127.0.0.1, on free ports, and stops them all on `close()`.
"""

from __future__ import annotations

import itertools
import os
import queue
import shutil
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import Pyro5.api
import Pyro5.errors

from course.capstone.core import Backend, FunctionRef, default_workers
from course.capstone.errors import WorkerLost
from course.capstone.services import WORKER_PREFIX, Service, locate_ns, stop_all

NO_WORKER_TIMEOUT = 10.0


class PyroBackend(Backend):
    name = "pyro"
    by_reference = True
    default_chunksize = 32
    chunk_cost = 0.4e-3

    def __init__(self, workers: int | None = None, ns_host: str | None = None, ns_port: int | None = None):
        ns_host = ns_host or os.environ.get("COURSE_PYRO_NS_HOST")
        ns_port = int(ns_port or os.environ.get("COURSE_PYRO_NS_PORT") or 9090)
        self._lock = threading.Lock()
        self._closing = False
        self._workers: dict[str, tuple[str, Service | None]] = {}  # name -> (uri, service if ours)
        self._busy: dict[str, FunctionRef] = {}
        self._idle: queue.Queue[str] = queue.Queue()
        self._services: list[Service] = []
        self._folder: Path | None = None
        self._nameserver: Service | None = None
        self._serial = itertools.count()  # unique ready-file names: a stale file must never pass for a new worker
        try:
            if ns_host:
                self.ns_host, self.ns_port, self.owned = ns_host, ns_port, False
                self._adopt_registered_workers()
            else:
                self.owned = True
                self._start_cluster(workers or default_workers())
        except BaseException:
            self.close()
            raise
        self.workers = len(self._workers)
        self._threads = ThreadPoolExecutor(self.workers, thread_name_prefix="dmap-pyro-call")

    # ----------------------------------------------------------------- cluster

    def _start_cluster(self, count: int) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="course-pyro-"))
        self._nameserver = Service("pyro-nameserver", ["--host", "127.0.0.1", "--port", "0"], self._folder, "nameserver")
        self._services.append(self._nameserver)
        info = self._nameserver.wait_ready()
        self.ns_host, self.ns_port = info["host"], info["port"]
        starting = [self._spawn_worker() for _ in range(count)]
        for service in starting:
            self._adopt(service)

    def _spawn_worker(self) -> Service:
        service = Service("pyro-worker", ["--ns-host", self.ns_host, "--ns-port", str(self.ns_port)], self._folder,
                          f"worker-{next(self._serial)}")
        with self._lock:
            self._services.append(service)
        return service

    def _adopt(self, service: Service) -> None:
        info = service.wait_ready()
        with self._lock:
            self._workers[info["name"]] = (info["uri"], service)
        self._idle.put(info["name"])

    def _adopt_registered_workers(self) -> None:
        with locate_ns(self.ns_host, self.ns_port, timeout=5.0) as ns:
            found = ns.list(prefix=WORKER_PREFIX)
        if not found:
            raise RuntimeError(
                f"no Pyro workers registered as {WORKER_PREFIX}* in the name server at {self.ns_host}:{self.ns_port}: "
                f"start some with `course pyro-worker --ns-host {self.ns_host} --ns-port {self.ns_port}`"
            )
        for name, uri in sorted(found.items()):
            self._workers[name] = (uri, None)
            self._idle.put(name)

    @property
    def worker_pids(self) -> list[int]:
        with self._lock:
            return sorted(int(name.rsplit(".", 1)[1]) for name in self._workers)

    @property
    def description(self) -> str:
        where = "local cluster" if self.owned else "existing cluster"
        return f"pyro x{self.workers} ({where}, name server {self.ns_host}:{self.ns_port})"

    # ----------------------------------------------------------------- calls

    def submit(self, task: FunctionRef, chunk: list) -> Future:
        return self._threads.submit(self._call, task, chunk)

    def _take_worker(self) -> str:
        while True:
            try:
                return self._idle.get(timeout=NO_WORKER_TIMEOUT)
            except queue.Empty:
                with self._lock:
                    if not self._workers or self._closing:
                        raise WorkerLost("no Pyro workers left to run the chunk") from None

    def _call(self, task: FunctionRef, chunk: list) -> dict:
        name = self._take_worker()
        with self._lock:
            uri = self._workers[name][0]
            self._busy[name] = task
        try:
            with Pyro5.api.Proxy(uri) as proxy:
                outcome = proxy.map_chunk(task.module, task.qualname, chunk)
        except Pyro5.errors.CommunicationError as error:
            self._lost(name)
            raise WorkerLost(f"Pyro worker {name} was lost during a chunk of {len(chunk)} items ({type(error).__name__}: {error})") from None
        with self._lock:
            self._busy.pop(name, None)
        self._idle.put(name)
        return outcome

    def _lost(self, name: str) -> None:
        """Forget a dead worker, remove its stale name, and (in our cluster) start a replacement."""
        with self._lock:
            self._busy.pop(name, None)
            _, service = self._workers.pop(name, (None, None))
            closing = self._closing
        try:
            with locate_ns(self.ns_host, self.ns_port, timeout=2.0) as ns:
                ns.remove(name)
        except Exception:  # the name server itself may be gone; nothing to clean then
            pass
        if service is not None:
            service.stop(timeout=1.0)
            with self._lock:
                self._services.remove(service)
            if not closing:
                self._adopt(self._spawn_worker())

    def abort(self) -> None:
        """Stop every chunk running now: in our cluster the busy workers are killed (and replaced).

        A Python call cannot be interrupted from outside, so killing the
        process is the only way to be sure nothing keeps running. On an
        existing cluster we do not own the workers: their current chunks run to the end.
        """
        with self._lock:
            busy = [self._workers[name][1] for name in self._busy if name in self._workers]
        for service in busy:
            if service is not None:
                service.kill()

    def close(self) -> None:
        with self._lock:
            self._closing = True
        self.abort()
        if hasattr(self, "_threads"):
            self._threads.shutdown(wait=True, cancel_futures=True)
        workers = [s for s in self._services if s is not self._nameserver]
        stop_all(workers)  # each deregisters itself while the name server is still up
        if self._nameserver is not None:
            self._nameserver.stop()
        self._services.clear()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)

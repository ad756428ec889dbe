"""The Celery backend: each chunk is one `course.map_chunk` task on a queue of its own.

Isolation: the broker (Redis, RabbitMQ) may be shared by every test run on the
machine, so each cluster sends to a fresh queue (`course-<random>`) that only
its own workers consume, and deletes the queue when it stops: a leftover
message from an earlier run can never be answered by, or answer, a later one.
Results are read once and then forgotten (deleted from the result backend).

Fault tolerance is the broker's: with late acknowledgement a message whose
pool process died goes back to the queue and another process runs it
(~0.3 s on Redis and RabbitMQ, about a second on the polling filesystem
transport). The caller sees only a slower chunk; nothing is resubmitted here,
so nothing can run twice because of us.

Configuration: `broker_url`/`result_backend` (or COURSE_BROKER_URL and
COURSE_RESULT_BACKEND; neither: the embedded filesystem broker in a private
temp folder). Local workers are started on the private queue, unless `queue`
(or COURSE_CELERY_QUEUE) names a queue that existing workers consume: then
nothing is started, and that queue is never purged.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import uuid
from concurrent.futures import Future
from pathlib import Path

import psutil

from course.capstone import celery_app
from course.capstone.core import Backend, FunctionRef, default_workers
from course.capstone.errors import WorkerLost
from course.capstone.services import Service

POLL_INTERVAL = 0.02
CHECK_TIMEOUT = 5.0
# A Celery worker's warm shutdown takes 2.5 s (Redis) to 6 s (filesystem) here even when idle;
# at close() nothing of ours is in flight, so after a short grace the group is killed.
STOP_TIMEOUT = 1.5


class BrokerUnreachable(ConnectionError):
    """The configured broker or result backend does not answer: a failure, never a silent skip."""


class CeleryBackend(Backend):
    name = "celery"
    by_reference = True
    default_chunksize = 64
    chunk_cost = 3e-3

    def __init__(self, workers: int | None = None, broker_url: str | None = None,
                 result_backend: str | None = None, queue: str | None = None):
        broker_url = broker_url or os.environ.get("COURSE_BROKER_URL")
        result_backend = result_backend or os.environ.get("COURSE_RESULT_BACKEND")
        queue = queue or os.environ.get("COURSE_CELERY_QUEUE")
        self.owned = queue is None
        self.queue = queue or f"course-{uuid.uuid4().hex[:12]}"
        self._folder = None if broker_url else Path(tempfile.mkdtemp(prefix="course-celery-"))
        self._logs: Path | None = None  # the workers' logs, when there is no embedded broker folder to hold them
        self._worker: Service | None = None
        self._lock = threading.Lock()
        self._pending: dict[str, Future] = {}
        self._closing = threading.Event()
        self._poller: threading.Thread | None = None
        self.app = celery_app.make_app(broker_url, result_backend, self.queue, self._folder)
        self.broker_url = celery_app.redact(self.app.conf.broker_url)
        try:
            self._check_reachable()
            self.workers = workers or default_workers()
            if self.owned:
                self._start_worker()
            self._poller = threading.Thread(target=self._poll, name="dmap-celery-results", daemon=True)
            self._poller.start()
        except BaseException:
            self.close()
            raise

    # ----------------------------------------------------------------- cluster

    def _check_reachable(self) -> None:
        """Fail at once, naming the server, instead of retrying forever inside a map."""
        try:
            with self.app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2, interval_max=0.2, timeout=CHECK_TIMEOUT)
        except Exception as error:
            raise BrokerUnreachable(f"cannot reach the Celery broker at {self.broker_url}: {error}") from None
        backend = self.app.backend
        client = getattr(backend, "client", None)
        if client is not None and hasattr(client, "ping"):
            try:
                client.ping()
            except Exception as error:
                raise BrokerUnreachable(
                    f"cannot reach the Celery result backend at {celery_app.redact(self.app.conf.result_backend)}: {error}"
                ) from None

    def _start_worker(self) -> None:
        if self._folder is None:
            self._logs = Path(tempfile.mkdtemp(prefix="course-celery-logs-"))
        args = ["--queue", self.queue, "--concurrency", str(self.workers)]
        if self._folder is not None:
            args += ["--data-folder", str(self._folder), "--broker", "filesystem://"]
        else:
            args += ["--broker", self.app.conf.broker_url, "--result-backend", self.app.conf.result_backend]
        self._worker = Service("celery-worker", args, self._folder or self._logs, "celery-worker")
        self._worker.wait_ready()

    @property
    def worker_pids(self) -> list[int]:
        """The pool processes that run the chunks (children of our worker), or [] on an existing cluster."""
        if self._worker is None or not self._worker.alive():
            return []
        try:
            return sorted(child.pid for child in psutil.Process(self._worker.pid).children())
        except psutil.NoSuchProcess:
            return []

    @property
    def description(self) -> str:
        where = "local workers" if self.owned else f"existing workers on queue {self.queue}"
        return f"celery x{self.workers} ({where}, broker {self.broker_url})"

    # ----------------------------------------------------------------- tasks

    def submit(self, task: FunctionRef, chunk: list) -> Future:
        future: Future = Future()
        future.set_running_or_notify_cancel()
        result = self.app.send_task(celery_app.TASK_NAME, args=[task.module, task.qualname, list(chunk)], queue=self.queue)
        with self._lock:
            self._pending[result.id] = future
        return future

    def _poll(self) -> None:
        """One thread reads every pending result: AsyncResult.get() in many threads is not safe on all backends."""
        while not self._closing.wait(POLL_INTERVAL):
            try:
                self._poll_once()
            except Exception as error:  # the poller must outlive any one bad answer, or every map hangs
                print(f"dmap celery poller: {type(error).__name__}: {error}", file=sys.stderr)

    def _poll_once(self) -> None:
        with self._lock:
            pending = list(self._pending.items())
        for task_id, future in pending:
            try:
                meta = self.app.backend.get_task_meta(task_id)
            except Exception as error:  # a broken result backend fails the chunk, not the poller
                self._finish(task_id, future, error=WorkerLost(f"result backend error: {error}"))
                continue
            state = meta.get("status")
            if state == "SUCCESS":
                self._finish(task_id, future, result=meta["result"])
            elif state in ("FAILURE", "REVOKED"):
                self._finish(task_id, future, error=WorkerLost(f"task {task_id} ended in {state}: {meta.get('result')}"))

    def _finish(self, task_id: str, future: Future, result=None, error: BaseException | None = None) -> None:
        with self._lock:
            if self._pending.get(task_id) is not future:
                return  # abort() or close() already settled it
            del self._pending[task_id]
        try:
            self.app.backend.forget(task_id)
        except Exception:
            pass
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def abort(self) -> None:
        """Stop every chunk queued or running now.

        Our queue is purged and our worker restarted: a running task cannot
        be interrupted any other way on every transport. On an existing
        cluster the shared queue is not ours to purge; its chunks run to the end.
        """
        with self._lock:
            abandoned, self._pending = self._pending, {}
        for future in abandoned.values():
            if not future.done():
                future.set_exception(WorkerLost("aborted"))
        if not self.owned or self._worker is None:
            return
        self._worker.kill()
        self._worker.process.wait()
        self._purge()
        if not self._closing.is_set():
            self._start_worker()

    def _purge(self) -> None:
        try:
            with self.app.connection_for_write() as connection:
                channel = connection.default_channel
                channel.queue_purge(self.queue)
        except Exception:
            pass

    def _delete_queue(self) -> None:
        """Leave nothing of ours on a shared broker: the queue, its exchange and binding keys."""
        try:
            with self.app.connection_for_write() as connection:
                channel = connection.default_channel
                channel.queue_purge(self.queue)
                channel.queue_delete(self.queue)
                channel.exchange_delete(self.queue)
                client = getattr(channel, "client", None)
                if client is not None and hasattr(client, "delete"):  # Redis keeps binding tables as keys
                    client.delete(f"_kombu.binding.{self.queue}", f"_kombu.binding_permanent.{self.queue}")
        except Exception:
            pass

    def close(self) -> None:
        self._closing.set()
        if self._poller is not None:
            self._poller.join()
        with self._lock:
            pending, self._pending = self._pending, {}
        if self._worker is not None:
            if pending:
                self._worker.kill()
            self._worker.stop(STOP_TIMEOUT)
            self._worker = None
        if self.owned:
            self._delete_queue()
        for future in pending.values():
            if not future.done():
                future.cancel() or future.set_exception(WorkerLost("the cluster was closed"))
        self.app.close()
        for folder in (self._folder, self._logs):
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)

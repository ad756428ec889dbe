"""Backends on this machine: serial, threads, asyncio and processes.

The process backend is a small pool of our own rather than
`multiprocessing.Pool` or `ProcessPoolExecutor`, because of two hazards:

- A worker that dies mid-task: `Pool` waits forever for the lost result
  (bpo-22393); `ProcessPoolExecutor` marks *every* pending future broken, so
  the innocent chunks are charged for one crash. Here each worker has its own
  pipe and one chunk at a time, so the one lost chunk is known exactly, its
  future fails with `WorkerLost`, and a fresh worker takes the dead one's place.
- A timeout: neither stdlib pool can stop a running task. Here `abort()`
  kills the busy workers (and replaces them), so nothing keeps running after
  the caller gave up.
"""

from __future__ import annotations

import asyncio
import inspect
import multiprocessing
import os
import queue
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing.connection import wait as wait_for_ready

from course.capstone.core import Backend, FunctionRef, default_workers, error_outcome, run_chunk, run_chunk_by_ref
from course.capstone.errors import WorkerLost

STOP_TIMEOUT = 3.0


class ThreadBackend(Backend):
    """A thread pool: overlaps I/O waits; CPU-bound Python code still takes turns (the GIL).

    `abort()` cannot stop a running thread (nothing can, safely): the chunks
    already running finish on their own, queued ones are cancelled by the map,
    and `close()` after an abort does not wait for them, so a timeout reaches
    the caller when it is due, not when the slow item ends.
    """

    name = "threads"
    default_chunksize = 4
    chunk_cost = 20e-6

    def __init__(self, workers: int | None = None):
        self.workers = workers or default_workers()
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix=f"dmap-{self.name}")
        self._aborted = False

    def submit(self, task, chunk: list) -> Future:
        return self._pool.submit(run_chunk, task, chunk)

    def abort(self) -> None:
        self._aborted = True

    def close(self) -> None:
        self._pool.shutdown(wait=not self._aborted, cancel_futures=True)


class SerialBackend(ThreadBackend):
    """One chunk at a time, in order: the oracle the others must agree with.

    It runs on one worker thread rather than in the caller's, so that a map's
    `timeout` is raised when it is due even while an item is still running.
    """

    name = "serial"
    default_chunksize = 64  # chunk_cost is the thread hand-off's, as for `threads`

    def __init__(self, workers: int | None = None):
        super().__init__(workers=1)


class AsyncioBackend(Backend):
    """An event loop in its own thread; `workers` chunks run concurrently on it.

    A coroutine function is awaited on the loop, item by item; a plain
    function runs a whole chunk in one `asyncio.to_thread` call (one thread
    hand-off per chunk, not per item), so a blocking call never stalls the
    other chunks.
    """

    name = "asyncio"
    default_chunksize = 1
    chunk_cost = 50e-6

    def __init__(self, workers: int | None = None):
        self.workers = workers or 32
        self._ready = threading.Event()
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), name="dmap-asyncio", daemon=True)
        self._thread.start()
        self._ready.wait()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._slots = asyncio.Semaphore(self.workers)
        self._tasks: set[asyncio.Task] = set()
        self._ready.set()
        await self._stop.wait()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self, fn, chunk: list) -> dict:
        self._tasks.add(asyncio.current_task())
        try:
            async with self._slots:
                if not inspect.iscoroutinefunction(fn):
                    return await asyncio.to_thread(run_chunk, fn, chunk)
                results = []
                for offset, item in enumerate(chunk):
                    try:
                        results.append(await fn(item))
                    except Exception as error:
                        return error_outcome(offset, error, results)
                return {"ok": True, "results": results}
        finally:
            self._tasks.discard(asyncio.current_task())

    def submit(self, task, chunk: list) -> Future:
        return asyncio.run_coroutine_threadsafe(self._run(task, chunk), self._loop)

    def abort(self) -> None:
        def cancel_all():
            for task in list(self._tasks):
                task.cancel()

        self._loop.call_soon_threadsafe(cancel_all)

    def close(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join()


def _process_worker(conn) -> None:
    """A worker process: one chunk at a time from its pipe, until None or the pipe closes."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the caller; it stops us
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        module, qualname, chunk = message
        conn.send(run_chunk_by_ref(module, qualname, chunk))


class _Worker:
    def __init__(self, context):
        self.conn, child_end = context.Pipe()
        self.process = context.Process(target=_process_worker, args=(child_end,), name="dmap-worker", daemon=True)
        self.process.start()
        child_end.close()

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        try:
            if self.process.is_alive():
                self.process.kill()
        except ValueError:  # already closed by the thread that saw it die
            pass

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.process.join(STOP_TIMEOUT)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()
        self.process.close()


class ProcessBackend(Backend):
    """`workers` processes, each with its own pipe and one chunk at a time.

    A submitted chunk runs on a helper thread that borrows an idle worker,
    sends the chunk and waits for either the reply or the worker's death
    (its sentinel). Death replaces the worker and fails the future with
    `WorkerLost`, blaming exactly the chunk it was running.
    """

    name = "processes"
    by_reference = True
    default_chunksize = 16
    chunk_cost = 50e-6

    def __init__(self, workers: int | None = None, mp_context=None):
        if mp_context is None:
            # Not fork: workers are replaced from helper threads, and forking a process
            # that has threads can copy a lock some other thread held: a child stuck forever.
            mp_context = multiprocessing.get_context("forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn")
        elif isinstance(mp_context, str):
            mp_context = multiprocessing.get_context(mp_context)
        self._context = mp_context
        self.workers = workers or default_workers()
        self._lock = threading.Lock()
        self._closing = False
        self._busy: set[_Worker] = set()
        self._all: set[_Worker] = set()
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        for _ in range(self.workers):
            self._add_worker()
        self._threads = ThreadPoolExecutor(self.workers, thread_name_prefix="dmap-process-link")

    def _add_worker(self) -> None:
        worker = _Worker(self._context)
        with self._lock:
            self._all.add(worker)
        self._idle.put(worker)

    @property
    def worker_pids(self) -> list[int]:
        with self._lock:
            return sorted(w.pid for w in self._all)

    @property
    def description(self) -> str:
        return f"processes x{self.workers} ({self._context.get_start_method()})"

    def submit(self, task: FunctionRef, chunk: list) -> Future:
        return self._threads.submit(self._run, task, chunk)

    def _run(self, task: FunctionRef, chunk: list) -> dict:
        worker = self._idle.get()
        with self._lock:
            self._busy.add(worker)
        try:
            worker.conn.send((task.module, task.qualname, chunk))
            ready = wait_for_ready([worker.conn, worker.process.sentinel])
            if worker.conn in ready:
                try:
                    outcome = worker.conn.recv()
                except (EOFError, OSError):
                    outcome = None
                if outcome is not None:
                    with self._lock:
                        self._busy.discard(worker)
                    self._idle.put(worker)
                    return outcome
        except (BrokenPipeError, OSError):
            pass
        # The worker died with the chunk: replace it, and let the caller decide about a retry.
        pid = worker.pid
        worker.kill()
        worker.process.join()
        with self._lock:
            self._busy.discard(worker)
            self._all.discard(worker)
            closing = self._closing
        worker.conn.close()
        worker.process.close()
        if not closing:
            self._add_worker()
        raise WorkerLost(f"worker process {pid} died while running a chunk of {len(chunk)} items")

    def abort(self) -> None:
        with self._lock:
            busy = list(self._busy)
        for worker in busy:
            worker.kill()

    def close(self) -> None:
        with self._lock:
            self._closing = True
        self.abort()
        self._threads.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            workers, self._all = list(self._all), set()
        for worker in workers:
            worker.stop()

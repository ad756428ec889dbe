"""A distributed map: `dmap(fn, items, backend=...)` on threads, processes, Pyro or Celery.

You write the map; the plumbing is given (read src/course/capstone.py first):

- `course.capstone.cluster(name, workers=N)` starts a warm backend: the
  process pool, a Pyro name server and workers (src/course/services.py,
  class `PyroWorker`), a Celery worker with the `course.map_chunk` task
  (src/course/celery_app.py); leaving the block stops all of it.
- `course.capstone.open_backend(backend, workers)` gives you a backend for one
  map, whether the caller passed a name or a cluster object.
- `backend.prepare(fn)` turns `fn` into what the backend sends (a
  `FunctionRef` of module + qualname for remote backends: a lambda raises
  TypeError); `backend.submit(task, chunk)` returns a
  `concurrent.futures.Future` of the chunk's outcome:
      {"ok": True, "results": [...]}
      {"ok": False, "offset": i, "type": "ValueError", "message": "...",
       "traceback": "...", "results": [the results before item i]}
  The future fails with `course.capstone.WorkerLost` when the worker
  died with the chunk: it may be submitted again.
- `backend.workers` (how many chunks run at once), `backend.default_chunksize`
  (for inputs without a length), `backend.abort()` (stop every chunk running
  now: call it when you give up on a map).

What the map must do (the graded tests check each point):

1. Results in input order (`ordered=True`) even when later chunks finish
   first; with `ordered=False`, results as chunks complete.
2. Real parallelism: several chunks submitted before waiting for any of them.
3. Bounded in-flight work: read the input lazily and keep at most about
   2 x workers chunks between "read from the input" and "handed to the
   caller" (a reorder buffer counts!), so `imap` over `itertools.count()` works.
4. Errors: raise `course.capstone.ItemError(index, exc_type, message,
   traceback)` where `index` is the failing item's position in the input;
   in order, after the results before it. Never swallow an error outcome.
   `timeout` (seconds from the call, as for `Executor.map`) raises
   `TimeoutError` and calls `backend.abort()`, so no worker stays busy; the
   same goes for a caller that stops iterating early (`it.close()`).
5. Retries: a chunk whose future failed with `WorkerLost` is submitted again,
   up to `retries` times (then raise `WorkerLost(message, index=...)`), and
   its results are handed over exactly once. Which item killed the worker is
   unknown, and a chunk may hold several bad items: after its first loss,
   retry its items one by one, each with its own retries.

Hazards: `concurrent.futures.wait(..., return_when=FIRST_COMPLETED)` is your
friend; `Executor.map` is not (it reads the whole input first). A generator
runs its `finally` when the caller stops early: cancel what is still pending there.
"""

from __future__ import annotations

import itertools
import math
import time
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Callable, Iterable, Iterator

from course.capstone import Backend, ItemError, WorkerLost, check_callable, open_backend

IN_FLIGHT_PER_WORKER = 2  # one chunk running and one waiting per worker: no idle gap
CHUNKS_PER_WORKER = 4  # enough chunks to balance uneven items, few enough to keep messaging cheap
MAX_CHUNKSIZE = 16384  # bounds one message (and one lost chunk) on huge inputs


def dmap(
    fn: Callable,
    items: Iterable,
    *,
    backend: "str | Backend" = "processes",
    workers: int | None = None,
    chunksize: int | None = None,
    ordered: bool = True,
    timeout: float | None = None,
    retries: int = 2,
) -> list:
    """`[fn(x) for x in items]`, computed on `backend`; see `imap` for the options."""
    return list(
        imap(fn, items, backend=backend, workers=workers, chunksize=chunksize,
             ordered=ordered, timeout=timeout, retries=retries)
    )


def imap(
    fn: Callable,
    items: Iterable,
    *,
    backend: "str | Backend" = "processes",
    workers: int | None = None,
    chunksize: int | None = None,
    ordered: bool = True,
    timeout: float | None = None,
    retries: int = 2,
) -> Iterator:
    """An iterator of `fn(x)` for each x in `items`, reading `items` lazily.

    backend    a name (serial, threads, asyncio, processes, pyro, celery), started
               for this map and stopped after it, or a `course.capstone.cluster(...)`
               object, which stays warm for the next map
    workers    workers to start for a backend given by name (default: CPU count)
    chunksize  items per chunk; None picks ~4 chunks per worker for a sized input
    ordered    True: results in input order; False: as chunks complete
    timeout    seconds from the call until the last result, or None
    retries    how many times a chunk whose worker died is submitted again

    Check `fn` here, before any item is read (`check_callable(fn, backend)`),
    then return a generator that does the work inside
    `with open_backend(backend, workers) as runner:`.
    """
    raise NotImplementedError("TODO: validate the arguments, then return the generator that runs the map")


def choose_chunksize(items: Iterable, backend: Backend, chunksize: int | None) -> int:
    """The chunk size: `chunksize` if given; else about `CHUNKS_PER_WORKER` chunks per
    worker for an input with a length (at least 1, at most MAX_CHUNKSIZE), else
    `backend.default_chunksize`. Messaging costs per chunk: a Celery task ~3 ms,
    a Pyro call ~0.4 ms, a process-pool task ~50 us.
    """
    raise NotImplementedError("TODO: pick a chunk size")


def chunked(items: Iterable, size: int) -> Iterator[list]:
    """Lists of `size` items (the last may be shorter), reading `items` only as needed
    (hint: itertools.islice)."""
    raise NotImplementedError("TODO: split the input lazily into chunks")

"""A distributed map: `dmap(fn, items, backend=...)` on threads, processes, Pyro or Celery.

You write the map; the plumbing is given (read src/course/capstone/core.py first):

- `course.capstone.cluster(name, workers=N)` starts a warm backend: the
  process pool, a Pyro name server and workers (src/course/capstone/services.py,
  class `PyroWorker`), a Celery worker with the `course.map_chunk` task
  (src/course/capstone/celery_app.py); leaving the block stops all of it.
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

0. Check the arguments when `imap` is called, before any item is read or any
   backend started (a generator's body runs only at the first `next()`, so
   `imap` must check, then return the generator): an unknown backend name
   -> ValueError, a backend that is neither a name nor a Backend ->
   TypeError; `check_callable(fn, backend)` (TypeError: a lambda or a closure
   on a remote backend); `workers` or `chunksize` below 1, `timeout` below 0,
   `retries` below 0 -> ValueError.
1. Results in input order (`ordered=True`) even when later chunks finish
   first; with `ordered=False`, each chunk's results as soon as that chunk
   completes. `dmap` returns a list; empty input returns [] at once, on
   every backend.
2. Real parallelism: several chunks submitted before waiting for any of them;
   a backend given by name gets `workers` workers.
3. Chunks: `chunksize` items each, in input order (the last one holds the
   remainder); with chunksize=None, `choose_chunksize` decides.
4. Bounded in-flight work: read the input lazily and keep
   IN_FLIGHT_PER_WORKER * backend.workers chunks between "read from the
   input" and "handed to the caller" (a reorder buffer counts!): never more,
   for every input, a list as much as a generator, so `imap` over
   `itertools.count()` works; and while the input lasts, read up to that
   many before waiting, so each worker has one chunk running and the next
   one waiting.
5. Errors: raise `course.capstone.ItemError(index, exc_type, message,
   traceback)` where `index` is the failing item's position in the input, on
   every backend (serial too: never the raw exception), in both orders
   (ordered: after every result before it). Never swallow an error outcome,
   and never retry one (running it again would fail again).
   `timeout` (seconds from the call, as for `Executor.map`): once it has
   passed, raise `TimeoutError` instead of handing over anything more, on
   every backend (serial included), and call `backend.abort()`, so no worker
   stays busy; the same goes for a caller that stops iterating early
   (`it.close()`).
6. Retries: a chunk whose future failed with `WorkerLost` is submitted again,
   up to `retries` times (then raise `WorkerLost(message, index=...)`, index
   = the first item of what was lost), and its results are handed over
   exactly once. Which item killed the worker is unknown, and a chunk may
   hold several bad items: after its first loss, retry its items one by one,
   each with the retries left.

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

from course.capstone import BACKENDS, Backend, ItemError, WorkerLost, check_callable, open_backend

IN_FLIGHT_PER_WORKER = 2  # one chunk running and one waiting per worker: no idle gap
CHUNKS_PER_WORKER = 4  # enough chunks to balance uneven items, few enough to keep messaging cheap
MAX_CHUNKSIZE = 16384  # bounds one message (and one lost chunk) on huge inputs
CHEAP_MESSAGING = 0.05  # seconds of messaging in all below which every item travels alone
MAP_CHUNK_COST = 10e-6  # this module's own bookkeeping per chunk (a future, a wait), on any backend


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
    chunksize  items per chunk (the last chunk holds the remainder); None: see
               `choose_chunksize`
    ordered    True: results in input order; False: each chunk's results as soon
               as that chunk completes
    timeout    seconds from the call until the last result, or None: once they have
               passed, the map raises TimeoutError instead of handing over more
    retries    how many times a chunk whose worker died is submitted again (after the
               first loss its items are retried one by one, each with these retries)

    Check every argument here (point 0 above), then return a generator that does
    the work inside `with open_backend(backend, workers) as runner:`.
    """
    raise NotImplementedError("TODO: validate the arguments, then return the generator that runs the map")


def choose_chunksize(items: Iterable, backend: Backend, chunksize: int | None) -> int:
    """The chunk size: `chunksize` when given; else, for an input with a length n,
    1 when n * (backend.chunk_cost + MAP_CHUNK_COST) <= CHEAP_MESSAGING (sending
    every item alone is cheap in all, and balances the load best), otherwise
    ceil(n / (CHUNKS_PER_WORKER * backend.workers)) capped at MAX_CHUNKSIZE; for an
    input without a length (a generator), `backend.default_chunksize`.
    Messaging costs per chunk (`backend.chunk_cost`): a Celery task ~3 ms, a Pyro
    call ~0.4 ms, a process-pool task ~50 us.
    """
    raise NotImplementedError("TODO: pick a chunk size")


def chunked(items: Iterable, size: int) -> Iterator[list]:
    """Lists of `size` items (the last may be shorter), reading `items` only as needed
    (hint: itertools.islice)."""
    raise NotImplementedError("TODO: split the input lazily into chunks")

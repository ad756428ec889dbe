"""A distributed map: `dmap(fn, items, backend=...)` on threads, processes, Pyro or Celery.

The plumbing (starting clusters, sending a chunk to a worker, noticing a
worker's death) lives in `course.capstone`; this module is the map itself:

- chunking: items travel in chunks, so the messaging cost of a chunk (a
  Celery task ~3 ms, a Pyro call ~0.4 ms, a process-pool task ~50 us) is paid
  once per chunk, not once per item;
- bounded in-flight work: at most `IN_FLIGHT_PER_WORKER * workers` chunks are
  read from the input and not yet handed to the caller, so an endless
  generator works in bounded memory (Executor.map reads all input first);
- ordering: with `ordered=True`, chunks that finish early wait in a small
  buffer for their turn; with `ordered=False` results come as chunks finish;
- errors: an exception in `fn` is raised in the caller as
  `course.capstone.ItemError` with `.index` (the failing item's position in
  the input), `.exc_type` (its type name) and `.message`. With `ordered=True`
  every result before the failing item is yielded first, as with `map()`;
- retries: a chunk whose worker died (`WorkerLost`) is submitted again, up to
  `retries` times, and its results are handed over exactly once;
- timeout: `timeout` seconds after the call (as for `Executor.map`) the map
  raises `TimeoutError` instead of handing over anything more, on every
  backend, and every chunk still running is stopped (`backend.abort()`): no
  worker stays busy for a caller that gave up;
- arguments are checked when `imap` is called, before any item is read or
  any backend started: a mistake surfaces at the line that made it.
"""

from __future__ import annotations

import itertools
import math
import time
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any, Callable, Iterable, Iterator

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

    At most `IN_FLIGHT_PER_WORKER * backend.workers` chunks are ever read from
    `items` and not yet handed to the caller, whatever the input (a list or
    an endless generator) and the order; while the input lasts, the map reads
    up to that many before it waits. An exception in `fn` is never retried.
    Empty input returns at once on every backend.
    """
    check_arguments(fn, backend, workers, chunksize, timeout, retries)
    deadline = None if timeout is None else time.monotonic() + timeout
    return _imap(fn, items, backend, workers, chunksize, ordered, timeout, deadline, retries)


def check_arguments(fn, backend, workers, chunksize, timeout, retries) -> None:
    """Raise now, at the caller's line, rather than at the first `next()`.

    `imap` returns a generator, and a generator's body runs only when it is
    first iterated: without this, a wrong argument would surface wherever the
    iterator happens to be consumed, perhaps never.
    """
    if isinstance(backend, str):
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}: choose one of {', '.join(BACKENDS)}")
    elif not isinstance(backend, Backend):
        raise TypeError(f"backend must be a name ({', '.join(BACKENDS)}) or a cluster(...) object, not {backend!r}")
    check_callable(fn, backend)  # a lambda on a remote backend fails now
    for name, value, least in (("workers", workers, 1), ("chunksize", chunksize, 1), ("timeout", timeout, 0)):
        if value is not None and value < least:
            raise ValueError(f"{name} must be at least {least}, not {value}")
    if retries < 0:
        raise ValueError(f"retries must be 0 or more, not {retries}")


def choose_chunksize(items: Iterable, backend: Backend, chunksize: int | None) -> int:
    """The chunk size: `chunksize` when given; else, for an input with a length n,
    1 when n * (backend.chunk_cost + MAP_CHUNK_COST) <= CHEAP_MESSAGING, otherwise
    ceil(n / (CHUNKS_PER_WORKER * backend.workers)) capped at MAX_CHUNKSIZE; for an
    input without a length (a generator), `backend.default_chunksize`.

    Fewer, larger chunks amortise the messaging cost; several per worker
    still balance the load when items take uneven time. When sending every
    item on its own costs little in all, chunks of one balance the load best:
    20 items on 2 workers in chunks of 3 leave one worker idle for a whole chunk.
    """
    if chunksize is not None:
        return chunksize
    try:
        count = len(items)  # type: ignore[arg-type]
    except TypeError:
        return backend.default_chunksize
    if count * (backend.chunk_cost + MAP_CHUNK_COST) <= CHEAP_MESSAGING:
        return 1
    return max(1, min(MAX_CHUNKSIZE, math.ceil(count / (CHUNKS_PER_WORKER * backend.workers))))


def chunked(items: Iterable, size: int) -> Iterator[list]:
    """Lists of `size` items (the last may be shorter), reading `items` only as needed."""
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _imap(fn, items, backend, workers, chunksize, ordered, timeout, deadline, retries) -> Iterator:
    with open_backend(backend, workers) as runner:
        task = runner.prepare(fn)
        size = choose_chunksize(items, runner, chunksize)
        chunks = enumerate(chunked(items, size))
        window = IN_FLIGHT_PER_WORKER * runner.workers
        # future -> (chunk number, items, attempts, part): part is None for a whole chunk,
        # or the item's place in its chunk once a lost chunk is retried item by item.
        pending: dict[Future, tuple[int, list, int, int | None]] = {}
        split: dict[int, list] = {}  # chunk number -> outcomes of its items, retried one by one
        finished: dict[int, dict] = {}  # ordered: outcomes waiting for their turn
        next_number = 0  # ordered: the chunk to hand over next
        outstanding = 0  # chunks read from the input and not yet handed over
        exhausted = False
        try:
            while True:
                while not exhausted and outstanding < window:
                    try:
                        number, chunk = next(chunks)
                    except StopIteration:
                        exhausted = True
                        break
                    pending[runner.submit(task, chunk)] = (number, chunk, 0, None)
                    outstanding += 1
                if not pending:
                    return
                remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
                done, _ = wait(pending, timeout=remaining, return_when=FIRST_COMPLETED)
                if not done:
                    raise TimeoutError(
                        f"dmap: timeout={timeout} s passed with {len(pending)} chunk(s) still running on {runner.description}"
                    )
                for future in done:
                    number, chunk, attempts, part = pending.pop(future)
                    try:
                        outcome = future.result()
                    except WorkerLost as lost:
                        index = number * size + (part or 0)
                        if attempts >= retries:
                            raise WorkerLost(
                                f"the chunk starting at item {index} was lost {attempts + 1} times "
                                f"(retries={retries}); last: {lost}",
                                index=index,
                            ) from lost
                        if part is None and len(chunk) > 1:
                            # Which item killed the worker is unknown: retry the items one by
                            # one, so a bad item uses up only its own retries.
                            split[number] = [None] * len(chunk)
                            for place, item in enumerate(chunk):
                                pending[runner.submit(task, [item])] = (number, [item], attempts + 1, place)
                        else:
                            pending[runner.submit(task, chunk)] = (number, chunk, attempts + 1, part)
                        continue
                    if part is not None:
                        split[number][part] = outcome
                        if any(piece is None for piece in split[number]):
                            continue
                        outcome = _joined(split.pop(number))
                    if ordered:
                        finished[number] = outcome
                        continue
                    outstanding -= 1
                    yield from _results(outcome, number * size)
                while next_number in finished:
                    outcome = finished.pop(next_number)
                    outstanding -= 1
                    yield from _results(outcome, next_number * size)
                    next_number += 1
        finally:
            for future in pending:
                future.cancel()
            if any(not future.done() for future in pending):
                runner.abort()


def _joined(pieces: list[dict]) -> dict:
    """One chunk's outcome from the outcomes of its items, run one at a time."""
    results: list = []
    for place, piece in enumerate(pieces):
        results += piece["results"]
        if not piece["ok"]:
            return {**piece, "results": results, "offset": place + piece["offset"]}
    return {"ok": True, "results": results}


def _results(outcome: dict, start: int) -> Iterator:
    """The chunk's results; for a failed chunk, those before the failing item, then `ItemError`."""
    yield from outcome["results"]
    if not outcome["ok"]:
        raise ItemError(start + outcome["offset"], outcome["type"], outcome["message"], outcome.get("traceback", ""))

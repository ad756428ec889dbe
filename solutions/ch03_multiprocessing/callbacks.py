"""Submit everything with Pool.apply_async; collect results and errors by callback.

`apply_async` returns at once; the answer comes back later, to a callback run
in a thread of the pool inside the caller. An exception raised by the call is
kept in its AsyncResult and surfaces only if someone calls `.get()`: submit
without an error callback and never call `.get()`, and the error is silently
lost. A worker that dies mid-task takes its task with it; the pool starts a
new worker but that AsyncResult is never ready, so an unbounded wait hangs
(CPython issue bpo-22393).
"""

from __future__ import annotations

import functools
import multiprocessing
import time
from typing import Any, Callable, Iterable


def run_all(
    fn: Callable[[Any], Any],
    items: Iterable[Any],
    *,
    workers: int = 2,
    mp_context=None,
    timeout: float = 10.0,
) -> tuple[list[Any], dict[int, str]]:
    """Run fn(item) for every item in a process pool; return (results, errors).

    Submit every item with `apply_async` before waiting for any, in a pool of
    `workers` processes from `mp_context` (None: the default context), with a
    callback and an error callback that record the outcome by the item's
    position. results[i] is fn(items[i]), or None where that call raised;
    errors maps the position of every call that raised to "TypeName: message"
    (str of the exception). No error is lost and none is raised to the caller.

    Wait at most `timeout` seconds in all for every outcome: past it (a worker
    died, taking its task with it, or a call hangs) terminate the pool and
    raise TimeoutError. Raise ValueError if workers < 1, before starting
    anything. `items` may be any iterable, empty too. No worker process is
    left running on return.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers!r}")
    items = list(items)
    results: list[Any] = [None] * len(items)
    errors: dict[int, str] = {}

    def done(index: int, value: Any) -> None:
        results[index] = value

    def failed(index: int, error: BaseException) -> None:
        errors[index] = f"{type(error).__name__}: {error}"

    context = mp_context or multiprocessing.get_context()
    with context.Pool(workers) as pool:
        pending = [
            pool.apply_async(fn, (item,), callback=functools.partial(done, index),
                             error_callback=functools.partial(failed, index))
            for index, item in enumerate(items)
        ]
        deadline = time.monotonic() + timeout
        for outcome in pending:
            outcome.wait(max(0.0, deadline - time.monotonic()))
            if not outcome.ready():
                raise TimeoutError(f"not every call finished within {timeout} s (a worker died or hangs)")
    return results, errors  # every outcome is in: leaving the with-block terminates the pool

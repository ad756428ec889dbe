"""A worker killed in the middle of a task: a Pool waits forever, an executor breaks.

Run: python -m labs.ch03_multiprocessing.worker_killed

`multiprocessing.Pool` replaces a worker that dies, but not the task it was
running: that task's result never arrives, and `.get()` without a timeout
waits forever (CPython issue bpo-22393, still open). Here the wait has a
deadline, so the lab reports the hang instead of hanging. A
`concurrent.futures.ProcessPoolExecutor` notices the death and fails every
pending future with BrokenProcessPool at once; the executor is then unusable.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

DEADLINE = 3.0


def task(x: int) -> int:
    """Square x; x == 13 kills this worker, as a crash or the OOM killer would."""
    if x == 13:
        os._exit(1)
    return x * x


def under_pool(context) -> str:
    with context.Pool(2) as pool:  # leaving the with-block terminates the pool
        pending = pool.map_async(task, range(20))
        started = time.perf_counter()
        try:
            pending.get(timeout=DEADLINE)
        except multiprocessing.TimeoutError:
            waited = time.perf_counter() - started
            return f"nothing after {waited:.1f} s; without one, get() waits forever"
    return "finished (unexpected)"


def under_executor(context) -> str:
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        started = time.perf_counter()
        try:
            list(pool.map(task, range(20)))
        except BrokenProcessPool as error:
            waited = time.perf_counter() - started
            return f"BrokenProcessPool after {waited:.2f} s: {error}"
    return "finished (unexpected)"


def main() -> None:
    context = multiprocessing.get_context("forkserver")
    print("multiprocessing.Pool:        ", under_pool(context))
    print("ProcessPoolExecutor:         ", under_executor(context))
    print("\nA Pool cannot tell that a task died with its worker: give get() a limit.")
    print("An executor can: it fails fast, and you start a new one to retry.")


if __name__ == "__main__":
    main()

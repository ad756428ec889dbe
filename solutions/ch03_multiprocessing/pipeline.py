"""Worker processes fed by one Queue and answering on another.

The caller puts every item on a task queue, one sentinel per worker after
them, and collects the answers from a result queue. Three hazards: a worker
that never receives its own sentinel waits forever, so one sentinel for N
workers hangs N - 1 of them; a process that has put data on a Queue does not
exit until that data has been read, so joining the workers before draining
the results deadlocks as soon as the results are large; and a queue the caller
wrote to keeps a feeder thread alive in the caller until it is closed.
"""

from __future__ import annotations

import multiprocessing
import queue
from typing import Any, Callable, Iterable

SENTINEL = None  # no task is None: tasks are (index, item) pairs


def _work(stage: Callable[[Any], Any], tasks, results) -> None:
    """Run in each worker: answer every task until this worker's sentinel arrives."""
    while (task := tasks.get()) is not SENTINEL:
        index, item = task
        try:
            results.put((index, True, stage(item)))
        except Exception as error:  # the caller re-raises it; this worker carries on
            results.put((index, False, error))


def run_pipeline(
    items: Iterable[Any],
    stage: Callable[[Any], Any],
    *,
    workers: int = 2,
    mp_context=None,
    timeout: float = 10.0,
) -> list[Any]:
    """Return [stage(item) for item in items], computed by `workers` processes.

    Start `workers` processes from `mp_context` (None: the default context)
    that take (index, item) tasks from one Queue and put their answers on
    another; `stage` is a module-level function. Send one sentinel per worker
    after the items, read every answer before joining any worker, and return
    the results in item order. `items` may be any iterable, empty too.

    If `stage` raises for some items, every item is still processed, the
    workers are joined, and the exception of the first such item (by position)
    is raised with its own type. No wait lasts longer than `timeout` seconds
    (an answer that does not come, a worker that does not finish, because it
    died or hangs): then the workers are terminated and TimeoutError is raised.
    Raise ValueError if workers < 1, before starting anything. On every return
    no worker process and no queue feeder thread of the call is left running.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers!r}")
    context = mp_context or multiprocessing.get_context()
    items = list(items)
    tasks, results = context.Queue(), context.Queue()
    processes = [context.Process(target=_work, args=(stage, tasks, results)) for _ in range(workers)]
    for process in processes:
        process.start()
    try:
        for task in enumerate(items):
            tasks.put(task)
        for _ in processes:
            tasks.put(SENTINEL)
        answers = {}
        for _ in items:
            try:
                index, ok, value = results.get(timeout=timeout)
            except queue.Empty:
                raise TimeoutError(f"no answer within {timeout} s: a worker died or hangs") from None
            answers[index] = (ok, value)
        for process in processes:
            process.join(timeout)
            if process.is_alive():
                raise TimeoutError(f"worker {process.pid} did not finish within {timeout} s")
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join()
        for channel in (tasks, results):
            channel.close()
            channel.join_thread()
    for ok, value in (answers[index] for index in range(len(items))):
        if not ok:
            raise value
    return [value for _, value in (answers[index] for index in range(len(items)))]

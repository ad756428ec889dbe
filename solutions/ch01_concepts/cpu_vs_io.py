"""CPU-bound or I/O-bound? Pick processes or threads accordingly.

A CPU-bound call spends its time computing: its CPU time is close to its wall
time. Under CPython's GIL only one thread of a process runs Python bytecode at
a time, so CPU-bound Python code needs several *processes* to use several cores.

An I/O-bound call spends its time waiting (network, disk, a sleep, a lock):
its CPU time is a small part of its wall time. While a thread waits it releases
the GIL, so *threads* overlap the waiting cheaply, and they share the caller's
memory, which processes do not.
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Callable, Iterable, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def cpu_share(fn: Callable[[], object], *, wall_clock=time.perf_counter, cpu_clock=time.thread_time) -> float:
    """Call fn() once; return the CPU time it used divided by the wall time it took.

    Read both clocks through the parameters (tests pass fake ones), once before
    and once after the call. The default CPU clock counts the CPU time of the
    calling thread only. Raise ValueError if no wall time passed at all (the wall
    clock did not move forward); fn has then still been called once. Any positive
    wall time gives a share, however small.
    """
    wall_start, cpu_start = wall_clock(), cpu_clock()
    fn()
    cpu, wall = cpu_clock() - cpu_start, wall_clock() - wall_start
    if wall <= 0:
        raise ValueError("fn took no measurable wall time; give it more work")
    return cpu / wall


def classify(fn: Callable[[], object], *, threshold: float = 0.5, wall_clock=time.perf_counter, cpu_clock=time.thread_time) -> str:
    """Return 'cpu-bound' if fn's CPU share is at least `threshold`, else 'io-bound'.

    Call fn exactly once, measuring it as cpu_share() does with the clocks given.
    A share exactly equal to `threshold` is 'cpu-bound'. Raise ValueError when
    cpu_share() would.
    """
    share = cpu_share(fn, wall_clock=wall_clock, cpu_clock=cpu_clock)
    return "cpu-bound" if share >= threshold else "io-bound"


def run_cpu_bound(fn: Callable[[T], R], items: Iterable[T], *, workers: int, mp_context=None) -> list[R]:
    """Return [fn(item) for item in items], computed by `workers` processes at once.

    The calls must really run at the same time (`workers` of them at once when
    there are that many items), in at most `workers` processes other than this
    one (threads would take turns on the GIL). Use `mp_context` (a multiprocessing context: fork, spawn or
    forkserver) to start them, so the code works under every start method; fn
    is a module-level function, so it can be sent to another process. `items`
    may be any iterable (a generator too) and may be empty. If a call raises,
    an exception of the same type reaches the caller. Leave no process running
    when you return, normally or by an exception.
    """
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp_context) as pool:
        return list(pool.map(fn, items))


def run_io_bound(fn: Callable[[T], R], items: Iterable[T], *, workers: int) -> list[R]:
    """Return [fn(item) for item in items], computed by `workers` threads at once.

    At most `workers` threads run the calls, `workers` of them at once when
    there are that many items. fn may be any callable, a lambda or a closure over the
    caller's data included, and whatever it changes in memory the caller must see
    afterwards. `items` may be any iterable (a generator too) and may be empty.
    If calls raise, the exception of the earliest failing item (in item order,
    as the list comprehension would) reaches the caller, once every call that
    started has finished. Leave no thread running when you return, normally or
    by an exception.
    """
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items))

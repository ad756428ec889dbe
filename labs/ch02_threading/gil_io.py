"""Lab: threads and the GIL, I/O-bound versus CPU-bound.

Four threads that wait (sleep, read a socket, query a database) overlap almost
perfectly: a thread releases the GIL while it waits. Four threads that compute
in pure Python take turns holding the GIL: the wall time is the sum of their
work, or worse. The timeline shows both.

Run: python -m labs.ch02_threading.gil_io
"""

from __future__ import annotations

import threading
import time

from course.tracing import Sampler, Timeline


def spin(iterations: int, sampler: Sampler | None = None) -> int:
    """Pure-Python arithmetic: holds the GIL throughout (ticks the sampler as it runs)."""
    total = 0
    for n in range(iterations):
        total += n * n % 7
        if sampler is not None and n % 1000 == 0:
            sampler.tick()
    return total


def calibrate(target: float = 0.1) -> int:
    """How many spin() iterations take about `target` seconds on this machine."""
    n = 50_000
    while True:
        started = time.perf_counter()
        spin(n)
        elapsed = time.perf_counter() - started
        if elapsed > 0.02:
            return int(n * target / elapsed)
        n *= 2


def run(
    kind: str, threads: int = 4, seconds: float = 0.1, iterations: int | None = None
) -> tuple[float, Timeline]:
    """Run `threads` threads of `kind` ('io', 'cpu') work; return wall time, timeline"""
    timeline = Timeline()
    iterations = iterations or calibrate(seconds)

    def work() -> None:
        name = threading.current_thread().name
        if kind == "io":
            with timeline.span(kind):
                time.sleep(seconds)  # waiting releases the GIL
        else:
            sampler = (
                Sampler()
            )  # draw when this thread really ran, not only start and end
            spin(iterations, sampler)
            timeline.extend(sampler.spans(name, kind))

    workers = [
        threading.Thread(target=work, name=f"thread {i + 1}") for i in range(threads)
    ]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - started, timeline


def main() -> int:
    iterations = calibrate(0.1)
    print("4 threads, each with about 0.1 s of work:")
    for kind in ("io", "cpu"):
        elapsed, timeline = run(kind, iterations=iterations)
        print(
            f"  {kind:>3}: wall time {elapsed:.2f} s  (0.10 s if they overlap, 0.40 s if they take turns)"
        )
    print(
        "\nWhat to notice:\n"
        "  - the waiting threads finish together: the GIL is released while a thread waits;\n"
        "  - the computing threads take turns: each runs in slices of about 5 ms, one thread at a\n"
        "    time, because the GIL passes between them. Threads help I/O, not pure-Python CPU."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

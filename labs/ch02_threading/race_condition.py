"""Lab: a race that loses updates every time it runs, and the lock that fixes it.

CPython 3.11 only considers switching threads at a call or a backward jump, so
`counter += 1` in a loop almost never loses an update on its own: a naive race
demo "works", which teaches the wrong lesson. Real code does something between
reading shared state and writing it back: a log call, a database round trip, a
network request. Put one call there (here `time.sleep(0)`, which releases the
GIL) and ask for a tiny switch interval, and the race shows every single run.

Run: python -m labs.ch02_threading.race_condition
"""

from __future__ import annotations

import sys
import threading
import time
from contextlib import contextmanager


@contextmanager
def switch_interval(seconds: float):
    previous = sys.getswitchinterval()
    sys.setswitchinterval(seconds)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


class Counter:
    """A shared counter whose increment is a read-modify-write."""

    def __init__(self, locked: bool, pause: bool):
        self.value = 0
        self.locked = locked
        self.pause = pause
        self.lock = threading.Lock()

    def increment(self) -> None:
        if self.locked:
            with self.lock:
                self._read_modify_write()
        else:
            self._read_modify_write()

    def _read_modify_write(self) -> None:
        current = self.value  # read
        if self.pause:
            time.sleep(0)  # "I/O" between read and write: another thread runs now
        # (Holding a lock across a sleep makes the others queue: correct, but slow.)
        self.value = current + 1  # write


def run(
    threads: int = 4,
    increments: int = 5_000,
    locked: bool = False,
    pause: bool = True,
    interval: float = 1e-6,
) -> int:
    """Start `threads` threads that each increment one shared Counter; its value."""
    counter = Counter(locked, pause)
    start = threading.Barrier(threads)

    def work() -> None:
        start.wait()
        for _ in range(increments):
            counter.increment()

    workers = [
        threading.Thread(target=work, name=f"incrementer-{i}") for i in range(threads)
    ]
    with switch_interval(interval):
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    return counter.value


def main() -> int:
    threads, increments = 4, 5_000
    expected = threads * increments
    print(f"{threads} threads x {increments:,} increments: expected {expected:,}\n")
    cases = [
        (
            "plain read-modify-write, default switch interval",
            dict(pause=False, interval=0.005),
        ),
        ("plain read-modify-write, 1 us switch interval", dict(pause=False)),
        ("a call between read and write, 1 us interval", dict(pause=True)),
        (
            "the same, with a Lock around read-modify-write",
            dict(pause=True, locked=True),
        ),
    ]
    for title, options in cases:
        started = time.perf_counter()
        got = run(threads, increments, **options)
        elapsed = time.perf_counter() - started
        print(f"  {title:<50} {got:>7,}  lost {expected - got:>6,}  ({elapsed:.2f} s)")
    print(
        "\nWhat to notice:\n"
        "  - without a call between read and write, CPython 3.11 rarely switches there: few or no\n"
        "    lost updates, which does NOT make the code correct (other interpreters, other versions,\n"
        "    a log line added next year);\n"
        "  - with a call in between, most updates are lost, every run;\n"
        "  - the lock makes the read-modify-write atomic: nothing is lost, at the price of waiting."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The join-before-drain deadlock of a multiprocessing Queue, caught with a deadline.

Run: python -m labs.ch03_multiprocessing.queue_deadlock

A process that puts an item on a Queue hands it to a feeder thread, which
writes it into a pipe; the process cannot exit until the feeder has written
everything, and a pipe holds only about 64 KiB until someone reads it. So a
parent that joins its child before reading what the child sent waits for the
child, which waits for the parent. Notice that a small item slips through,
that a large one does not, and that reading first always works.
"""

from __future__ import annotations

import multiprocessing

DEADLINE = 2.0  # seconds: far more than any of these children needs


def produce(results, size: int) -> None:
    """Runs in the child: send one item of `size` bytes, then return (and exit)."""
    results.put(b"x" * size)


def join_then_read(size: int, context) -> str:
    """The mistake, bounded: join the child first, with a deadline, then read."""
    results = context.Queue()
    child = context.Process(target=produce, args=(results, size))
    child.start()
    child.join(DEADLINE)
    stuck = child.is_alive()
    item = results.get(timeout=DEADLINE)  # reading lets the child finish
    child.join()
    outcome = "child exited"
    if stuck:
        outcome = f"child still running after {DEADLINE:.0f} s: deadlock"
    return f"{outcome}; then read {len(item):,} bytes"


def read_then_join(size: int, context) -> str:
    """The fix: read everything the child sends, then join it."""
    results = context.Queue()
    child = context.Process(target=produce, args=(results, size))
    child.start()
    item = results.get(timeout=DEADLINE)
    child.join(DEADLINE)
    return f"read {len(item):,} bytes; child exited: {not child.is_alive()}"


def main() -> None:
    context = multiprocessing.get_context("spawn")
    for size in (1_000, 1_000_000):
        print(f"{size:>9,} bytes, join then read: {join_then_read(size, context)}")
        print(f"{size:>9,} bytes, read then join: {read_then_join(size, context)}")
    print("\nA small item fits in the pipe, so the mistake hides until the data grows.")
    print("Drain a Queue before joining the processes that write to it.")


if __name__ == "__main__":
    main()

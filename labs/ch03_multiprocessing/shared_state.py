"""Sharing state between processes: a Value with and without its lock, a shared block.

Run: python -m labs.ch03_multiprocessing.shared_state

Processes share nothing unless asked to. `multiprocessing.Value` puts a number
in memory every child maps; `value.value += 1` is still a read and a write, and
two processes on two cores interleave them freely (each has its own GIL), so
updates are lost unless both hold `value.get_lock()`. A `shared_memory` block
is raw bytes opened by name: the child changes them in place, and the block
stays in /dev/shm until it is unlinked. Notice how many updates each run keeps.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.shared_memory import SharedMemory


def bump(counter, times: int, locked: bool) -> None:
    """Runs in each child: add 1 to the shared counter `times` times."""
    for _ in range(times):
        if locked:
            with counter.get_lock():
                counter.value += 1
        else:
            counter.value += 1


def shared_count(locked: bool, processes=2, times=20_000, context=None) -> int:
    """The final count after `processes` children each bump it `times` times."""
    context = context or multiprocessing.get_context("forkserver")
    counter = context.Value("i", 0)
    children = [
        context.Process(target=bump, args=(counter, times, locked))
        for _ in range(processes)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join()
    return counter.value


def shout(name: str) -> None:
    """Runs in the child: open the block by name, upper-case its letters in place."""
    block = SharedMemory(name=name)
    try:
        block.buf[:] = bytes(block.buf).upper()
    finally:
        block.close()  # this process's mapping; the block itself lives on


def shout_through_shared_memory(text: str, context=None) -> str:
    """Hand `text` to a child through a shared block; return what the child left."""
    context = context or multiprocessing.get_context("forkserver")
    data = text.encode("ascii")
    block = SharedMemory(create=True, size=len(data))
    try:
        block.buf[:] = data
        # Only the name travels to the child, not the bytes.
        child = context.Process(target=shout, args=(block.name,))
        child.start()
        child.join()
        return bytes(block.buf).decode("ascii")
    finally:
        block.close()
        block.unlink()  # without this, the block outlives every process


def main() -> None:
    expected = 2 * 20_000
    for locked in (False, True):
        got = shared_count(locked)
        how = "with get_lock()" if locked else "without a lock"
        lost = expected - got
        print(f"2 x 20,000 adds {how:<16}: {got:>6,} of {expected:,} ({lost:,} lost)")
    print("shared block after the child:", shout_through_shared_memory("not copied"))
    print("\nEach process has its own GIL: only the lock makes `value += 1` whole.")


if __name__ == "__main__":
    main()

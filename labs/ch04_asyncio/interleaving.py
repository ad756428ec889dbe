"""Lab: many things in progress on one thread; tasks take turns at their awaits.

- 10,000 simulated downloads (each an `await asyncio.sleep`) all wait at the
  same time: the whole batch takes about as long as one download, on one
  thread, with no lock anywhere.
- A task runs until its next `await`, then the loop runs another one. Between
  two awaits nothing else can happen: that is what makes the code easy to
  reason about, and what a blocking call ruins (see labs.ch04_asyncio.blocked_loop).
- A few tasks record on a course.tracing.Timeline when they ran (short steps
  of work) and when they waited (the awaits); the book draws it.

Run: python -m labs.ch04_asyncio.interleaving
"""

from __future__ import annotations

import asyncio
import threading
import time

from course.tracing import Timeline, now


async def download(number: int, seconds: float) -> int:
    """A simulated download: waiting, not working. Returns the bytes 'received'."""
    await asyncio.sleep(seconds)
    return 1000 + number % 7


async def many_downloads(count: int = 10_000, seconds: float = 0.2) -> tuple[int, float, set[str]]:
    """Start `count` downloads at once; (bytes received, seconds taken, threads that ran them)."""
    threads: set[str] = set()

    async def one(number: int) -> int:
        threads.add(threading.current_thread().name)
        return await download(number, seconds)

    started = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(one(n)) for n in range(count)]
    return sum(task.result() for task in tasks), time.perf_counter() - started, threads


def busy(seconds: float) -> None:
    """A short step of real work between two awaits (parsing a reply, say)."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


async def traced_worker(
    name: str, steps: int, timeline: Timeline, wait: float, work: float
) -> None:
    """Alternate a step of work with an await; record both on the timeline."""
    for _ in range(steps):
        start = now()
        busy(work)
        timeline.add(name, "running", start, now())
        start = now()
        await asyncio.sleep(wait)
        timeline.add(name, "waiting (await)", start, now())


async def interleaving(tasks: int = 4, steps: int = 3, wait: float = 0.03, work: float = 0.006) -> Timeline:
    """A few tasks doing work and awaiting in turn, on one thread: their timeline."""
    timeline = Timeline()
    async with asyncio.TaskGroup() as group:
        for n in range(tasks):
            group.create_task(traced_worker(f"task {n}", steps, timeline, wait, work))
    return timeline


def main() -> None:
    received, took, threads = asyncio.run(many_downloads())
    print(f"10,000 downloads of 0.2 s each took {took:.2f} s in all, on {len(threads)} thread(s): {sorted(threads)}")
    print(f"  ({received:,} bytes 'received'; one after another they would take 2,000 s)")
    timeline = asyncio.run(interleaving())
    running = sorted((s.start, s.end) for s in timeline.spans if s.label == "running")
    overlaps = sum(1 for (_, end), (start, _) in zip(running, running[1:]) if start < end - 1e-6)
    print(f"{len(running)} steps of work by 4 tasks; steps that overlapped another: {overlaps}")
    print("Notice: waits overlap freely, work never does; one thread runs one step at a time.")


if __name__ == "__main__":
    main()

"""Lab: a blocked event loop, measured, found and fixed.

- A heartbeat task wants to run every 20 ms and records how late it woke up:
  that lateness is the loop's lag, what every other task suffers too.
- A coroutine that calls time.sleep (or computes for long) holds the only
  thread: the heartbeat's lag jumps to the full length of the call.
- The same call through `await asyncio.to_thread(...)` runs in a worker
  thread; the loop stays responsive.
- course.testing.run_async, which the graded tests use, watches the loop from
  a second thread and names the coroutine that blocked it, and the line.

Run: python -m labs.ch04_asyncio.blocked_loop
"""

from __future__ import annotations

import asyncio
import time

from course.testing import EventLoopBlocked, run_async

TICK = 0.02


def slow_query(seconds: float) -> str:
    """A blocking call: think of a database driver that is not async."""
    time.sleep(seconds)
    return "rows"


async def handler_blocking(seconds: float) -> str:
    return slow_query(seconds)  # the mistake: a blocking call on the loop's thread


async def handler_in_thread(seconds: float) -> str:
    return await asyncio.to_thread(slow_query, seconds)  # the loop runs on meanwhile


async def heartbeat(lags: list[tuple[float, float]], stop: asyncio.Event) -> None:
    """Wake every TICK seconds and record (when, how late) on the loop's clock."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while not stop.is_set():
        due = loop.time() + TICK
        await asyncio.sleep(TICK)
        lags.append((loop.time() - start, loop.time() - due))


async def measure(handler, seconds: float = 0.3) -> list[tuple[float, float]]:
    """Run the heartbeat while `handler` is called twice; return its (time, lag) samples."""
    lags: list[tuple[float, float]] = []
    stop = asyncio.Event()
    beat = asyncio.create_task(heartbeat(lags, stop))
    await asyncio.sleep(0.1)
    for _ in range(2):
        await handler(seconds)
        await asyncio.sleep(0.1)
    stop.set()
    await beat
    return lags


def main() -> None:
    for handler in (handler_blocking, handler_in_thread):
        lags = asyncio.run(measure(handler))
        worst = max(lag for _, lag in lags)
        print(f"{handler.__name__:<18} worst heartbeat lag {worst * 1000:6.1f} ms over {len(lags)} beats")
    try:
        run_async(lambda: handler_blocking(0.3), max_lag=0.1)
    except EventLoopBlocked as blocked:
        print("\nWhat the course's loop watchdog reports (as `course check` shows it):")
        print(str(blocked))
    print("\nNotice: the blocking handler delays everything by its full 0.3 s; in a thread it costs the loop nothing.")


if __name__ == "__main__":
    main()

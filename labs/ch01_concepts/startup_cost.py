"""What does it cost to start a thread, a process, a coroutine?

Each is started many times doing nothing, so what we time is the cost of
starting and finishing one: a process is a whole new interpreter (spawn starts
one from scratch, fork copies the parent, forkserver forks a small server
that was started once); a thread shares the interpreter and needs a stack; a
coroutine task is a Python object on an event loop.

Memory is read from the resident set size (RSS, Linux /proc) while many of
them are alive and waiting: a thread costs the pages of stack it touched, a
child process its own interpreter's pages, a coroutine a few hundred bytes.

Run it:  python -m labs.ch01_concepts.startup_cost
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
import time


def nothing() -> None:
    """The work: none. Module-level so a spawned process can import it."""


def rss_kib() -> int | None:
    """This process's resident memory in KiB (Linux), or None elsewhere."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def report_rss(conn) -> None:
    """Run in a child process: send back its own RSS."""
    conn.send(rss_kib())
    conn.close()


def thread_start_cost(count: int = 200) -> float:
    """Seconds to start and join one thread (the mean over `count`)."""
    start = time.perf_counter()
    for _ in range(count):
        thread = threading.Thread(target=nothing)
        thread.start()
        thread.join()
    return (time.perf_counter() - start) / count


def process_start_cost(method: str, count: int = 8) -> float:
    """Seconds to start and join one process with start method `method`."""
    context = multiprocessing.get_context(method)
    warm = context.Process(
        target=nothing
    )  # forkserver: start the server itself before timing
    warm.start()
    warm.join()
    start = time.perf_counter()
    for _ in range(count):
        process = context.Process(target=nothing)
        process.start()
        process.join()
    return (time.perf_counter() - start) / count


async def coroutine_start_cost_async(count: int = 10_000) -> float:
    """Seconds to create, run and finish one asyncio task (await it in a running loop)."""

    async def idle() -> None:
        pass

    start = time.perf_counter()
    await asyncio.gather(*(asyncio.create_task(idle()) for _ in range(count)))
    return (time.perf_counter() - start) / count


def coroutine_start_cost(count: int = 10_000) -> float:
    return asyncio.run(coroutine_start_cost_async(count))


def thread_memory_kib(count: int = 100) -> float | None:
    """Extra RSS per thread while `count` threads wait on an Event."""
    before = rss_kib()
    if before is None:
        return None
    release = threading.Event()
    threads = [threading.Thread(target=release.wait) for _ in range(count)]
    for thread in threads:
        thread.start()
    during = rss_kib()
    release.set()
    for thread in threads:
        thread.join()
    return (during - before) / count


async def coroutine_memory_kib_async(count: int = 10_000) -> float | None:
    """Extra RSS per task while `count` tasks wait on an asyncio.Event."""
    before = rss_kib()
    if before is None:
        return None
    release = asyncio.Event()
    tasks = [asyncio.create_task(release.wait()) for _ in range(count)]
    await asyncio.sleep(0)  # let every task start and block
    during = rss_kib()
    release.set()
    await asyncio.gather(*tasks)
    return (during - before) / count


def process_memory_kib(method: str = "spawn") -> int | None:
    """RSS of a fresh child process started with `method` (its own interpreter)."""
    context = multiprocessing.get_context(method)
    parent_end, child_end = context.Pipe(duplex=False)
    child = context.Process(target=report_rss, args=(child_end,))
    child.start()
    child_end.close()
    try:
        return parent_end.recv() if parent_end.poll(10) else None
    finally:
        child.join()


async def measure_all_async() -> dict[str, dict[str, float | None]]:
    """Start-up time (microseconds) and memory (KiB) per coroutine, thread and process.

    A coroutine, so it runs inside an event loop that is already running
    (a notebook: `await measure_all_async()`); `measure_all()` runs it from plain code.
    """
    rows: dict[str, dict[str, float | None]] = {
        "coroutine (asyncio task)": {
            "start_us": await coroutine_start_cost_async() * 1e6,
            "memory_kib": await coroutine_memory_kib_async(),
        },
        "thread": {
            "start_us": thread_start_cost() * 1e6,
            "memory_kib": thread_memory_kib(),
        },
    }
    for method in ("fork", "forkserver", "spawn"):
        rows[f"process ({method})"] = {
            "start_us": process_start_cost(method) * 1e6,
            "memory_kib": process_memory_kib(method),
        }
    return rows


def measure_all() -> dict[str, dict[str, float | None]]:
    return asyncio.run(measure_all_async())


def print_table(rows) -> None:
    print(f"{'':<26}{'start + finish':>16}{'memory':>14}")
    for name, row in rows.items():
        memory = "n/a" if row["memory_kib"] is None else f"{row['memory_kib']:,.1f} KiB"
        print(f"{name:<26}{row['start_us']:>13,.0f} us{memory:>14}")
    coroutine, thread = (
        rows["coroutine (asyncio task)"]["start_us"],
        rows["thread"]["start_us"],
    )
    fork, spawn = (
        rows["process (fork)"]["start_us"],
        rows["process (spawn)"]["start_us"],
    )
    print(
        f"\nHere a thread cost {thread / coroutine:.0f}x a coroutine to start, "
        f"a process {fork / thread:.0f}x (fork) to {spawn / thread:.0f}x (spawn) a thread."
    )


def main() -> None:
    print_table(measure_all())
    print(
        "\nWhat to notice:\n"
        "- each step from coroutine to thread to process costs one or more orders of magnitude:\n"
        "  10,000 waiting coroutines are nothing, 10,000 threads are heavy, 10,000 processes a crisis;\n"
        "- spawn is the slowest start (a new interpreter imports everything again); fork is fast because\n"
        "  it copies the parent, which is also why it can copy a held lock or a half-started thread;\n"
        "- memory: a child's RSS counts pages it shares with its parent after fork (copy-on-write),\n"
        "  so fork children cost less than the number suggests and spawn children about what it says;\n"
        "- what they share: threads share all memory (hence races), processes share nothing unless\n"
        "  you ask (pipes, queues, shared memory), coroutines share memory but switch only at await."
    )


if __name__ == "__main__":
    main()

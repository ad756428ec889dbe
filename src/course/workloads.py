"""Importable work for the capstone's distributed map, and probes that prove what happened.

Every function here lives at module level in an installed package, so every
backend can run it: a process started by spawn or forkserver, a Pyro worker
and a Celery worker all import it by name (`course.workloads.spin`). Items and
results are plain data (numbers, strings, lists) for the same reason: they
cross process and machine boundaries as JSON or serpent, never as pickles.

The probes never time anything. They leave files behind that say what
happened (how many workers were inside at once, which PIDs, which items
crashed), because a speedup measured on a loaded 2-core machine proves nothing
and a file written by the worker itself cannot lie.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

POLL = 0.005


def spin(n: int) -> int:
    """CPU-bound: a pure-Python loop of `n` steps; holds the GIL throughout.

    Returns a deterministic checksum of the loop so a test can compare results.
    """
    total = 0
    for i in range(n):
        total = (total + i * i) % 1_000_003
    return total


def square(x):
    """The tiniest work: messaging cost dominates, so chunking matters."""
    return x * x


def io_wait(seconds: float) -> float:
    """Simulated I/O: sleeps (releasing the GIL) and returns `seconds`."""
    time.sleep(seconds)
    return seconds


async def async_wait(seconds: float) -> float:
    """Simulated I/O as a coroutine, for the asyncio backend: awaits, never blocks the loop."""
    await asyncio.sleep(seconds)
    return seconds


def fail_on(item):
    """`item = [x, bad]`: returns x * x, but raises ValueError for x == bad.

    The message names the item, so a test can check that the caller got the
    right type, the right message and the index of the failing item.
    """
    x, bad = item
    if x == bad:
        raise ValueError(f"refusing item {x}")
    return x * x


def crash_once(item):
    """`item = [x, marker_dir]`: the first process to see `x` dies; later ones return x * x.

    The marker file `marker_dir/crashed-<x>` is created with O_CREAT|O_EXCL
    before the crash, so exactly one process in the whole cluster dies for
    each x, whichever machine or start method it runs on. A test can
    pre-create markers for the items that should not crash. The death is
    `os._exit(1)`: no exception, no cleanup, no reply - what a segfault or the
    OOM killer looks like from the caller's side.
    """
    x, marker_dir = item
    path = os.path.join(marker_dir, f"crashed-{x}")
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return x * x
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    os._exit(1)


def mark_survivors(marker_dir: str | os.PathLike, xs) -> None:
    """Pre-create crash markers so `crash_once` does not crash for these xs."""
    for x in xs:
        Path(marker_dir, f"crashed-{x}").write_text("spared")


def crashed(marker_dir: str | os.PathLike) -> dict[int, int]:
    """Which items really killed a process: {x: pid of the process that died}."""
    found = {}
    for path in Path(marker_dir).glob("crashed-*"):
        text = path.read_text()
        if text.isdigit():
            found[int(path.name.split("-", 1)[1])] = int(text)
    return found


def die(x):
    """Kills its process every time: a poison item that no retry can save."""
    os._exit(1)


def die_counted(item):
    """`item = [x, marker_dir]`: notes the attempt in `marker_dir`, then kills its process.

    A poison item that leaves a trace of every attempt, so a test can check
    that `retries=2` means exactly three runs, not four.
    """
    x, marker_dir = item
    Path(marker_dir, f"attempt-{x}-{os.getpid()}-{time.monotonic_ns()}").touch()
    os._exit(1)


def attempts(marker_dir: str | os.PathLike, x) -> int:
    return len(list(Path(marker_dir).glob(f"attempt-{x}-*")))


def started_then_wait(item):
    """`item = [x, marker_dir, seconds]`: notes that x started, waits, notes that it finished.

    Lets a test see which items began, or ran on to their end, after the
    caller stopped the map.
    """
    x, marker_dir, seconds = item
    Path(marker_dir, f"started-{x}").touch()
    time.sleep(seconds)
    Path(marker_dir, f"finished-{x}").touch()
    return x


def started(marker_dir: str | os.PathLike) -> int:
    return len(list(Path(marker_dir).glob("started-*")))


def finished(marker_dir: str | os.PathLike) -> int:
    return len(list(Path(marker_dir).glob("finished-*")))


def overlap_probe(item):
    """`item = [x, probe_dir, wanted, timeout]`: proves parallelism across processes.

    Creates `probe_dir/inside-<x>-<pid>`, then polls (with a deadline of
    `timeout` seconds) until `wanted` such files exist at once; records the
    largest count it saw and its PID in `probe_dir/report-<x>`, removes its
    file and returns x. A serial map never gets past a count of 1, whatever
    the clock says; a parallel one reaches `wanted` at once and moves on.
    The first probe to see `wanted` leaves `probe_dir/reached`, which releases
    the others (one may have missed the moment: the probes that saw it leave).
    """
    x, probe_dir, wanted, timeout = item
    mine = Path(probe_dir, f"inside-{x}-{os.getpid()}")
    reached = Path(probe_dir, "reached")
    mine.touch()
    seen = 0
    deadline = time.monotonic() + timeout
    try:
        while True:
            seen = max(seen, sum(1 for _ in Path(probe_dir).glob("inside-*")))
            if seen >= wanted:
                reached.touch()
                break
            if reached.exists() or time.monotonic() >= deadline:
                break
            time.sleep(POLL)
    finally:
        mine.unlink()
    Path(probe_dir, f"report-{x}").write_text(f"{os.getpid()} {seen}")
    return x


def overlap_report(probe_dir: str | os.PathLike) -> tuple[int, set[int]]:
    """(largest number of probes seen inside at once, PIDs that ran a probe)."""
    best, pids = 0, set()
    for path in Path(probe_dir).glob("report-*"):
        pid, seen = path.read_text().split()
        best = max(best, int(seen))
        pids.add(int(pid))
    return best, pids


def gate(item):
    """`item = [x, gate_dir, after]`: finishes only once every item in `after` has finished.

    Waits (polling, deadline 5 s) for `gate_dir/done-<y>` for each y in
    `after`, then writes `done-<x>` and returns x. With `after` naming later
    items, the completion order is forced to differ from the input order, so
    an ordered map that yields as results complete is caught every time.
    """
    x, gate_dir, after = item
    deadline = time.monotonic() + 5.0
    waiting = [Path(gate_dir, f"done-{y}") for y in after]
    while not all(p.exists() for p in waiting) and time.monotonic() < deadline:
        time.sleep(POLL)
    Path(gate_dir, f"done-{x}").touch()
    return x

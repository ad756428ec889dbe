"""The same work under a loop, threads and processes: who runs when?

Two workloads, four tasks each:
- CPU-bound: a pure-Python loop (`spin`) that holds the GIL the whole time;
- I/O-bound: a wait (`wait`, standing for a network or disk call) that releases it.

Each runs serially, in 2 threads and in 2 processes, and every task records
when it started and ended, and where (process id, thread name). The timelines
show it: CPU-bound threads take turns (the GIL), CPU-bound processes really
overlap (two cores), and for waiting, threads overlap just as well as processes
at a fraction of the cost.

Run it:  python -m labs.ch01_concepts.threads_vs_processes [--plot FILE]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from course.tracing import Sampler, Timeline, plot_timeline

TASKS = 4
WORKERS = 2
TASK_SECONDS = 0.15  # roughly how long one task takes on its own


def spin(steps: int, sampler: Sampler | None = None) -> int:
    """CPU-bound: a pure-Python loop; holds the GIL throughout.

    With a sampler, it ticks every 1,000 steps (tens of microseconds), so the
    timeline shows when this loop really ran, not only when it started and ended.
    """
    total = 0
    for i in range(steps):
        total = (total + i * i) % 1_000_003
        if sampler is not None and i % 1000 == 0:
            sampler.tick()
    return total


def wait(seconds: float) -> float:
    """I/O-bound: sleeps, which releases the GIL, like a socket read would."""
    time.sleep(seconds)
    return seconds


def calibrate(seconds: float = TASK_SECONDS) -> int:
    """How many `spin` steps take about `seconds` here (median of 3 short runs)."""
    probe = 100_000
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        spin(probe)
        runs.append(time.perf_counter() - start)
    return max(1, int(probe * seconds / sorted(runs)[1]))


def traced(job: tuple[str, object]) -> tuple[str, str, list[tuple[float, float]]]:
    """Run one task; return where it ran, its kind, and the slices of time it ran in.

    Module-level, so a process started by spawn or forkserver can import it. A wait
    is one slice (it needs no CPU, so sampling it would show nothing).
    """
    kind, arg = job
    sampler = Sampler()
    sampler.tick()
    if kind == "cpu":
        spin(arg, sampler)
    else:
        wait(arg)
    sampler.tick()
    slices = (
        sampler.slices() if kind == "cpu" else [(sampler.times[0], sampler.times[-1])]
    )
    where = f"{os.getpid()}/{threading.current_thread().name}"
    return where, kind, slices


def lane_names(places: list[str], how: str) -> dict[str, str]:
    """Short lane names, in order of first appearance: 'thread 1', 'process 2'..."""
    noun = {"serial": "main thread", "threads": "thread", "processes": "process"}[how]
    unique = list(dict.fromkeys(places))
    if how == "serial":
        return {place: noun for place in unique}
    return {place: f"{noun} {number}" for number, place in enumerate(unique, 1)}


def run(
    kind: str,
    how: str,
    *,
    arg,
    tasks: int = TASKS,
    workers: int = WORKERS,
    mp_context=None,
) -> tuple[Timeline, float]:
    """Run `tasks` tasks of `kind` ('cpu', 'io') `how` (serial, threads, processes).

    Returns the timeline of the tasks and the wall time of the whole run
    (for processes it includes starting them: that is part of the price).
    """
    jobs = [(kind, arg)] * tasks
    timeline = Timeline()
    start = time.perf_counter()
    if how == "serial":
        spans = [traced(job) for job in jobs]
    elif how == "threads":
        with ThreadPoolExecutor(max_workers=workers) as pool:
            spans = list(pool.map(traced, jobs))
    elif how == "processes":
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp_context) as pool:
            spans = list(pool.map(traced, jobs))
    else:
        raise ValueError(f"how must be serial, threads or processes, not {how!r}")
    elapsed = time.perf_counter() - start
    names = lane_names([where for where, _, _ in spans], how)
    for where, label, slices in spans:
        timeline.extend((names[where], label, begin, end) for begin, end in slices)
    return timeline, elapsed


def run_all(
    steps: int | None = None, seconds: float = TASK_SECONDS
) -> dict[tuple[str, str], tuple[Timeline, float]]:
    """Every (kind, how) pair once: the data behind the table and the figure."""
    steps = steps or calibrate(seconds)
    results = {}
    for kind, arg in (("cpu", steps), ("io", seconds)):
        for how in ("serial", "threads", "processes"):
            results[kind, how] = run(kind, how, arg=arg)
    return results


def plot(results, path=None):
    import matplotlib

    if path:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 2, figsize=(7, 6.5), sharex=True)
    # One time axis for all six panels: the slowest run sets it.
    longest = max(
        max(span.end for span in timeline.spans) for timeline, _ in results.values()
    )
    for col, kind in enumerate(("cpu", "io")):
        for row, how in enumerate(("serial", "threads", "processes")):
            timeline, elapsed = results[kind, how]
            title = f"{'CPU-bound' if kind == 'cpu' else 'I/O-bound'}, {how}: {elapsed:.2f} s"
            plot_timeline(
                timeline,
                ax=axes[row][col],
                title=title,
                legend=False,
                xmax=longest * 1.02,
                order=sorted(timeline.lanes),
            )
            if row < 2:
                axes[row][col].set_xlabel("")
    fig.tight_layout()
    if path:
        fig.savefig(path, dpi=100)
    return fig


def print_table(results) -> None:
    print(
        f"{TASKS} tasks of about {TASK_SECONDS} s each, {WORKERS} workers, {os.cpu_count()} CPUs\n"
    )
    print(
        f"{'work':<6}{'how':<11}{'wall time':>10}{'speedup':>9}{'most running at once':>22}"
    )
    for kind in ("cpu", "io"):
        serial = results[kind, "serial"][1]
        for how in ("serial", "threads", "processes"):
            timeline, elapsed = results[kind, how]
            print(
                f"{kind:<6}{how:<11}{elapsed:>9.2f}s{serial / elapsed:>8.2f}x{timeline.max_overlap():>22}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--plot", metavar="FILE", help="save the timelines to FILE (png, svg, pdf)"
    )
    args = parser.parse_args()

    results = run_all()
    print_table(results)
    print(
        "\nWhat to notice:\n"
        "- CPU-bound threads: both are started, but 'most running at once' stays 1 and the wall time\n"
        "  is no better than serial: the GIL lets one of them compute at a time.\n"
        "- CPU-bound processes: two interpreters, two GILs, two cores: close to 2x, minus start-up.\n"
        "- I/O-bound: a waiting thread releases the GIL, so threads overlap as well as processes do,\n"
        "  without starting new interpreters."
    )
    if args.plot:
        plot(results, args.plot)
        print(f"\ntimelines saved to {args.plot}")


if __name__ == "__main__":
    main()

"""A map-reduce as a chord, MapReduce-lab style: map tasks in parallel, one reduce, atomic output.

Run: python -m labs.ch06_celery.chord_mapreduce

Eight "log files" are summarised by eight map tasks (the longest line of
each) on a worker with `--concurrency` threads; a chord calls the reduce
task once every map task has stored its result, and the reduce writes the
answer with write-then-rename, so a reader never sees half a file. The run is
repeated with 1, 2 and 4 worker threads. Notice the map tasks overlapping in
the timeline, and the throughput growing with the number of threads (the
"work" here waits, like I/O, so threads overlap despite the GIL).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from pathlib import Path

from celery import chord

from course.testing.celery import isolated_app, running_worker
from course.tracing import Timeline, now

FILES = [f"log-{n}" for n in range(8)]
WORK_SECONDS = 0.1  # each map task "reads its file" for this long


def write_atomically(path: Path, data: dict) -> None:
    """Write a temporary file next to `path`, then rename it over `path` (atomic)."""
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, delete=False, suffix=".tmp"
    ) as handle:
        json.dump(data, handle)
    os.replace(handle.name, path)


def make_tasks(app, timeline: Timeline):
    @app.task
    def longest_line(name: str) -> list:
        start = now()
        time.sleep(WORK_SECONDS)  # stands for reading the file
        timeline.add(threading.current_thread().name, "map", start, now())
        return [name, len(name) * 10]

    @app.task
    def reduce_longest(partials: list, output: str) -> str:
        start = now()
        best = max(partials, key=lambda pair: pair[1])
        write_atomically(Path(output), {"longest": best, "files": len(partials)})
        timeline.add(threading.current_thread().name, "reduce", start, now())
        return output

    return longest_line, reduce_longest


def run(threads: int, folder: Path) -> tuple[Timeline, float]:
    """One job on a worker with `threads` threads: its timeline, map tasks per s."""
    timeline = Timeline()
    with isolated_app() as app:
        longest_line, reduce_longest = make_tasks(app, timeline)
        with running_worker(app, concurrency=threads):
            started = time.perf_counter()
            header = [longest_line.s(name) for name in FILES]
            job = chord(header, reduce_longest.s(str(folder / "out.json")))
            output = job.apply_async().get(timeout=30, interval=0.01)
            seconds = time.perf_counter() - started
    assert json.loads(Path(output).read_text())["files"] == len(FILES)
    return timeline, len(FILES) / seconds


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        for threads in (1, 2, 4):
            timeline, rate = run(threads, Path(folder))
            print(f"{threads} worker thread(s): {rate:5.1f} map tasks/s, at most "
                  f"{timeline.max_overlap()} tasks at once, lanes {', '.join(timeline.lanes)}")
        print("output:", (Path(folder) / "out.json").read_text())
    print("\nNotice: more threads, more map tasks at once; the reduce runs once, after all of them.")


if __name__ == "__main__":
    main()

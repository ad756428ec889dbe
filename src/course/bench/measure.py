"""Running the benchmark: workloads, runners (serial loop, Pool.map, dmap on a backend), timed rounds."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import random
import statistics
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from course.bench.config import POOL, SERIAL, VARIANTS, Config
from course.capstone import open_backend

Call = Callable[[list], list]


def calibrate_spin(seconds: float = 0.15, *, budget: float = 0.6) -> tuple[int, float]:
    """The `spin` loop count that takes about `seconds` here, and iterations per second.

    Doubles n until one call takes a measurable time, then scales linearly
    (spin is a plain loop, so its cost is proportional to n); the rate is the
    best of three timings, the least disturbed by other load.
    """
    from course.workloads import spin

    n = 10_000
    while True:
        elapsed, _ = time_call(lambda: spin(n))
        if elapsed >= budget / 10:
            break
        n *= 2
    best = min([elapsed] + [time_call(lambda: spin(n))[0] for _ in range(2)])
    rate = n / best
    return max(1, int(rate * seconds)), rate


def traced_spin(n: int) -> list:
    """`spin(n)` that also says who ran it and when: (result, pid, start, end).

    `time.perf_counter` is CLOCK_MONOTONIC on Linux, shared by every process on
    the machine, so spans from different workers line up on one timeline
    (course.tracing). Importable by name, so every backend can run it.
    """
    from course.workloads import spin

    start = time.perf_counter()
    result = spin(n)
    return [result, os.getpid(), start, time.perf_counter()]


@dataclass
class Workload:
    name: str
    fn: Callable[[Any], Any]
    items: list
    warmup_items: list
    description: str
    variants: dict = field(default_factory=dict)  # backend -> the same work written for it

    def fn_for(self, backend: str) -> Callable[[Any], Any]:
        return self.variants.get(backend, self.fn)


def make_workloads(config: Config, spin_rate: float) -> dict[str, Workload]:
    from course.workloads import async_wait, io_wait, spin, square

    workloads: dict[str, Workload] = {}
    if "cpu" in config.workloads:
        k = config.cpu_tasks
        lengths = [config.task_seconds * (2 / 3 + (2 / 3) * i / max(1, k - 1)) for i in range(k)]
        random.Random(7).shuffle(lengths)  # no sorted tail of long tasks
        workloads["cpu"] = Workload(
            "cpu", spin, [max(1, int(spin_rate * t)) for t in lengths], [max(1, int(spin_rate * 0.005))] * (2 * config.workers),
            f"{k} spin tasks of {min(lengths):.2f} to {max(lengths):.2f} s ({sum(lengths):.1f} s of work)",
        )
    if "tiny" in config.workloads:
        workloads["tiny"] = Workload(
            "tiny", square, list(range(config.tiny_items)), list(range(1000)),
            f"{config.tiny_items:,} square() calls of well under a microsecond",
        )
    if "io" in config.workloads:
        workloads["io"] = Workload(
            "io", io_wait, [config.io_seconds] * config.io_tasks, [0.001] * (2 * config.workers),
            f"{config.io_tasks} io_wait({config.io_seconds}) calls ({config.io_tasks * config.io_seconds:.1f} s of waiting)",
            variants={"asyncio": async_wait},  # the same wait as a coroutine: what asyncio is for
        )
    return workloads


def import_dmap(against: str = "solutions"):
    """The capstone's `dmap` from a tree (the reference by default), loaded by path via the catalogue.

    The installed toolkit never imports the `solutions` package: the trees
    live next to course.toml, found the way the grader finds them.
    """
    from course import catalogue

    loaded = catalogue.load()
    return loaded.import_module(loaded.exercise("dmap"), against).dmap


@contextlib.contextmanager
def open_pool(workers: int) -> Iterator[Any]:
    """A started multiprocessing.Pool, closed and joined (not leaked) afterwards."""
    pool = multiprocessing.Pool(workers)
    try:
        pool.map(abs, range(workers * 4), chunksize=1)  # every worker up and importing
        yield pool
    finally:
        pool.close()
        pool.join()


def pool_chunksize(n_items: int, workers: int) -> int:
    """What Pool.map chooses by default: about four chunks per worker."""
    chunksize, extra = divmod(n_items, workers * 4)
    return chunksize + bool(extra) or 1


def time_call(call: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


@dataclass
class Measurement:
    """One workload on one runner at one worker count: its raw times, or why it has none."""

    workload: str
    runner: str
    workers: int
    times: list[float] = field(default_factory=list)
    error: str | None = None
    traceback: str | None = None
    chunksize: int | None = None  # Pool.map's
    warmup_seconds: float | None = None

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times and not self.error else None

    def fail(self, error: BaseException | str) -> None:
        self.error = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        if not isinstance(error, str):
            self.traceback = traceback.format_exc()


@dataclass
class Startup:
    runner: str
    workers: int
    seconds: float | None = None
    description: str | None = None
    error: str | None = None
    traceback: str | None = None


def start_runner(runner: str, workers: int, stack: contextlib.ExitStack, against: str) -> Callable[[Workload], Call]:
    """Start `runner` (its pool or cluster closes with `stack`); returns how it runs a workload's items."""
    if runner == SERIAL:
        return lambda workload: (lambda items: [workload.fn(x) for x in items])
    if runner == POOL:
        pool = stack.enter_context(open_pool(workers))
        return lambda workload: (lambda items: pool.map(workload.fn, items, chunksize=pool_chunksize(len(workload.items), workers)))
    name, options = VARIANTS.get(runner, (runner, {}))
    backend = stack.enter_context(open_backend(name, workers, **options))
    dmap = import_dmap(against)
    calls = lambda workload: (lambda items: dmap(workload.fn_for(runner), items, backend=backend, workers=workers))  # noqa: E731
    calls.description = backend.description
    return calls


class Block:
    """Every measurement at one worker count: start the runners, warm each up, then timed rounds.

    The timed runs go in rounds: each round runs every runner once, in a
    rotated order, so a change in the machine's load (another program
    starting) hits every runner alike instead of whichever happened to be
    measured at that moment; the median of the rounds is each runner's time.
    """

    def __init__(self, config: Config, workers: int, jobs: list[tuple[str, str]], workloads: dict[str, Workload], progress):
        self.config, self.workers, self.workloads, self.progress = config, workers, workloads, progress
        self.measurements = {job: Measurement(job[0], job[1], workers) for job in jobs}
        self.calls: dict[tuple[str, str], Call] = {}
        self.startups: list[Startup] = []

    def run(self, expected: dict[str, list]) -> None:
        with contextlib.ExitStack() as stack:
            runners = self._start(stack)
            for (name, runner), measurement in self.measurements.items():
                if runner in runners:
                    self._warm_up(measurement, runners[runner](self.workloads[name]))
                else:
                    measurement.fail(next(s.error for s in self.startups if s.runner == runner))
                    self.progress.advance(self.config.repeats + 1)
            for round_number in range(self.config.repeats):
                self._round(round_number, expected)
            self.progress.describe(f"stopping the x{self.workers} runners")

    def _start(self, stack: contextlib.ExitStack) -> dict[str, Callable[[Workload], Call]]:
        runners = {}
        for runner in dict.fromkeys(r for _, r in self.measurements):
            self.progress.describe(f"starting {runner} x{self.workers}")
            startup = Startup(runner, self.workers)
            try:
                seconds, runners[runner] = time_call(lambda: start_runner(runner, self.workers, stack, self.config.against))
            except Exception as error:
                startup.error, startup.traceback = f"{type(error).__name__}: {error}", traceback.format_exc()
            else:
                startup.seconds = seconds
                startup.description = getattr(runners[runner], "description", runner)
            if runner != SERIAL:
                self.startups.append(startup)
        return runners

    def _warm_up(self, measurement: Measurement, call: Call) -> None:
        """One untimed small run: workers up, code imported, connections open."""
        self.progress.describe(f"warm-up {measurement.workload}: {measurement.runner} x{self.workers}")
        if measurement.runner == POOL:
            measurement.chunksize = pool_chunksize(len(self.workloads[measurement.workload].items), self.workers)
        try:
            measurement.warmup_seconds, _ = time_call(lambda: call(self.workloads[measurement.workload].warmup_items))
        except Exception as error:
            measurement.fail(error)
            self.progress.advance(self.config.repeats + 1)
            return
        self.calls[(measurement.workload, measurement.runner)] = call
        self.progress.advance()

    def _round(self, round_number: int, expected: dict[str, list]) -> None:
        for name in dict.fromkeys(w for w, _ in self.measurements):
            order = [r for w, r in self.measurements if w == name and (w, r) in self.calls]
            shift = round_number % max(1, len(order))
            for runner in order[shift:] + order[:shift]:
                self.progress.describe(f"{name}: {runner} x{self.workers} (round {round_number + 1})")
                self._timed(self.measurements[(name, runner)], round_number, expected)

    def _timed(self, measurement: Measurement, round_number: int, expected: dict[str, list]) -> None:
        key = (measurement.workload, measurement.runner)
        left = self.config.repeats - round_number  # this round included
        try:
            elapsed, result = time_call(lambda: self.calls[key](self.workloads[measurement.workload].items))
        except Exception as error:
            measurement.fail(error)
        else:
            measurement.times.append(elapsed)
            if measurement.runner == SERIAL:
                expected.setdefault(measurement.workload, result)
            if result == expected.get(measurement.workload, result):
                self.progress.advance()
                return
            measurement.fail("wrong results: they differ from the serial loop's")
        del self.calls[key]
        self.progress.advance(left)


class Progress:
    """rich's progress bar over every warm-up and timed run; `enabled=False` shows nothing."""

    def __init__(self, total: int, console=None, enabled: bool = True):
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RichProgress

        self.bar = RichProgress(TextColumn("[bold]{task.description:<40}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), console=console, disable=not enabled)
        self.task = self.bar.add_task("starting", total=total)

    def __enter__(self) -> "Progress":
        self.bar.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.bar.stop()

    def describe(self, text: str) -> None:
        self.bar.update(self.task, description=text)

    def advance(self, steps: int = 1) -> None:
        self.bar.advance(self.task, steps)


def run_benchmark(config: Config, *, console=None, progress: bool = True) -> dict:
    """Measure everything `config` asks for; returns the raw and derived numbers (see analyse)."""
    from course.bench.analyse import derive, loadavg

    config.resolved()
    began = time.perf_counter()
    load_at_start = loadavg()
    n_per_task, spin_rate = calibrate_spin(config.task_seconds)
    workloads = make_workloads(config, spin_rate)
    blocks = config.plan()
    expected: dict[str, list] = {}  # the serial loop's results: the oracle every runner must match
    measurements: list[Measurement] = []
    startups: list[Startup] = []
    total = sum(len(jobs) for jobs in blocks.values()) * (config.repeats + 1)
    with Progress(total, console=console, enabled=progress) as bar:
        for count, jobs in blocks.items():
            block = Block(config, count, jobs, workloads, bar)
            block.run(expected)
            measurements += block.measurements.values()
            startups += block.startups
        bar.describe("done")
    results = derive(config, workloads, measurements, startups, n_per_task, spin_rate, time.perf_counter() - began)
    results["machine"]["loadavg_at_start"] = load_at_start
    return results

"""`course bench`: how fast is the capstone's distributed map, measured honestly.

Every number is measured in the same run, on the same machine, against two
references: a plain serial loop (the baseline every speedup divides) and
`multiprocessing.Pool.map` (what the standard library gives for free). Three
workloads show three different costs:

- ``cpu``: about 20 pure-Python tasks of 0.1 to 0.2 s (`course.workloads.spin`,
  with its loop count calibrated on this machine at start). Threads cannot
  beat the GIL here; processes, Pyro and Celery workers can.
- ``tiny``: 100,000 items that take well under a microsecond (`square`). Only
  chunking makes distribution pay: without it, the per-message cost (tens of
  microseconds per item for a pipe, milliseconds for a broker) swamps the work.
- ``io``: tasks that only wait (`io_wait`). The GIL is released while waiting,
  so threads and asyncio overlap them as well as processes do.

Method: every backend's cluster is started once and warmed up (one untimed
small run) before its timed runs; the reported time is the median of
``--repeats`` runs; speedup = serial median / backend median; efficiency =
speedup / workers. The targets column says what a correct implementation
reaches on a quiet 2-core machine. They are reported, never asserted: timing
claims live here, not in unit tests, which would flake on a loaded machine.

Run it as ``course bench`` or ``python -m course.bench``; ``--quick`` takes
under 3 minutes on 2 cores, the default run a few minutes more.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import json
import math
import multiprocessing
import os
import platform
import random
import socket
import statistics
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

ALL_BACKENDS = ("serial", "threads", "processes", "asyncio", "pyro", "celery")
WORKLOADS = ("cpu", "tiny", "io")
SERIAL = "serial loop"  # the baseline: a list comprehension in this process
POOL = "Pool.map"  # the reference: multiprocessing.Pool.map, default (chunked) chunksize

#: What a correct implementation reaches on a quiet 2-core machine (see module docstring).
TARGETS_TEXT = {
    ("cpu", "processes"): ">= 1.8x serial, within 5% of Pool.map",
    ("tiny", "processes"): "within 2x of chunked Pool.map",
    ("cpu", "pyro"): ">= 1.7x serial",
    ("cpu", "celery"): ">= 1.6x serial (Redis), >= 1.4x (embedded broker)",
    ("cpu", "celery-redis"): ">= 1.6x serial",
    ("cpu", "celery-rabbitmq"): ">= 1.6x serial",
}

#: Extra backend names `course bench --backends` accepts: Celery on this machine's real servers.
REDIS_URL = os.environ.get("COURSE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
AMQP_URL = os.environ.get("COURSE_BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
VARIANTS = {
    "celery-redis": ("celery", {"broker_url": REDIS_URL, "result_backend": REDIS_URL}),
    "celery-rabbitmq": ("celery", {"broker_url": AMQP_URL, "result_backend": REDIS_URL}),
}


# --------------------------------------------------------------------------- configuration


@dataclass
class Config:
    """What to measure. `Config.quick()` and `Config.full()` are the two presets."""

    backends: list[str] = field(default_factory=lambda: list(ALL_BACKENDS))
    workloads: list[str] = field(default_factory=lambda: list(WORKLOADS))
    workers: int = 0  # the headline worker count; 0 = os.cpu_count()
    worker_counts: list[int] = field(default_factory=list)  # the speedup curve (cpu); [] = 1..workers
    repeats: int = 5
    cpu_tasks: int = 20
    task_seconds: float = 0.15  # mean length of one cpu task; tasks span 2/3 to 4/3 of it
    tiny_items: int = 100_000
    io_tasks: int = 40
    io_seconds: float = 0.05

    @classmethod
    def full(cls, **overrides: Any) -> "Config":
        return cls(**overrides).resolved()

    @classmethod
    def quick(cls, **overrides: Any) -> "Config":
        values = dict(repeats=3, cpu_tasks=12, io_tasks=20)
        values.update(overrides)
        config = cls(**values)
        if not config.worker_counts:
            workers = config.workers or default_workers()
            config.worker_counts = sorted({1, workers})
        return config.resolved()

    def resolved(self) -> "Config":
        """Fill in defaults that depend on the machine, and check the values."""
        if not self.workers:
            self.workers = max(self.worker_counts or [default_workers()])
        if not self.worker_counts:
            self.worker_counts = default_worker_counts(self.workers)
        self.worker_counts = sorted(set(self.worker_counts) | {self.workers})
        strange = [b for b in self.backends if b not in ALL_BACKENDS and b not in VARIANTS]
        if strange:
            raise ValueError(f"unknown backend(s) {strange}; choose from {', '.join([*ALL_BACKENDS, *VARIANTS])}")
        unknown = [w for w in self.workloads if w not in WORKLOADS]
        if unknown:
            raise ValueError(f"unknown workload(s) {unknown}; choose from {', '.join(WORKLOADS)}")
        if self.repeats < 1 or min(self.worker_counts) < 1:
            raise ValueError("repeats and worker counts must be at least 1")
        return self


def default_workers() -> int:
    return os.cpu_count() or 1


def default_worker_counts(workers: int) -> list[int]:
    """1..N on a small machine; powers of two up to N (and N) on a big one."""
    if workers <= 4:
        return list(range(1, workers + 1))
    counts = {1, workers}
    power = 2
    while power < workers:
        counts.add(power)
        power *= 2
    return sorted(counts)


# --------------------------------------------------------------------------- workloads


def calibrate_spin(seconds: float = 0.15, *, budget: float = 0.6) -> tuple[int, float]:
    """The `spin` loop count that takes about `seconds` here, and iterations per second.

    Doubles n until one call takes a measurable time, then scales linearly
    (spin is a plain loop, so its cost is proportional to n); the rate is the
    best of three timings, the least disturbed by other load.
    """
    from course.workloads import spin

    n = 10_000
    while True:
        start = time.perf_counter()
        spin(n)
        elapsed = time.perf_counter() - start
        if elapsed >= budget / 10:
            break
        n *= 2
    best = elapsed
    for _ in range(2):
        start = time.perf_counter()
        spin(n)
        best = min(best, time.perf_counter() - start)
    rate = n / best
    return max(1, int(rate * seconds)), rate


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
        items = [max(1, int(spin_rate * t)) for t in lengths]
        warm = [max(1, int(spin_rate * 0.005))] * (2 * config.workers)
        workloads["cpu"] = Workload(
            "cpu", spin, items, warm,
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


# --------------------------------------------------------------------------- runners


def import_dmap(against: str = "solutions"):
    """The capstone's `dmap` from a tree (the reference by default), loaded by path via the catalogue."""
    from course import catalogue

    loaded = catalogue.load()
    return loaded.import_module(loaded.exercise("dmap"), against).dmap


@contextlib.contextmanager
def open_backend(name: str, workers: int) -> Iterator[Any]:
    """A warm backend for `dmap(..., backend=...)`: `course.capstone.cluster(name, workers=N)`.

    `celery-redis` and `celery-rabbitmq` are Celery on the real servers of this
    machine (private queue, workers started here); plain `celery` follows
    COURSE_BROKER_URL, or runs the embedded broker when it is unset.
    """
    from course.capstone import cluster

    name, options = VARIANTS.get(name, (name, {}))
    with cluster(name, workers=workers, **options) as backend:
        yield backend


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


# --------------------------------------------------------------------------- the run


class _Reporter:
    """A rich progress bar over every warm-up and timed run (or nothing)."""

    def __init__(self, total: int, console=None, enabled: bool = True):
        self.progress = None
        if enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(
                TextColumn("[bold]{task.description:<40}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                console=console, transient=False,
            )
            self.task = self.progress.add_task("starting", total=total)

    def __enter__(self):
        if self.progress:
            self.progress.start()
        return self

    def __exit__(self, *exc):
        if self.progress:
            self.progress.stop()

    def describe(self, text: str) -> None:
        if self.progress:
            self.progress.update(self.task, description=text)

    def advance(self, steps: int = 1) -> None:
        if self.progress:
            self.progress.advance(self.task, steps)


def plan(config: Config) -> dict[int, list[tuple[str, str]]]:
    """What runs at each worker count: {count: [(workload, runner), ...]}.

    The cpu workload runs at every count (the speedup curve); the others only
    at the headline count. The serial loop runs in every block, next to what
    it is compared with; the serial *backend* ignores the worker count, so it
    runs once.
    """
    blocks: dict[int, list[tuple[str, str]]] = {}
    for count in config.worker_counts:
        names = [w for w in config.workloads if w == "cpu" or count == config.workers]
        runners = [SERIAL, POOL] + [b for b in config.backends if b != "serial" or count == config.workers]
        blocks[count] = [(w, r) for w in names for r in runners]
    return blocks


def run_benchmark(config: Config, *, console=None, progress: bool = True) -> dict:
    """Measure everything `config` asks for and return the raw and derived numbers.

    Per worker count, every cluster is started and warmed up first, then the
    timed runs go in rounds: each round runs every runner once, in a rotated
    order. A change in the machine's load (another program starting) then
    hits every runner alike instead of whichever happened to be measured
    at that moment, and the median of the rounds is each runner's time.
    """
    config.resolved()
    began = time.perf_counter()
    load_at_start = _loadavg()
    n_per_task, spin_rate = calibrate_spin(config.task_seconds)
    workloads = make_workloads(config, spin_rate)
    blocks = plan(config)
    records: dict[tuple[str, str, int], dict] = {}
    expected: dict[str, list] = {}  # the serial loop's results: the oracle every runner must match
    startups: list[dict] = []
    total = sum(len(jobs) for jobs in blocks.values()) * (config.repeats + 1)

    def fail(record: dict, error: BaseException) -> None:
        record["error"] = f"{type(error).__name__}: {error}"
        record["traceback"] = traceback.format_exc()

    with _Reporter(total, console=console, enabled=progress) as bar:
        for count, jobs in blocks.items():
            with contextlib.ExitStack() as stack:
                # 1. Start every runner of this block once.
                handles: dict[str, Any] = {}
                broken: dict[str, BaseException] = {}
                for runner in dict.fromkeys(r for _, r in jobs):
                    if runner == SERIAL:
                        continue
                    bar.describe(f"starting {runner} x{count}")
                    started = time.perf_counter()
                    try:
                        handles[runner] = stack.enter_context(open_pool(count) if runner == POOL else open_backend(runner, count))
                    except Exception as error:
                        broken[runner] = error
                        broken_tb = traceback.format_exc()
                        startups.append({"runner": runner, "workers": count, "error": f"{type(error).__name__}: {error}",
                                         "traceback": broken_tb})
                        continue
                    startups.append({"runner": runner, "workers": count, "seconds": time.perf_counter() - started,
                                     "description": POOL if runner == POOL else _describe_backend(handles[runner])})

                # 2. Every measurement's call, then one untimed warm-up run of each.
                dmap = import_dmap() if any(r not in (SERIAL, POOL) for r in handles) else None
                calls: dict[tuple[str, str], Callable[[list], list]] = {}
                for name, runner in jobs:
                    record = records[(name, runner, count)] = {
                        "workload": name, "runner": runner, "workers": count, "times": [], "error": None}
                    workload = workloads[name]
                    if runner in broken:
                        record["error"] = f"{type(broken[runner]).__name__}: {broken[runner]}"
                        bar.advance(config.repeats + 1)
                        continue
                    if runner == SERIAL:
                        calls[(name, runner)] = lambda items, fn=workload.fn: [fn(x) for x in items]
                    elif runner == POOL:
                        chunk = pool_chunksize(len(workload.items), count)
                        record["chunksize"] = chunk
                        calls[(name, runner)] = lambda items, fn=workload.fn, pool=handles[POOL], chunk=chunk: pool.map(fn, items, chunksize=chunk)
                    else:
                        calls[(name, runner)] = (lambda items, fn=workload.fn_for(runner), h=handles[runner], c=count:
                                                 dmap(fn, items, backend=h, workers=c))
                    bar.describe(f"warm-up {name}: {runner} x{count}")
                    try:
                        record["warmup_seconds"], _ = time_call(lambda: calls[(name, runner)](workload.warmup_items))
                    except Exception as error:
                        fail(record, error)
                        del calls[(name, runner)]
                        bar.advance(config.repeats)
                    bar.advance()

                # 3. Timed rounds: every runner once per round, in a rotated order.
                for round_number in range(config.repeats):
                    for name in dict.fromkeys(w for w, _ in jobs):
                        order = [r for w, r in jobs if w == name and (w, r) in calls]
                        shift = round_number % max(1, len(order))
                        for runner in order[shift:] + order[:shift]:
                            if (name, runner) not in calls:  # failed in an earlier round
                                continue
                            record = records[(name, runner, count)]
                            bar.describe(f"{name}: {runner} x{count} (round {round_number + 1})")
                            try:
                                elapsed, result = time_call(lambda: calls[(name, runner)](workloads[name].items))
                            except Exception as error:
                                fail(record, error)
                                del calls[(name, runner)]
                                bar.advance(config.repeats - round_number)
                                continue
                            record["times"].append(elapsed)
                            if runner == SERIAL:
                                expected.setdefault(name, result)
                            if result != expected.get(name, result):
                                record["error"] = "wrong results: they differ from the serial loop's"
                                del calls[(name, runner)]
                                bar.advance(config.repeats - round_number - 1)
                            bar.advance()
                bar.describe(f"stopping the x{count} clusters")
        bar.describe("done")

    for record in records.values():
        record["median"] = statistics.median(record["times"]) if record["times"] and not record["error"] else None
    results = _derive(config, workloads, records, startups, n_per_task, spin_rate, time.perf_counter() - began)
    results["machine"]["loadavg_at_start"] = load_at_start
    return results


def _describe_backend(handle: Any) -> str:
    for attribute in ("description", "broker_url", "name"):
        value = getattr(handle, attribute, None)
        if isinstance(value, str):
            return value
    return type(handle).__name__


def _derive(config, workloads, records, startups, n_per_task, spin_rate, seconds) -> dict:
    """Speedups, efficiencies, Pool.map ratios and target verdicts from the raw times."""
    # The serial loop ran in every block, next to the runners it is compared with.
    serial: dict[str, dict[int, float]] = {}
    for (name, runner, count), record in records.items():
        if runner == SERIAL and record.get("median"):
            serial.setdefault(name, {})[count] = record["median"]
    measurements = []
    for (name, runner, count), record in records.items():
        median = record.get("median")
        row = {
            "workload": name, "runner": runner, "workers": count,
            "times": record.get("times", []), "median": median,
            "min": min(record["times"]) if record.get("times") else None,  # the least disturbed run
            "speedup": None, "efficiency": None, "vs_pool": None,
            "ok": record.get("error") is None and median is not None, "error": record.get("error"),
        }
        for key in ("chunksize", "warmup_seconds", "traceback"):
            if key in record:
                row[key] = record[key]
        baseline = serial.get(name, {}).get(count)
        if median and baseline:
            row["serial_median"] = baseline
            row["speedup"] = baseline / median
            row["efficiency"] = None if runner == SERIAL else row["speedup"] / count
            pool = records.get((name, POOL, count), {}).get("median")
            if pool and runner != POOL:
                row["vs_pool"] = median / pool  # time ratio: 1.05 = 5% slower than Pool.map
        row["per_item_us"] = median / len(workloads[name].items) * 1e6 if median else None
        measurements.append(row)

    results = {
        "machine": machine_info(),
        "config": asdict(config),
        "calibration": {"spin_n_for_task_seconds": n_per_task, "spin_iterations_per_second": spin_rate},
        "workloads": {name: {"description": w.description, "items": len(w.items)} for name, w in workloads.items()},
        "serial_seconds": serial,  # {workload: {worker count of the block: median of the serial loop}}
        "measurements": measurements,
        "startups": startups,
        "total_seconds": seconds,
    }
    results["targets"] = evaluate_targets(results)
    results["curve"] = speedup_curve(results)
    return results


def machine_info() -> dict:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    versions = {}
    for package in ("celery", "kombu", "Pyro5", "redis"):
        try:
            from importlib.metadata import version

            versions[package] = version(package)
        except Exception:
            versions[package] = None
    return {
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable,
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "hostname": socket.gethostname(),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "loadavg_at_end": _loadavg(),
        "start_method": multiprocessing.get_start_method(allow_none=True) or multiprocessing.get_context().get_start_method(),
        "broker_url": os.environ.get("COURSE_BROKER_URL"),
        "packages": versions,
    }


def _loadavg() -> list[float] | None:
    """1, 5 and 15 minute load averages: a busy machine explains a missed target."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _find(results: dict, workload: str, runner: str, workers: int) -> dict | None:
    for row in results["measurements"]:
        if (row["workload"], row["runner"], row["workers"]) == (workload, runner, workers):
            return row
    return None


def evaluate_targets(results: dict) -> list[dict]:
    """The course's performance targets, checked at the headline worker count (never asserted)."""
    workers = results["config"]["workers"]
    verdicts = []

    def add(workload: str, runner: str, short: str, met: Callable[[dict], bool | None]) -> None:
        row = _find(results, workload, runner, workers)
        if row is None:
            return
        verdict = met(row) if row["ok"] else None
        row["target"] = TARGETS_TEXT[(workload, runner)]
        row["target_short"] = short
        row["target_met"] = verdict
        verdicts.append({"workload": workload, "runner": runner, "workers": workers,
                         "target": TARGETS_TEXT[(workload, runner)], "met": verdict,
                         "speedup": row["speedup"], "vs_pool": row["vs_pool"]})

    add("cpu", "processes", ">=1.8x, Pool<=1.05",
        lambda r: r["speedup"] >= 1.8 and (r["vs_pool"] is None or r["vs_pool"] <= 1.05))
    add("tiny", "processes", "Pool<=2, chunked", lambda r: r["vs_pool"] is not None and r["vs_pool"] <= 2.0)
    add("cpu", "pyro", ">=1.7x", lambda r: r["speedup"] >= 1.7)
    broker = _celery_broker(results)
    floor = 1.4 if broker == "embedded" else 1.6
    add("cpu", "celery", f">={floor}x ({broker})", lambda r: r["speedup"] >= floor)
    add("cpu", "celery-redis", ">=1.6x", lambda r: r["speedup"] >= 1.6)
    add("cpu", "celery-rabbitmq", ">=1.6x", lambda r: r["speedup"] >= 1.6)
    return verdicts


def _celery_broker(results: dict) -> str:
    """Which broker the celery measurements ran on: 'embedded', 'redis' or 'rabbitmq'."""
    descriptions = [s.get("description") or "" for s in results["startups"] if s["runner"] == "celery"]
    text = " ".join(descriptions + [results["machine"].get("broker_url") or ""]).lower()
    if "redis://" in text:
        return "redis"
    if "amqp://" in text:
        return "rabbitmq"
    return "embedded"


def speedup_curve(results: dict) -> dict:
    """Speedup on the cpu workload against worker count, per runner (the plot's data)."""
    counts = results["config"]["worker_counts"]
    runners = [POOL] + [b for b in results["config"]["backends"]]
    curve: dict[str, list] = {}
    for runner in runners:
        values = []
        for count in counts:
            row = _find(results, "cpu", runner, count)
            if row is None and runner == "serial":  # measured once: it ignores the worker count
                row = _find(results, "cpu", runner, results["config"]["workers"])
            values.append(row["speedup"] if row and row["ok"] else None)
        if any(v is not None for v in values):
            curve[runner] = values
    return {"workers": counts, "speedups": curve}


# --------------------------------------------------------------------------- reporting


def _fmt(value: float | None, spec: str, suffix: str = "") -> str:
    return "-" if value is None else f"{value:{spec}}{suffix}"


def _fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} us"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


_MIN_WIDTH = {"runner": 11, "w": 2, "median": 7, "per item": 8, "eff.": 4, "speedup": 7, "vs Pool": 7,
              "target": 18, "verdict": 6}


def render_table(results: dict, console=None, *, targets: bool = True) -> None:
    """One rich table per workload: median time, speedup, efficiency, Pool.map ratio, target.

    `targets=False` leaves out the target and verdict columns (for runs too small to judge).
    """
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    machine = results["machine"]
    console.print(
        f"[bold]course bench[/]: {machine['cpu_count']} CPUs, Python {machine['python']}, "
        f"{machine['date']}, median of {results['config']['repeats']} runs, "
        f"took {results['total_seconds']:.0f} s, load average {machine.get('loadavg_at_start')} at start"
    )
    console.print("speedup = serial loop / runner (the serial loop of the same block of rounds); "
                  "eff. = speedup / workers; vs Pool = runner time / Pool.map time (lower is better)")
    for name, info in results["workloads"].items():
        table = Table(title=f"{name}: {info['description']}", title_justify="left", box=box.SIMPLE_HEAD,
                      pad_edge=False, padding=(0, 1))
        # Fits 80 columns (a pipe or a log): per-item time only where items are tiny, efficiency elsewhere.
        columns = ["runner", "w", "median", "per item" if name == "tiny" else "eff.", "speedup", "vs Pool", "target", "verdict"]
        columns = columns if targets else columns[:-2]
        for column in columns:
            table.add_column(column, justify="left" if column in ("runner", "target", "verdict") else "right",
                             no_wrap=True, min_width=_MIN_WIDTH.get(column, len(column)))
        rows = [r for r in results["measurements"] if r["workload"] == name]
        rows.sort(key=lambda r: (r["workers"], r["runner"] != SERIAL, r["runner"] != POOL))
        for row in rows:
            met = row.get("target_met")
            verdict = "" if "target" not in row else ("[green]met[/]" if met else "[red]missed[/]" if met is False else "[yellow]n/a[/]")
            if row["error"]:
                verdict = "[red]error[/]"
            per_item = row["median"] / results["workloads"][name]["items"] if row["median"] else None
            cells = [
                row["runner"], str(row["workers"]), _fmt_time(row["median"]),
                _fmt_time(per_item) if name == "tiny" else _fmt(row["efficiency"], ".0%"),
                _fmt(row["speedup"], ".2f", "x"), _fmt(row["vs_pool"], ".2f"),
                row.get("target_short", ""), verdict,
            ]
            table.add_row(*cells[:len(columns)])
        console.print(table)


def write_json(results: dict, path: str | os.PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return path


def plot_results(results: dict, ax=None, title: str | None = None):
    """Speedup against worker count on the cpu workload, with the ideal line (course.tracing)."""
    from course.tracing import plot_speedup

    curve = results["curve"]
    speedups = {name: [math.nan if v is None else v for v in values] for name, values in curve["speedups"].items()}
    if title is None:
        machine = results["machine"]
        load = machine.get("loadavg_at_start")
        title = (f"cpu workload on {machine['cpu_count']} CPUs (median of {results['config']['repeats']}"
                 + (f"; load {load[0]:g} at start)" if load else ")"))
    return plot_speedup(curve["workers"], speedups, ax=ax, title=title)


def write_plot(results: dict, path: str | os.PathLike) -> Path:
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    plot_results(results, ax=ax)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


# --------------------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backends", default=",".join(ALL_BACKENDS),
                        help=f"comma-separated backends to measure (default: {','.join(ALL_BACKENDS)}); "
                             f"also {', '.join(VARIANTS)}: Celery on this machine's Redis or RabbitMQ")
    parser.add_argument("--workers", type=int, default=0,
                        help="headline worker count N; the speedup curve runs 1..N (default: os.cpu_count())")
    parser.add_argument("--quick", action="store_true",
                        help="fewer items, repeats and worker counts: under 3 minutes on 2 cores")
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per measurement; the median is reported (default 5, quick 3)")
    parser.add_argument("--json", metavar="FILE", help="write every raw time, derived number and machine fact to FILE")
    parser.add_argument("--plot", metavar="FILE", help="write a PNG of speedup against worker count to FILE")
    sizes = parser.add_argument_group("workload sizes (defaults depend on --quick)")
    sizes.add_argument("--workloads", default=",".join(WORKLOADS), help=f"comma-separated workloads (default: {','.join(WORKLOADS)})")
    sizes.add_argument("--cpu-tasks", type=int, help="number of cpu tasks (default 20, quick 12)")
    sizes.add_argument("--task-seconds", type=float, help="mean length of one cpu task (default 0.15)")
    sizes.add_argument("--tiny-items", type=int, help="number of tiny items (default 100000)")
    sizes.add_argument("--io-tasks", type=int, help="number of io_wait tasks (default 40, quick 20)")
    sizes.add_argument("--io-seconds", type=float, help="length of one io_wait (default 0.05)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (for logs)")


def config_from_args(args: argparse.Namespace) -> Config:
    overrides: dict[str, Any] = {
        "backends": [b.strip() for b in args.backends.split(",") if b.strip()],
        "workloads": [w.strip() for w in args.workloads.split(",") if w.strip()],
        "workers": args.workers or 0,
    }
    for option, key in (("repeats", "repeats"), ("cpu_tasks", "cpu_tasks"), ("task_seconds", "task_seconds"),
                        ("tiny_items", "tiny_items"), ("io_tasks", "io_tasks"), ("io_seconds", "io_seconds")):
        value = getattr(args, option, None)
        if value is not None:
            overrides[key] = value
    return Config.quick(**overrides) if args.quick else Config.full(**overrides)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    # A log or a pipe gets 100 columns (rich's default there is 80, too narrow for the tables).
    console = Console() if sys.stdout.isatty() else Console(width=int(os.environ.get("COLUMNS", 100)))
    try:
        config = config_from_args(args)
    except ValueError as error:
        console.print(f"[red]course bench: {error}[/]")
        return 2
    results = run_benchmark(config, console=console, progress=not args.no_progress)
    render_table(results, console)
    if args.json:
        console.print(f"raw numbers: {write_json(results, args.json)}")
    if args.plot:
        console.print(f"speedup plot: {write_plot(results, args.plot)}")
    failed = [r for r in results["measurements"] if r["error"]]
    for row in failed:
        console.print(f"[red]{row['workload']} / {row['runner']} x{row['workers']}: {row['error']}[/]")
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course bench", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

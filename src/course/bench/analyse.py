"""From raw times to the numbers `course bench` reports: speedups, Pool.map ratios, targets, the curve."""

from __future__ import annotations

import datetime as _dt
import multiprocessing
import os
import platform
import socket
import sys
from dataclasses import asdict, dataclass

from course.bench.config import POOL, SERIAL, Config


@dataclass(frozen=True)
class Target:
    """What a correct implementation reaches on a quiet 2-core machine; reported, never asserted.

    `speedup`: at least this many times faster than the serial loop; `vs_pool`:
    at most this time ratio to Pool.map; `broker`: only when the Celery runs
    went through this broker. The text shown comes from the same numbers.
    """

    workload: str
    runner: str
    speedup: float | None = None
    vs_pool: float | None = None
    broker: str | None = None

    @property
    def text(self) -> str:
        parts = []
        if self.speedup is not None:
            parts.append(f">={self.speedup:g}x")
        if self.vs_pool is not None:
            parts.append(f"Pool<={self.vs_pool:g}" + (", chunked" if self.workload == "tiny" else ""))
        return ", ".join(parts) + (f" ({self.broker})" if self.broker else "")

    def met(self, row: dict) -> bool:
        if self.speedup is not None and not row["speedup"] >= self.speedup:
            return False
        if self.vs_pool is not None and not (row["vs_pool"] is not None and row["vs_pool"] <= self.vs_pool):
            return False
        return True


#: THE table of targets (see the module docstring of course.bench).
TARGETS = (
    Target("cpu", "processes", speedup=1.8, vs_pool=1.05),
    Target("tiny", "processes", vs_pool=2.0),
    Target("cpu", "pyro", speedup=1.7),
    Target("cpu", "celery", speedup=1.4, broker="embedded"),
    Target("cpu", "celery", speedup=1.6, broker="redis"),
    Target("cpu", "celery", speedup=1.6, broker="rabbitmq"),
    Target("cpu", "celery-redis", speedup=1.6),
    Target("cpu", "celery-rabbitmq", speedup=1.6),
)


def derive(config: Config, workloads, measurements, startups, n_per_task: int, spin_rate: float, seconds: float) -> dict:
    """The results document: raw times, derived numbers, machine facts, target verdicts, the curve."""
    # The serial loop ran in every block, next to the runners it is compared with.
    medians = {(m.workload, m.runner, m.workers): m.median for m in measurements}
    serial: dict[str, dict[int, float]] = {}
    for m in measurements:
        if m.runner == SERIAL and m.median:
            serial.setdefault(m.workload, {})[m.workers] = m.median
    rows = []
    for m in measurements:
        median = m.median
        row = {
            "workload": m.workload, "runner": m.runner, "workers": m.workers, "times": m.times, "median": median,
            "min": min(m.times) if m.times else None,  # the least disturbed run
            "speedup": None, "efficiency": None, "vs_pool": None,
            "ok": m.error is None and median is not None, "error": m.error,
        }
        for key in ("chunksize", "warmup_seconds", "traceback"):
            if getattr(m, key) is not None:
                row[key] = getattr(m, key)
        baseline = serial.get(m.workload, {}).get(m.workers)
        if median and baseline:
            row["serial_median"] = baseline
            row["speedup"] = baseline / median
            row["efficiency"] = None if m.runner == SERIAL else row["speedup"] / m.workers
            pool = medians.get((m.workload, POOL, m.workers))
            if pool and m.runner != POOL:
                row["vs_pool"] = median / pool  # time ratio: 1.05 = 5% slower than Pool.map
        row["per_item_us"] = median / len(workloads[m.workload].items) * 1e6 if median else None
        rows.append(row)

    results = {
        "machine": machine_info(),
        "config": asdict(config),
        "calibration": {"spin_n_for_task_seconds": n_per_task, "spin_iterations_per_second": spin_rate},
        "workloads": {name: {"description": w.description, "items": len(w.items)} for name, w in workloads.items()},
        "serial_seconds": serial,  # {workload: {worker count of the block: median of the serial loop}}
        "measurements": rows,
        "startups": [{k: v for k, v in asdict(s).items() if v is not None} for s in startups],
        "total_seconds": seconds,
    }
    results["targets"] = evaluate_targets(results)
    results["curve"] = speedup_curve(results)
    return results


def machine_info() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    versions = {}
    for package in ("celery", "kombu", "Pyro5", "redis"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    return {
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable,
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "hostname": socket.gethostname(),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "loadavg_at_end": loadavg(),
        "start_method": multiprocessing.get_start_method(allow_none=True) or multiprocessing.get_context().get_start_method(),
        "broker_url": os.environ.get("COURSE_BROKER_URL"),
        "packages": versions,
    }


def loadavg() -> list[float] | None:
    """1, 5 and 15 minute load averages: a busy machine explains a missed target."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def find(results: dict, workload: str, runner: str, workers: int) -> dict | None:
    for row in results["measurements"]:
        if (row["workload"], row["runner"], row["workers"]) == (workload, runner, workers):
            return row
    return None


def evaluate_targets(results: dict) -> list[dict]:
    """Each target that applies, checked at the headline worker count; the row learns its target too."""
    workers = results["config"]["workers"]
    broker = celery_broker(results)
    verdicts = []
    for target in TARGETS:
        row = find(results, target.workload, target.runner, workers)
        if row is None or target.broker not in (None, broker):
            continue
        verdict = target.met(row) if row["ok"] else None
        row.update(target=target.text, target_short=target.text, target_met=verdict)
        verdicts.append({"workload": target.workload, "runner": target.runner, "workers": workers,
                         "target": target.text, "met": verdict, "speedup": row["speedup"], "vs_pool": row["vs_pool"]})
    return verdicts


def celery_broker(results: dict) -> str:
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
    curve: dict[str, list] = {}
    for runner in [POOL, *results["config"]["backends"]]:
        values = []
        for count in counts:
            row = find(results, "cpu", runner, count)
            if row is None and runner == "serial":  # measured once: it ignores the worker count
                row = find(results, "cpu", runner, results["config"]["workers"])
            values.append(row["speedup"] if row and row["ok"] else None)
        if any(v is not None for v in values):
            curve[runner] = values
    return {"workers": counts, "speedups": curve}

"""What `course bench` measures: the runners, the workloads, the sizes and the worker counts."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from course.capstone import BACKENDS, default_workers

WORKLOADS = ("cpu", "tiny", "io")
SERIAL = "serial loop"  # the baseline: a list comprehension in this process
POOL = "Pool.map"  # the reference: multiprocessing.Pool.map, default (chunked) chunksize

#: Extra backend names `--backends` accepts: Celery on this machine's real servers
#: (private queue, workers started here); plain `celery` follows COURSE_BROKER_URL.
REDIS_URL = os.environ.get("COURSE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
AMQP_URL = os.environ.get("COURSE_BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
VARIANTS = {
    "celery-redis": ("celery", {"broker_url": REDIS_URL, "result_backend": REDIS_URL}),
    "celery-rabbitmq": ("celery", {"broker_url": AMQP_URL, "result_backend": REDIS_URL}),
}


@dataclass
class Config:
    """What to measure. `Config.quick()` and `Config.full()` are the two presets."""

    backends: list[str] = field(default_factory=lambda: list(BACKENDS))
    workloads: list[str] = field(default_factory=lambda: list(WORKLOADS))
    workers: int = 0  # the headline worker count; 0 = the capstone's default_workers()
    worker_counts: list[int] = field(default_factory=list)  # the speedup curve (cpu); [] = 1..workers
    repeats: int = 5
    cpu_tasks: int = 20
    task_seconds: float = 0.15  # mean length of one cpu task; tasks span 2/3 to 4/3 of it
    tiny_items: int = 100_000
    io_tasks: int = 40
    io_seconds: float = 0.05
    against: str = "solutions"  # the tree whose dmap is measured

    @classmethod
    def full(cls, **overrides: Any) -> "Config":
        return cls(**overrides).resolved()

    @classmethod
    def quick(cls, **overrides: Any) -> "Config":
        config = cls(**{"repeats": 3, "cpu_tasks": 12, "io_tasks": 20, **overrides})
        if not config.worker_counts:
            config.worker_counts = sorted({1, config.workers or default_workers()})
        return config.resolved()

    def resolved(self) -> "Config":
        """Fill in defaults that depend on the machine, and check the values."""
        if not self.workers:
            self.workers = max(self.worker_counts or [default_workers()])
        if not self.worker_counts:
            self.worker_counts = default_worker_counts(self.workers)
        self.worker_counts = sorted(set(self.worker_counts) | {self.workers})
        strange = [b for b in self.backends if b not in BACKENDS and b not in VARIANTS]
        if strange:
            raise ValueError(f"unknown backend(s) {strange}; choose from {', '.join([*BACKENDS, *VARIANTS])}")
        unknown = [w for w in self.workloads if w not in WORKLOADS]
        if unknown:
            raise ValueError(f"unknown workload(s) {unknown}; choose from {', '.join(WORKLOADS)}")
        if self.repeats < 1 or min(self.worker_counts) < 1:
            raise ValueError("repeats and worker counts must be at least 1")
        return self

    def plan(self) -> dict[int, list[tuple[str, str]]]:
        """What runs at each worker count: {count: [(workload, runner), ...]}.

        The cpu workload runs at every count (the speedup curve); the others only
        at the headline count. The serial loop runs in every block, next to what
        it is compared with; the serial *backend* ignores the worker count, so it
        runs once.
        """
        blocks: dict[int, list[tuple[str, str]]] = {}
        for count in self.worker_counts:
            names = [w for w in self.workloads if w == "cpu" or count == self.workers]
            runners = [SERIAL, POOL] + [b for b in self.backends if b != "serial" or count == self.workers]
            blocks[count] = [(w, r) for w in names for r in runners]
        return blocks


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

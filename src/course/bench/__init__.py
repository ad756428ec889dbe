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

Run it as ``course bench``; ``--quick`` takes under 3 minutes on 2 cores, the
default run a few minutes more. ``--against PATH`` measures another tree's dmap.

    config.py    what to measure (Config, the runners, the workloads' sizes)
    measure.py   the runs: workloads, runners, warm-up, timed rounds (run_benchmark)
    analyse.py   speedups, Pool.map ratios, THE table of targets, the curve
    render.py    tables, JSON, the plot
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from course.bench.analyse import TARGETS, Target, evaluate_targets, speedup_curve
from course.bench.config import POOL, SERIAL, VARIANTS, WORKLOADS, Config
from course.bench.measure import calibrate_spin, import_dmap, pool_chunksize, run_benchmark, traced_spin
from course.bench.render import plot_results, render_table, write_json, write_plot
from course.capstone import BACKENDS as ALL_BACKENDS

__all__ = [
    "ALL_BACKENDS", "POOL", "SERIAL", "TARGETS", "VARIANTS", "WORKLOADS", "Config", "Target", "add_arguments",
    "calibrate_spin", "config_from_args", "evaluate_targets", "import_dmap", "plot_results", "pool_chunksize",
    "render_table", "run", "run_benchmark", "speedup_curve", "traced_spin", "write_json", "write_plot",
]


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
    parser.add_argument("--against", default="solutions", help="the tree whose dmap is measured: solutions (default), exercises or a path")


def config_from_args(args: argparse.Namespace) -> Config:
    overrides: dict[str, Any] = {
        "backends": [b.strip() for b in args.backends.split(",") if b.strip()],
        "workloads": [w.strip() for w in args.workloads.split(",") if w.strip()],
        "workers": args.workers or 0,
        "against": args.against,
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

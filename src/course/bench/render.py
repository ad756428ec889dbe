"""Showing `course bench`'s results: rich tables, the JSON document, the speedup plot."""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

from course.bench.config import POOL, SERIAL


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

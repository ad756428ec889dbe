"""Record who ran what and when, and draw it: the timelines and speedup curves of the book.

A `Timeline` collects spans (lane, label, start, end). Lanes are thread names
by default; work done in other processes records its own spans with `span()`
timestamps from `now()` (time.perf_counter is CLOCK_MONOTONIC on Linux, shared
by every process on the machine) and sends them back as plain tuples.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

now = time.perf_counter


@dataclass(frozen=True)
class Span:
    lane: str
    label: str
    start: float
    end: float


class Timeline:
    """A thread-safe list of spans, with times relative to the timeline's start."""

    def __init__(self) -> None:
        self.origin = now()
        self.spans: list[Span] = []
        self._lock = threading.Lock()

    def add(self, lane: str, label: str, start: float, end: float) -> None:
        with self._lock:
            self.spans.append(Span(str(lane), label, start - self.origin, end - self.origin))

    def extend(self, spans: Iterable[tuple[str, str, float, float]]) -> None:
        """Add raw (lane, label, start, end) tuples measured with `now()` elsewhere."""
        for lane, label, start, end in spans:
            self.add(lane, label, start, end)

    @contextlib.contextmanager
    def span(self, label: str, lane: str | None = None) -> Iterator[None]:
        start = now()
        try:
            yield
        finally:
            self.add(lane or threading.current_thread().name, label, start, now())

    @property
    def lanes(self) -> list[str]:
        return list(dict.fromkeys(span.lane for span in sorted(self.spans, key=lambda s: s.start)))

    def max_overlap(self) -> int:
        """The largest number of spans in progress at one instant."""
        edges = sorted([(s.start, 1) for s in self.spans] + [(s.end, -1) for s in self.spans], key=lambda e: (e[0], e[1]))
        inside = best = 0
        for _, step in edges:
            inside += step
            best = max(best, inside)
        return best


def plot_timeline(timeline: Timeline, ax=None, title: str = "", colors: dict[str, str] | None = None):
    """A Gantt chart: one row per lane, one bar per span, coloured by label."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.5 + 0.45 * max(1, len(timeline.lanes))))
    palette = plt.get_cmap("tab10")
    labels = list(dict.fromkeys(span.label for span in timeline.spans))
    colors = colors or {label: palette(i % 10) for i, label in enumerate(labels)}
    lanes = timeline.lanes
    for span in timeline.spans:
        row = lanes.index(span.lane)
        ax.barh(row, span.end - span.start, left=span.start, height=0.6, color=colors[span.label], edgecolor="black", linewidth=0.3)
    ax.set_yticks(range(len(lanes)), lanes)
    ax.invert_yaxis()
    ax.set_xlabel("seconds since start")
    handles = [plt.Rectangle((0, 0), 1, 1, color=colors[label]) for label in labels]
    if len(labels) > 1:
        ax.legend(handles, labels, loc="upper right", fontsize="small")
    if title:
        ax.set_title(title)
    return ax


def plot_speedup(workers: Sequence[int], speedups: dict[str, Sequence[float]], ax=None, title: str = "", amdahl_parallel_fraction: float | None = None):
    """Measured speedup against worker count, with the ideal line (and Amdahl's bound if given)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    ax.plot(workers, workers, "k--", label="ideal (linear)")
    if amdahl_parallel_fraction is not None:
        p = amdahl_parallel_fraction
        ax.plot(workers, [1 / ((1 - p) + p / n) for n in workers], "k:", label=f"Amdahl, p = {p:.2f}")
    for name, values in speedups.items():
        ax.plot(workers, values, "o-", label=name)
    ax.set_xlabel("workers")
    ax.set_ylabel("speedup over serial")
    ax.set_xticks(list(workers))
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    return ax

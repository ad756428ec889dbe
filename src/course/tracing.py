"""Record who ran what and when, and draw it: the timelines and speedup curves of the book.

A `Timeline` collects spans (lane, label, start, end). Lanes are thread names
by default; work done in other processes records its own spans with `span()`
timestamps from `now()` (time.perf_counter is CLOCK_MONOTONIC on Linux, shared
by every process on the machine) and sends them back as plain tuples.

A span says when a task started and ended, not when it ran: two threads that
take turns with the GIL both have spans that cover the whole run, and solid
bars would read as parallel. `Sampler` records when the work actually ran (the
work loop calls `tick()` often; a gap between ticks means someone else had the
CPU or the GIL), and its `slices()` are what `plot_timeline` draws as thin bars.
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


class Sampler:
    """When did this piece of work really run? Call `tick()` every few microseconds of work.

    Consecutive ticks closer than `gap` seconds belong to one slice of execution; a
    longer gap means the thread was not running (another thread held the GIL, or the
    operating system gave the core to another process). The default gap, 1 ms, is
    well above the time between ticks of a busy loop and well below CPython's
    5 ms switch interval, so the turns threads take under the GIL show as slices.
    """

    def __init__(self, gap: float = 0.001) -> None:
        self.gap = gap
        self.times: list[float] = []

    def tick(self) -> None:
        self.times.append(now())

    def slices(self) -> list[tuple[float, float]]:
        """(start, end) of every stretch of ticks with no gap longer than `gap`."""
        found: list[tuple[float, float]] = []
        for time_ in self.times:
            if found and time_ - found[-1][1] <= self.gap:
                found[-1] = (found[-1][0], time_)
            else:
                found.append((time_, time_))
        return found

    def spans(self, lane: str, label: str) -> list[tuple[str, str, float, float]]:
        """The slices as raw (lane, label, start, end) tuples, for `Timeline.extend`."""
        return [(lane, label, start, end) for start, end in self.slices()]


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


def plot_timeline(
    timeline: Timeline,
    ax=None,
    title: str = "",
    colors: dict[str, str] | None = None,
    legend: bool = True,
    xmax: float | None = None,
    order: Sequence[str] | None = None,
):
    """A Gantt chart: one row per lane, one bar per span, coloured by label.

    Spans shorter than 1 % of the axis (the slices of a `Sampler`) are drawn without
    an outline, so that turns taken under the GIL stay visible as separate slices.
    `xmax` fixes the right end of the time axis, so panels that are compared share it.
    `order` lists the lanes top to bottom (default: by their first span's start).
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.8 + 0.5 * max(1, len(timeline.lanes))))
    palette = plt.get_cmap("tab10")
    labels = list(dict.fromkeys(span.label for span in timeline.spans))
    colors = colors or {label: palette(i % 10) for i, label in enumerate(labels)}
    lanes = list(order) if order is not None else timeline.lanes
    end = max([span.end for span in timeline.spans] + [xmax or 0.0]) or 1.0
    for span in timeline.spans:
        row = lanes.index(span.lane)
        width = max(span.end - span.start, end / 2000)  # a slice stays at least a hair wide
        thin = width < end / 100
        ax.barh(
            row, width, left=span.start, height=0.6, color=colors[span.label],
            edgecolor="none" if thin else "black", linewidth=0 if thin else 0.4,
        )
    ax.set_yticks(range(len(lanes)), lanes)
    ax.set_ylim(len(lanes) - 0.4, -0.6)
    ax.set_xlim(0, xmax if xmax is not None else end * 1.02)
    ax.set_xlabel("seconds since start")
    handles = [plt.Rectangle((0, 0), 1, 1, color=colors[label]) for label in labels]
    if legend and len(labels) > 1:
        ax.legend(handles, labels, loc="upper right")
    if title:
        ax.set_title(title)
    return ax


def book_style() -> None:
    """Matplotlib settings for figures on a book page: legible when shown at 1280 px.

    Figures are drawn at most 7 inches wide at 96 dpi (672 px), so the page's column
    (about 690 px at a 1280 px window) shows them at their natural size, unscaled,
    and no text is smaller than 10 points.
    """
    import matplotlib

    matplotlib.rcParams.update({
        "figure.dpi": 96,
        "savefig.dpi": 96,
        "font.size": 11,
        "axes.titlesize": 11,
        "axes.labelsize": 11,
        "xtick.labelsize": 10,
        "ytick.labelsize": 10,
        "legend.fontsize": 10,
    })


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
    ax.legend()
    if title:
        ax.set_title(title)
    return ax

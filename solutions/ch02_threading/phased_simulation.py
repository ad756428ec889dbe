"""A barrier-phased simulation (reference solution).

A ring of cells evolves in steps: every cell's next value depends on its own
and its two neighbours' values at the previous step. Each worker thread owns a
contiguous slice of the ring. Two rules keep the phases apart:

- double buffering: read the whole previous step from one list, write the next
  step into another, never the same list;
- a Barrier: nobody starts step k+1 until everyone has finished step k. The
  barrier's action (run by one thread while the others still wait) swaps the
  two lists, so every worker sees the new step at once.

If one worker fails, it aborts the barrier: the others get BrokenBarrierError
instead of waiting forever, every thread ends, and simulate() re-raises the error.
"""

from __future__ import annotations

import threading
from typing import Callable, Sequence

Rule = Callable[[float, float, float], float]


def average(left: float, centre: float, right: float) -> float:
    """The default rule: diffusion, each cell becomes the mean of its neighbourhood."""
    return (left + centre + right) / 3


def slices(length: int, workers: int) -> list[range]:
    """Split range(length) into `workers` contiguous, nearly equal parts."""
    size, extra = divmod(length, workers)
    parts, start = [], 0
    for worker in range(workers):
        end = start + size + (1 if worker < extra else 0)
        parts.append(range(start, end))
        start = end
    return parts


def simulate(cells: Sequence[float], steps: int, workers: int, rule: Rule = average) -> list[float]:
    """The cells after `steps` steps of `rule`, computed by `workers` threads.

    Returns a new list (`cells` is left unchanged; steps=0 gives a copy).
    `rule` is called exactly once per cell and step, len(cells) * steps calls
    in all, by the worker that owns the cell. Every cell belongs to exactly one
    worker, also when len(cells) does not divide evenly by `workers`. If `rule`
    raises, simulate() raises the first such exception, and only after every
    worker thread has ended. ValueError unless 1 <= workers <= len(cells) and
    steps >= 0 (so an empty ring is always a ValueError).
    """
    length = len(cells)
    if not 1 <= workers <= length:
        raise ValueError(f"workers must be between 1 and len(cells) = {length}, got {workers!r}")
    if steps < 0:
        raise ValueError(f"steps must not be negative, got {steps!r}")
    buffers = [list(cells), [0.0] * length]  # [previous step, next step]
    barrier = threading.Barrier(workers, action=buffers.reverse)
    errors: list[BaseException] = []

    def work(mine: range) -> None:
        try:
            for _ in range(steps):
                old, new = buffers
                for i in mine:
                    new[i] = rule(old[i - 1], old[i], old[(i + 1) % length])
                barrier.wait()  # the last one in swaps the buffers
        except threading.BrokenBarrierError:
            pass  # another worker failed and aborted the barrier
        except BaseException as error:  # noqa: BLE001 - re-raised by simulate()
            errors.append(error)
            barrier.abort()

    threads = [threading.Thread(target=work, args=(part,), name=f"cells-{part.start}-{part.stop - 1}") for part in slices(length, workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return list(buffers[0])

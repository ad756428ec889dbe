"""Exercise: a simulation in phases, kept in step by a Barrier.

A ring of `len(cells)` numbers evolves for `steps` steps. At each step every
cell becomes `rule(left, centre, right)` of the values at the PREVIOUS step
(the ring wraps: cell 0's left neighbour is the last cell). Serially:

    for _ in range(steps):
        cells = [rule(cells[i - 1], cells[i], cells[(i + 1) % n]) for i in range(n)]

Do the same with `workers` threads, each owning a contiguous slice of the
ring, all computing at once. Requirements:
- the result equals the serial one exactly, however the threads are scheduled:
  no worker may start step k+1 (or read a neighbour's cells of step k+1) before
  every worker has finished step k: use a threading.Barrier, and never read
  from the list you are writing;
- simulate() returns a new list and leaves `cells` unchanged; it joins every
  thread it started before returning (none left running);
- if `rule` raises in one worker, the others must not wait for it forever
  (Barrier.abort()): simulate() raises that exception once they have ended;
- the slices cover the whole ring, also when it does not divide evenly;
- 1 <= workers <= len(cells) and steps >= 0, else ValueError.
"""

from __future__ import annotations

from typing import Callable, Sequence

Rule = Callable[[float, float, float], float]


def average(left: float, centre: float, right: float) -> float:
    """The default rule: diffusion, each cell becomes the mean of its neighbourhood."""
    return (left + centre + right) / 3


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
    raise NotImplementedError("TODO: split the ring, start the workers, keep them in step with a Barrier")

"""Amdahl's and Gustafson's laws: how much can more workers buy?

A program spends a fraction `p` of its serial running time in work that can be
split across workers and `1 - p` in work that cannot (reading the input,
merging results, a loop that depends on the previous step).

- Amdahl (fixed problem size): with n workers the serial part takes as long as
  before and the parallel part is shared n ways. Write the new running time as
  a fraction of the old one; the speedup is old time / new time.
- Gustafson (fixed time, growing problem): here p is the share of the
  *parallel* run's time spent in parallel work. Ask how long one worker would
  need for everything that run did; that, over the parallel run's time, is the
  scaled speedup.

Check your formulas at the edges: p = 0 (nothing parallel), p = 1 (everything
parallel), n = 1 (one worker), and n very large.
"""

from __future__ import annotations


def amdahl_speedup(p: float, n: float) -> float:
    """Speedup of a fixed-size job whose parallel fraction is `p`, on `n` workers.

    `n` need not be a whole number. p = 0, p = 1 and n = 1 are allowed.
    Raise ValueError when p is outside [0, 1] or n is less than 1.
    """
    raise NotImplementedError("TODO: Amdahl's law, S(n) for a fixed-size job")


def gustafson_speedup(p: float, n: float) -> float:
    """Scaled speedup when the job grows with `n` and `p` of the parallel run is parallel work.

    `n` need not be a whole number. p = 0, p = 1 and n = 1 are allowed.
    Raise ValueError when p is outside [0, 1] or n is less than 1.
    """
    raise NotImplementedError("TODO: Gustafson's law, the scaled speedup")


def parallel_fraction_from_speedup(s: float, n: float) -> float:
    """The parallel fraction p for which Amdahl's law predicts speedup `s` on `n` workers.

    Solve Amdahl's formula for p. Do not clip the result: a slowdown (s < 1)
    gives p < 0 and a super-linear speedup (s > n) gives p > 1, both signs that
    something the law ignores (overhead, caches) dominates.
    Raise ValueError when s <= 0 or n <= 1 (one worker tells you nothing about p);
    any s > 0 and n > 1 give a number, fractional n included.
    """
    raise NotImplementedError("TODO: invert Amdahl's law to estimate p from a measured speedup")

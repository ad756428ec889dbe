"""Amdahl's and Gustafson's laws: how much can more workers buy?

A program spends a fraction `p` of its serial running time in work that can be
split across workers and `1 - p` in work that cannot (reading the input,
merging results, a loop that depends on the previous step).

- Amdahl (fixed problem size): with n workers the time becomes
  (1 - p) + p / n of the serial time, so the speedup is
  S(n) = 1 / ((1 - p) + p / n), never more than 1 / (1 - p) however large n is.
- Gustafson (fixed time, growing problem): p is the share of the *parallel*
  run's time spent in parallel work; the same run would take (1 - p) + p * n
  on one worker, so the scaled speedup is S(n) = (1 - p) + p * n.
"""

from __future__ import annotations


def _check(p: float, n: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"the parallel fraction p must be between 0 and 1, got {p!r}")
    if n < 1:
        raise ValueError(f"the number of workers n must be at least 1, got {n!r}")


def amdahl_speedup(p: float, n: float) -> float:
    """Speedup of a fixed-size job whose parallel fraction is `p`, on `n` workers.

    `n` need not be a whole number. p = 0, p = 1 and n = 1 are allowed.
    Raise ValueError when p is outside [0, 1] or n is less than 1.
    """
    _check(p, n)
    return 1.0 / ((1.0 - p) + p / n)


def gustafson_speedup(p: float, n: float) -> float:
    """Scaled speedup when the job grows with `n` and `p` of the parallel run is parallel work.

    `n` need not be a whole number. p = 0, p = 1 and n = 1 are allowed.
    Raise ValueError when p is outside [0, 1] or n is less than 1.
    """
    _check(p, n)
    return (1.0 - p) + p * n


def parallel_fraction_from_speedup(s: float, n: float) -> float:
    """The parallel fraction p for which Amdahl's law predicts speedup `s` on `n` workers.

    Solve Amdahl's formula for p. Do not clip the result: a slowdown (s < 1)
    gives p < 0 and a super-linear speedup (s > n) gives p > 1, both signs that
    something the law ignores (overhead, caches) dominates.
    Raise ValueError when s <= 0 or n <= 1 (one worker tells you nothing about p);
    any s > 0 and n > 1 give a number, fractional n included.
    """
    if s <= 0:
        raise ValueError(f"a speedup must be positive, got {s!r}")
    if n <= 1:
        raise ValueError(f"n must be more than 1 worker to learn anything from a speedup, got {n!r}")
    return (1.0 - 1.0 / s) / (1.0 - 1.0 / n)

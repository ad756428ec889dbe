"""Reads the parallel fraction as the parallel efficiency s / n, clipped to [0, 1].

Efficiency (speedup per worker) is a different quantity: a speedup of 1.6 on
2 workers is 80 % efficiency but means p = 0.75 under Amdahl's law. Clipping
also hides the slowdowns the exercise asks to report. Tasks 1 and 2 are right.
"""

LOSES = ["fraction_from_speedup"]


def _check(p, n):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p!r}")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n!r}")


def amdahl_speedup(p, n):
    _check(p, n)
    return 1.0 / ((1.0 - p) + p / n)


def gustafson_speedup(p, n):
    _check(p, n)
    return (1.0 - p) + p * n


def parallel_fraction_from_speedup(s, n):
    if s <= 0 or n <= 1:
        raise ValueError("need s > 0 and n > 1")
    return min(1.0, max(0.0, s / n))

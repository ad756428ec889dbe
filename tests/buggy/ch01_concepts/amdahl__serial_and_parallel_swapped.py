"""Amdahl's law with p and 1 - p swapped: p is divided by n as if it were the serial part.

1 / (p + (1 - p) / n) treats p as the *serial* fraction, so a job that is 90 %
parallel comes out almost serial. Gustafson and the inverse are right.
"""

LOSES = ["amdahl"]


def _check(p, n):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p!r}")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n!r}")


def amdahl_speedup(p, n):
    _check(p, n)
    return 1.0 / (p + (1.0 - p) / n)


def gustafson_speedup(p, n):
    _check(p, n)
    return (1.0 - p) + p * n


def parallel_fraction_from_speedup(s, n):
    if s <= 0 or n <= 1:
        raise ValueError("need s > 0 and n > 1")
    return (1.0 - 1.0 / s) / (1.0 - 1.0 / n)

"""Graded tests for exercises/ch01_concepts/amdahl.py (Amdahl's and Gustafson's laws)."""

import math

import pytest

from course.testing import plain


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


# ---- task 1: Amdahl's law -------------------------------------------------------


@pytest.mark.task("amdahl")
@pytest.mark.parametrize(
    "p, n, expected",
    [
        (0.5, 2, 1 / (0.5 + 0.25)),  # 1.333...
        (0.9, 4, 1 / (0.1 + 0.225)),  # 3.0769...
        (0.95, 8, 1 / (0.05 + 0.95 / 8)),
        (0.2, 10, 1 / (0.8 + 0.02)),
        (0.75, 3, 2.0),
    ],
)
def test_amdahl_gives_the_speedup_of_a_fixed_size_job(exercise, p, n, expected):
    got = plain(exercise.amdahl_speedup(p, n))
    assert close(got, expected), f"amdahl_speedup({p}, {n}) returned {got!r}, expected {expected!r}"


@pytest.mark.task("amdahl")
def test_amdahl_at_the_edges(exercise):
    cases = [((0.0, 8), 1.0), ((1.0, 8), 8.0), ((0.6, 1), 1.0), ((1.0, 1), 1.0)]
    for (p, n), expected in cases:
        got = plain(exercise.amdahl_speedup(p, n))
        assert close(got, expected), f"amdahl_speedup({p}, {n}) returned {got!r}, expected {expected!r}"


@pytest.mark.task("amdahl")
def test_amdahl_never_beats_one_over_the_serial_fraction(exercise):
    for p in (0.5, 0.9, 0.99):
        huge = plain(exercise.amdahl_speedup(p, 10**9))
        limit = 1 / (1 - p)
        assert huge <= limit * (1 + 1e-9) and huge > limit * 0.99, (
            f"amdahl_speedup({p}, 10**9) returned {huge!r}; with a serial fraction of {1 - p:.2f} "
            f"the speedup should approach but never exceed {limit:.4g}"
        )


@pytest.mark.task("amdahl")
@pytest.mark.parametrize("p, n", [(-0.1, 2), (1.5, 2), (0.5, 0), (0.5, 0.5)])
def test_amdahl_rejects_impossible_inputs(exercise, p, n):
    with pytest.raises(ValueError):
        exercise.amdahl_speedup(p, n)


# ---- task 2: Gustafson's law -----------------------------------------------------


@pytest.mark.task("gustafson")
@pytest.mark.parametrize(
    "p, n, expected",
    [
        (0.5, 2, 1.5),
        (0.9, 4, 3.7),
        (0.95, 64, 0.05 + 0.95 * 64),
        (0.2, 10, 2.8),
        (0.0, 16, 1.0),
        (1.0, 16, 16.0),
        (0.7, 1, 1.0),
    ],
)
def test_gustafson_gives_the_scaled_speedup(exercise, p, n, expected):
    got = plain(exercise.gustafson_speedup(p, n))
    assert close(got, expected), f"gustafson_speedup({p}, {n}) returned {got!r}, expected {expected!r}"


@pytest.mark.task("gustafson")
def test_gustafson_keeps_growing_where_amdahl_levels_off(exercise):
    got = plain(exercise.gustafson_speedup(0.9, 1000))
    assert close(got, 900.1), (
        f"gustafson_speedup(0.9, 1000) returned {got!r}, expected 900.1: when the problem grows "
        "with the machine, the scaled speedup grows linearly with n"
    )


@pytest.mark.task("gustafson")
@pytest.mark.parametrize("p, n", [(-0.1, 2), (1.5, 2), (0.5, 0)])
def test_gustafson_rejects_impossible_inputs(exercise, p, n):
    with pytest.raises(ValueError):
        exercise.gustafson_speedup(p, n)


# ---- task 3: from a measured speedup back to p ---------------------------------


@pytest.mark.task("fraction_from_speedup")
@pytest.mark.parametrize(
    "s, n, expected",
    [
        (2.0, 2, 1.0),
        (1.0, 4, 0.0),
        (1.6, 2, 0.75),
        (2.5, 4, 0.8),
        (1 / (0.1 + 0.9 / 8), 8, 0.9),
    ],
)
def test_the_parallel_fraction_is_read_back_from_a_speedup(exercise, s, n, expected):
    got = plain(exercise.parallel_fraction_from_speedup(s, n))
    assert close(got, expected), (
        f"parallel_fraction_from_speedup({s}, {n}) returned {got!r}, expected {expected!r}"
    )


@pytest.mark.task("fraction_from_speedup")
def test_the_parallel_fraction_is_not_clipped(exercise):
    slowdown = plain(exercise.parallel_fraction_from_speedup(0.8, 2))
    assert close(slowdown, -0.5), (
        f"parallel_fraction_from_speedup(0.8, 2) returned {slowdown!r}, expected -0.5 "
        "(a slowdown means overhead the law does not model: report it, do not clip it)"
    )
    superlinear = plain(exercise.parallel_fraction_from_speedup(2.5, 2))
    assert close(superlinear, 1.2), (
        f"parallel_fraction_from_speedup(2.5, 2) returned {superlinear!r}, expected 1.2"
    )


@pytest.mark.task("fraction_from_speedup")
@pytest.mark.parametrize("s, n", [(0, 4), (-1.0, 4), (1.5, 1), (1.5, 0.5)])
def test_the_parallel_fraction_rejects_impossible_inputs(exercise, s, n):
    with pytest.raises(ValueError):
        exercise.parallel_fraction_from_speedup(s, n)

"""Graded tests for exercises/ch01_concepts/amdahl.py (Amdahl's and Gustafson's laws).

Hand-picked cases cover the edges; hypothesis then checks each law against the
formula the book gives (the sequential oracle below) across the whole allowed
range, with a fixed, derandomized profile so every grading run sees the same
inputs.
"""

import math

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from course.testing import plain

# Reproducible and quick: the same examples in every run, no example database,
# and no shrinking (the hand-picked cases above already show the small failures).
EXAMPLES = settings(derandomize=True, max_examples=25, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

FRACTIONS = st.floats(0.0, 1.0)
WORKERS = st.floats(1.0, 1e6)  # fractional worker counts are allowed


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def amdahl_oracle(p, n):
    return 1.0 / ((1.0 - p) + p / n)


def gustafson_oracle(p, n):
    return (1.0 - p) + p * n


def fraction_oracle(s, n):
    return (1.0 - 1.0 / s) / (1.0 - 1.0 / n)


def assert_rejected(call, *args):
    """`call(*args)` must raise ValueError; say what it did instead."""
    try:
        got = call(*args)
    except ValueError:
        return
    except Exception as error:  # the wrong kind of error: name it
        pytest.fail(f"{call.__name__}{args} raised {type(error).__name__}: {error}; expected ValueError", pytrace=False)
    pytest.fail(f"{call.__name__}{args} returned {got!r}; expected ValueError", pytrace=False)


def assert_value(call, args, expected):
    got = plain(call(*args))
    assert close(got, expected), f"{call.__name__}{args} returned {got!r}, expected {expected!r}"

# Impossible inputs, right at the limits and far from them.
BAD_FRACTIONS = [-0.1, -1e-9, 1.0 + 1e-9, 1.5]
BAD_WORKERS = [0, 0.5, 1.0 - 1e-9, -3]


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
@pytest.mark.parametrize("p, n", [(p, 2) for p in BAD_FRACTIONS] + [(0.5, n) for n in BAD_WORKERS])
def test_amdahl_rejects_impossible_inputs(exercise, p, n):
    assert_rejected(exercise.amdahl_speedup, p, n)


@pytest.mark.task("amdahl")
def test_amdahl_accepts_a_fractional_number_of_workers(exercise):
    assert_value(exercise.amdahl_speedup, (0.5, 2.5), 1 / (0.5 + 0.2))
    assert_value(exercise.amdahl_speedup, (0.8, 1.25), 1 / (0.2 + 0.64))


@pytest.mark.task("amdahl")
@EXAMPLES
@given(p=FRACTIONS, n=WORKERS)
def test_amdahl_matches_the_law_everywhere_in_range(exercise, p, n):
    assert_value(exercise.amdahl_speedup, (p, n), amdahl_oracle(p, n))


@pytest.mark.task("amdahl")
@EXAMPLES
@given(p=st.one_of(st.floats(max_value=-1e-12, allow_nan=False, allow_infinity=False),
                   st.floats(min_value=1 + 1e-12, allow_nan=False, allow_infinity=False)), n=WORKERS)
def test_amdahl_rejects_every_fraction_outside_0_1(exercise, p, n):
    assert_rejected(exercise.amdahl_speedup, p, n)


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
@pytest.mark.parametrize("p, n", [(p, 2) for p in BAD_FRACTIONS] + [(0.5, n) for n in BAD_WORKERS])
def test_gustafson_rejects_impossible_inputs(exercise, p, n):
    assert_rejected(exercise.gustafson_speedup, p, n)


@pytest.mark.task("gustafson")
def test_gustafson_accepts_a_fractional_number_of_workers(exercise):
    assert_value(exercise.gustafson_speedup, (0.5, 2.5), 0.5 + 1.25)


@pytest.mark.task("gustafson")
@EXAMPLES
@given(p=FRACTIONS, n=WORKERS)
def test_gustafson_matches_the_law_everywhere_in_range(exercise, p, n):
    assert_value(exercise.gustafson_speedup, (p, n), gustafson_oracle(p, n))


@pytest.mark.task("gustafson")
@EXAMPLES
@given(p=FRACTIONS, n=st.floats(max_value=1 - 1e-12, allow_nan=False, allow_infinity=False))
def test_gustafson_rejects_every_worker_count_below_one(exercise, p, n):
    assert_rejected(exercise.gustafson_speedup, p, n)


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
        f"parallel_fraction_from_speedup(0.8, 2) returned {slowdown!r}, expected -0.5 (a slowdown gives a negative p)"
    )
    superlinear = plain(exercise.parallel_fraction_from_speedup(2.5, 2))
    assert close(superlinear, 1.2), (
        f"parallel_fraction_from_speedup(2.5, 2) returned {superlinear!r}, expected 1.2 (a super-linear speedup gives p > 1)"
    )


@pytest.mark.task("fraction_from_speedup")
@pytest.mark.parametrize("s, n", [(0, 4), (0.0, 2), (-1e-9, 4), (-1.0, 4), (1.5, 1), (1.0, 1), (1.5, 0.5), (1.5, 0), (2.0, -2)])
def test_the_parallel_fraction_rejects_impossible_inputs(exercise, s, n):
    assert_rejected(exercise.parallel_fraction_from_speedup, s, n)


@pytest.mark.task("fraction_from_speedup")
def test_the_parallel_fraction_just_inside_the_limits(exercise):
    assert_value(exercise.parallel_fraction_from_speedup, (1.0, 1.5), 0.0)
    assert_value(exercise.parallel_fraction_from_speedup, (1e-3, 2), fraction_oracle(1e-3, 2))
    assert_value(exercise.parallel_fraction_from_speedup, (1.001, 1 + 1e-6), fraction_oracle(1.001, 1 + 1e-6))


@pytest.mark.task("fraction_from_speedup")
@EXAMPLES
@given(s=st.floats(1e-3, 1e3), n=st.floats(1.001, 1e6))
def test_the_parallel_fraction_matches_the_inverted_law(exercise, s, n):
    got = plain(exercise.parallel_fraction_from_speedup(s, n))
    expected = fraction_oracle(s, n)
    assert math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9), (
        f"parallel_fraction_from_speedup({s!r}, {n!r}) returned {got!r}, expected {expected!r}"
    )


@pytest.mark.task("fraction_from_speedup")
@EXAMPLES
@given(p=FRACTIONS, n=st.floats(1.01, 1e4))
def test_the_parallel_fraction_undoes_amdahls_law(exercise, p, n):
    s = amdahl_oracle(p, n)
    got = plain(exercise.parallel_fraction_from_speedup(s, n))
    assert math.isclose(got, p, rel_tol=1e-7, abs_tol=1e-7), (
        f"parallel_fraction_from_speedup({s!r}, {n!r}) returned {got!r}; Amdahl's law gives that speedup for p = {p!r}"
    )

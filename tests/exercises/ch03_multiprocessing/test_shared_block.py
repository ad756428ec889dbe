"""Graded tests for exercises/ch03_multiprocessing/shared_block.py.

The functions handed to the workers check that they were given a view of
the shared block itself (a memoryview of doubles over a memory map), so a
copy sent by pickling fails. Which call changed which value is read back
from the block: each call stamps its slice with its process and call number.
Leftover blocks are looked for in /dev/shm and in this process's own memory
maps; the course's leak check looks again after every test.
"""

import functools
import os
import sys
from pathlib import Path

import psutil
import pytest

from course.testing import assert_rejected, plain

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
import ch03_probes  # noqa: E402

SHM = Path("/dev/shm")


def blocks():
    """Python's shared-memory blocks in /dev/shm (other programs keep segments there too)."""
    return {p.name for p in SHM.iterdir() if p.name.startswith("psm_")}


def mapped_blocks():
    """Blocks in /dev/shm this process still has mapped (closed or not unlinked yet)."""
    return sorted({m.path for m in psutil.Process().memory_maps()
                   if m.path.startswith("/dev/shm/psm_")})


def call(fn, values, mp_context, workers):
    return f"apply_in_place({fn.__name__}, {values!r}, workers={workers}) under {mp_context.get_start_method()}"


# ---- task: the values go through the block and come back changed ----------------------


@pytest.mark.task("round_trip")
@pytest.mark.parametrize(
    "count, parts, expected",
    [(7, 3, [(0, 3), (3, 5), (5, 7)]), (4, 4, [(0, 1), (1, 2), (2, 3), (3, 4)]), (5, 1, [(0, 5)]),
     (8, 3, [(0, 3), (3, 6), (6, 8)]), (6, 2, [(0, 3), (3, 6)])],
)
def test_slices_are_contiguous_and_even_larger_first(exercise, count, parts, expected):
    got = exercise.slices(count, parts)
    assert [tuple(s) for s in got] == expected and plain([list(s) for s in got]), (
        f"slices({count}, {parts}) returned {got!r}, expected {expected!r}"
    )


@pytest.mark.task("round_trip")
@pytest.mark.parametrize("count, parts", [(3, 0), (3, 4), (0, 1), (2, -1)])
def test_slices_reject_impossible_splits(exercise, count, parts):
    assert_rejected(f"slices({count}, {parts})", lambda: exercise.slices(count, parts))


@pytest.mark.task("round_trip")
@pytest.mark.parametrize("workers", [1, 2, 5])
def test_every_value_comes_back_changed_in_place(exercise, mp_context, workers):
    values = [1, 2.5, -3, 0, 10]
    got = exercise.apply_in_place(ch03_probes.double_in_place, (v for v in values), workers=workers, mp_context=mp_context)
    expected = [2 * v + 0.5 for v in values]
    assert type(got) is list and plain(got) == expected and all(type(v) is float for v in got), (
        f"{call(ch03_probes.double_in_place, values, mp_context, workers)} returned {got!r}, expected {expected!r}"
    )


@pytest.mark.task("round_trip")
@pytest.mark.parametrize("count, workers", [(7, 3), (5, 2), (2, 4)])
def test_each_slice_is_one_call_of_fn(exercise, mp_context, count, workers):
    got = exercise.apply_in_place(ch03_probes.mark_call, [0.0] * count, workers=workers, mp_context=mp_context)
    runs = []
    for token in got:
        if runs and runs[-1][0] == token:
            runs[-1][1] += 1
        else:
            runs.append([token, 1])
    parts = min(count, workers)
    sizes = [count // parts + (k < count % parts) for k in range(parts)]
    assert [size for _, size in runs] == sizes and len({t for t, _ in runs}) == parts, (
        f"{call(ch03_probes.mark_call, [0.0] * count, mp_context, workers)}: fn was called on slices of sizes "
        f"{[size for _, size in runs]}; expected one call per slice of sizes {sizes}"
    )
    pids = {int(token) // 1000 for token, _ in runs}
    assert os.getpid() not in pids, "fn ran in the calling process; it must run in worker processes"


@pytest.mark.task("round_trip")
def test_no_values_and_the_default_context(exercise):
    assert plain(exercise.apply_in_place(ch03_probes.double_in_place, [])) == [], "apply_in_place(fn, []) should return []"
    got = exercise.apply_in_place(ch03_probes.double_in_place, [1.0])
    assert plain(got) == [2.5], f"apply_in_place(double_in_place, [1.0]) returned {got!r}, expected [2.5]"


# ---- task: the block is released on every path ----------------------------------------


@pytest.mark.task("released")
def test_the_block_is_unlinked_and_closed_after_a_call(exercise, mp_context):
    before = blocks()
    exercise.apply_in_place(ch03_probes.double_in_place, [1.0, 2.0, 3.0], workers=2, mp_context=mp_context)
    assert blocks() - before == set(), f"after apply_in_place returned, /dev/shm still holds {sorted(blocks() - before)}: unlink it"
    mapped = mapped_blocks()
    assert not mapped, f"this process still maps {mapped}: close the block before unlinking it"


@pytest.mark.task("released")
def test_an_error_in_fn_reaches_the_caller_and_the_block_is_unlinked(exercise, mp_context):
    before = blocks()
    with pytest.raises(ZeroDivisionError, match="a negative slice"):
        exercise.apply_in_place(ch03_probes.fail_in_place, [1.0, 2.0, -3.0, 4.0], workers=2, mp_context=mp_context)
    assert blocks() - before == set(), f"after fn raised, /dev/shm still holds {sorted(blocks() - before)}: unlink in a finally"
    mapped = mapped_blocks()
    assert not mapped, f"after fn raised, this process still maps {mapped}: close it in a finally"


@pytest.mark.task("released")
@pytest.mark.parametrize("workers", [0, -2])
def test_fewer_than_one_worker_is_rejected_before_making_a_block(exercise, workers):
    before = blocks()
    assert_rejected(f"apply_in_place(fn, [1.0], workers={workers})",
                    lambda: exercise.apply_in_place(ch03_probes.double_in_place, [1.0], workers=workers))
    assert blocks() - before == set(), f"a rejected call left {sorted(blocks() - before)} in /dev/shm"


# ---- task: the slices are changed at the same time -------------------------------------


@pytest.mark.task("parallel")
@pytest.mark.parametrize("workers", [2, 3])
def test_the_slices_are_worked_on_at_the_same_time(exercise, mp_context, workers):
    values = [5.0] * (2 * workers)
    with mp_context.Manager() as manager:
        fn = functools.partial(ch03_probes.meet_in_place, manager.Barrier(workers))
        got = exercise.apply_in_place(fn, values, workers=workers, mp_context=mp_context)
    assert plain(got) == [1.0] * len(values), (
        f"apply_in_place(fn, {values!r}, workers={workers}) under {mp_context.get_start_method()} returned {got!r}: "
        f"1.0 marks a slice whose call met the other {workers - 1} at once, 0.0 one that waited alone"
    )


@pytest.mark.task("round_trip")
def test_the_defaults_are_the_documented_ones(exercise):
    wrong = ch03_probes.defaults_differ(exercise.apply_in_place, workers=2, mp_context=None)
    assert not wrong, wrong

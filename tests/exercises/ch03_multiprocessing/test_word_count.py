"""Graded tests for exercises/ch03_multiprocessing/word_count.py.

Every pool test runs under fork, spawn and forkserver (the `mp_context`
fixture): a counter passed through a global, a lambda or a nested function
reaches fork workers only. Parallelism is proven by a rendezvous of workers
at a Manager's barrier, never by a stopwatch; the merge order by holding one
text back until a later one is counted.
"""

import functools
import os
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course.testing import assert_rejected, plain

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
import ch03_probes  # noqa: E402

TEXTS = ["the cat sat", "On the mat", "THE END  the\tend\n"]


def serial_count(texts):
    counts = Counter()
    for text in texts:
        counts.update(text.lower().split())
    return dict(counts)


# ---- task: count one text, merge partial counts -------------------------------------


@pytest.mark.task("count_one")
@pytest.mark.parametrize(
    "text, expected",
    [
        ("b a b", [("b", 2), ("a", 1)]),
        ("Dog dog DOG", [("dog", 3)]),
        ("  tabs\tand\nnew lines  ", [("tabs", 1), ("and", 1), ("new", 1), ("lines", 1)]),
        ("", []),
        ("   ", []),
        ("one", [("one", 1)]),
    ],
)
def test_count_words_counts_lower_cased_words_in_first_seen_order(exercise, text, expected):
    got = exercise.count_words(text)
    assert type(got) is dict and plain(list(got.items())) == expected, (
        f"count_words({text!r}) returned {got!r}, expected {dict(expected)!r} with keys in that order"
    )


@pytest.mark.task("count_one")
def test_merge_counts_adds_up_in_first_seen_order(exercise):
    first, second, third = {"b": 1}, {"a": 1, "b": 2}, {"c": 5, "a": 2}
    got = exercise.merge_counts([first, second, third])
    assert type(got) is dict and plain(list(got.items())) == [("b", 3), ("a", 3), ("c", 5)], (
        f"merge_counts([{{'b': 1}}, {{'a': 1, 'b': 2}}, {{'c': 5, 'a': 2}}]) returned {got!r}, "
        "expected {'b': 3, 'a': 3, 'c': 5} with keys in that order"
    )
    assert (first, second, third) == ({"b": 1}, {"a": 1, "b": 2}, {"c": 5, "a": 2}), (
        "merge_counts changed the partial counts it was given"
    )
    assert got is not first, "merge_counts returned the first partial itself, not a new dict"


@pytest.mark.task("count_one")
def test_merge_counts_of_nothing_is_empty_and_takes_a_generator(exercise):
    assert plain(exercise.merge_counts([])) == {}, "merge_counts([]) should be {}"
    got = exercise.merge_counts(p for p in [{"x": 1}, {"x": 4}])
    assert plain(got) == {"x": 5}, f"merge_counts(<a generator>) returned {got!r}, expected {{'x': 5}}"


@settings(max_examples=40, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet="abAB \n", max_size=12), max_size=5))
@pytest.mark.task("count_one")
def test_merged_counts_equal_a_serial_count(exercise, texts):
    got = exercise.merge_counts([exercise.count_words(t) for t in texts])
    assert plain(got) == serial_count(texts), f"merging the counts of {texts!r} gave {got!r}"


# ---- task: word_count in a pool of processes, under every start method ---------------


def call(texts, mp_context, **options):
    shown = ", ".join(f"{k}={getattr(v, '__name__', v)}" for k, v in options.items())
    return f"word_count({texts!r}{', ' if shown else ''}{shown}) under {mp_context.get_start_method()}"


@pytest.mark.task("in_processes")
def test_word_count_counts_every_text(exercise, mp_context):
    got = exercise.word_count(iter(TEXTS), workers=2, mp_context=mp_context)
    expected = serial_count(TEXTS)
    assert type(got) is dict and plain(got) == expected, f"{call(TEXTS, mp_context)} returned {got!r}, expected {expected!r}"


@pytest.mark.task("in_processes")
def test_word_count_uses_the_counter_it_is_given_in_every_worker(exercise, mp_context):
    texts = ["a b", "b c", "c d", "d a"]
    got = exercise.word_count(texts, workers=2, mp_context=mp_context, counter=ch03_probes.shout_counter)
    expected = {"A": 4, "B": 4, "C": 4, "D": 4}
    assert plain(got) == expected, (
        f"{call(texts, mp_context, counter=ch03_probes.shout_counter)} returned {got!r}, expected {expected!r}: "
        "every worker must run the counter passed in (pass it along with the task, not through a global)"
    )


@pytest.mark.task("in_processes")
def test_word_count_merges_in_text_order_whatever_finishes_first(exercise, mp_context):
    texts = ["late x", "y z done"]
    with mp_context.Manager() as manager:
        counter = functools.partial(ch03_probes.last_first_counter, manager.Event())
        got = exercise.word_count(texts, workers=2, mp_context=mp_context, counter=counter)
    assert plain(list(got.items())) == [("late", 1), ("x", 1), ("y", 1), ("z", 1), ("done", 1)], (
        f"{call(texts, mp_context)} returned {got!r} while the first text finished last: "
        "merge the partial counts in the order of the texts, not the order they finish"
    )


@pytest.mark.task("in_processes")
@pytest.mark.parametrize("texts", [[], ["solo text solo"]])
def test_word_count_of_no_text_or_one_text(exercise, mp_context, texts):
    got = exercise.word_count(texts, workers=3, mp_context=mp_context)
    assert plain(got) == serial_count(texts), f"{call(texts, mp_context)} returned {got!r}"


@pytest.mark.task("in_processes")
def test_word_count_with_one_worker_and_the_default_context(exercise):
    got = exercise.word_count(TEXTS, workers=1)
    assert plain(got) == serial_count(TEXTS), f"word_count({TEXTS!r}, workers=1) returned {got!r}"


@pytest.mark.task("in_processes")
def test_word_count_reraises_the_counters_error(exercise, mp_context):
    texts = ["fine", "boom here", "fine again"]
    with pytest.raises(KeyError, match="no count for 'boom here'"):
        exercise.word_count(texts, workers=2, mp_context=mp_context, counter=ch03_probes.failing_counter)


@pytest.mark.task("in_processes")
@pytest.mark.parametrize("workers", [0, -1])
def test_word_count_rejects_fewer_than_one_worker(exercise, workers):
    assert_rejected(f"word_count(['a'], workers={workers})", lambda: exercise.word_count(["a"], workers=workers))


# ---- task: the texts are counted in several processes at once ------------------------


@pytest.mark.task("parallel")
def test_texts_are_counted_in_worker_processes_at_the_same_time(exercise, mp_context):
    texts = ["a b", "c d"]
    with mp_context.Manager() as manager:
        counter = functools.partial(ch03_probes.meeting_counter, manager.Barrier(2))
        got = exercise.word_count(texts, workers=2, mp_context=mp_context, counter=counter)
    pids = {key for key in got if key.startswith("pid:")}
    assert "met" in got, (
        f"{call(texts, mp_context)} returned {got!r}: the counter passed in never ran in the workers; "
        "hand it to the pool with each task, not through a global"
    )
    assert got.get("met") == 2, (
        f"{call(texts, mp_context)}: the two texts were not counted at the same time "
        f"(got {got!r}); run them in a pool of `workers` processes, not one after another"
    )
    assert len(pids) == 2 and f"pid:{os.getpid()}" not in pids, (
        f"{call(texts, mp_context)} counted in {sorted(pids)}; expected two worker processes other than the caller"
    )
    assert {k: v for k, v in got.items() if k not in pids and k != "met"} == {"a": 1, "b": 1, "c": 1, "d": 1}


@pytest.mark.task("in_processes")
def test_the_defaults_are_the_documented_ones(exercise):
    wrong = ch03_probes.defaults_differ(exercise.word_count, workers=2, mp_context=None, counter=exercise.count_words)
    assert not wrong, wrong

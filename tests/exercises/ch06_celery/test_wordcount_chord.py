"""Graded tests for exercises/ch06_celery/wordcount_chord.py.

The serial oracle is collections.Counter over every document's words. A real
worker (two threads) on the configured broker runs the job; the tokenizer
handed to `register` is the test's probe: it counts calls per document and
holds each map task until two are inside at once (course.testing.Overlap), so
"the map tasks ran in parallel" is observed, never timed. A chord whose header
results are lost never finishes: every wait has a deadline.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from course.testing import Overlap, plain
from course.testing.celery import finished, isolated_app, running_worker

RESULT_TIMEOUT = 10.0
DOCUMENTS = [
    "the quick brown fox",
    "The lazy dog and THE fox",
    "",
    "a b c a b a",
    "dog eat dog",
]


def oracle(documents):
    return dict(Counter(word for text in documents for word in text.lower().split()))


class Tokenizer:
    """words(), plus a record of which texts it saw and how many ran at once."""

    def __init__(self, exercise, hold_until=0):
        self.words = exercise.words
        self.probe = Overlap(hold_until=hold_until, hold_timeout=2.0)
        self.seen: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, text):
        with self.probe.region():
            with self._lock:
                self.seen.append(text)
            return self.words(text)


def run_job(exercise, documents, tokenizer):
    with isolated_app() as app:
        count, merge = exercise.register(app, tokenizer)
        with running_worker(app):
            job = exercise.word_count_job(count, merge, documents)
            return plain(finished(job.apply_async(), RESULT_TIMEOUT, f"word_count_job over {len(documents)} documents"))


@pytest.mark.task("counts")
def test_the_job_counts_every_word_of_every_document(exercise):
    got = run_job(exercise, DOCUMENTS, Tokenizer(exercise))
    assert got == oracle(DOCUMENTS), f"word_count_job over {DOCUMENTS} gave {got}, expected {oracle(DOCUMENTS)}"


@pytest.mark.task("counts")
def test_words_splits_on_whitespace_and_lowercases(exercise):
    assert plain(exercise.words("  The\tcat\nTHE  end ")) == ["the", "cat", "the", "end"]
    assert plain(exercise.words("")) == []


@pytest.mark.task("counts")
def test_no_documents_count_nothing_and_one_document_counts_itself(exercise):
    assert run_job(exercise, [], Tokenizer(exercise)) == {}, "word_count_job over no documents should give {}"
    assert run_job(exercise, ["x y x"], Tokenizer(exercise)) == {"x": 2, "y": 1}


@pytest.mark.task("one_task_per_document")
def test_each_document_is_tokenized_once_by_a_map_task(exercise):
    tokenizer = Tokenizer(exercise)
    documents = ["one two", "three", "four five six", "one"]
    got = run_job(exercise, documents, tokenizer)
    assert got == oracle(documents)
    assert sorted(tokenizer.seen) == sorted(documents), (
        f"the tokenizer saw {tokenizer.seen}; each document must be tokenized once, by its own map task"
    )


@pytest.mark.task("map_in_parallel")
def test_map_tasks_run_at_the_same_time_on_two_worker_threads(exercise):
    tokenizer = Tokenizer(exercise, hold_until=2)
    documents = ["a b", "c d", "e f", "g h"]
    got = run_job(exercise, documents, tokenizer)
    assert got == oracle(documents)
    assert tokenizer.probe.max_inside >= 2, (
        f"at most {tokenizer.probe.max_inside} map task ran at once on a worker with two threads: "
        "send the map tasks together (a group or chord header), not one after another"
    )

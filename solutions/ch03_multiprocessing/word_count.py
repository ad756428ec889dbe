"""A parallel word count: map over processes, then reduce in the caller.

Each text is counted in a worker process (`Pool.map`), and the partial counts
are merged in the caller. Two hazards hide here. A worker started by spawn or
forkserver is a fresh interpreter: it receives its function and arguments by
pickling and sees this module only as it is when imported, so a lambda, a
nested function or a global set at run time works under fork and nowhere else.
And a merge that takes partial results in the order they finish gives a
different answer from run to run.
"""

from __future__ import annotations

import multiprocessing
from typing import Callable, Iterable

Counts = dict[str, int]


def count_words(text: str) -> Counts:
    """How often each word occurs in `text`.

    Words are what `str.split()` separates (any run of whitespace), lower-cased.
    The keys are in the order each word first occurs.
    """
    counts: Counts = {}
    for word in text.lower().split():
        counts[word] = counts.get(word, 0) + 1
    return counts


def merge_counts(partials: Iterable[Counts]) -> Counts:
    """Add up partial counts into a new dict, without changing any of them.

    The keys are in the order they first occur, taking the partials in the
    order given: merging [{"b": 1}, {"a": 1, "b": 2}] gives {"b": 3, "a": 1}.
    """
    total: Counts = {}
    for partial in partials:
        for word, count in partial.items():
            total[word] = total.get(word, 0) + count
    return total


def word_count(
    texts: Iterable[str],
    *,
    workers: int = 2,
    mp_context=None,
    counter: Callable[[str], Counts] = count_words,
) -> Counts:
    """Count the words of every text, in a pool of `workers` processes.

    Each text is one task: `counter(text)` runs in a worker process started
    from `mp_context` (a multiprocessing context; None means the default one),
    so it works under fork, spawn and forkserver alike; `counter` is a
    module-level function. The result equals merge_counts of the partial counts
    taken in text order, whatever order the workers finish in. `texts` may be
    any iterable, empty too ({}). Raise ValueError if workers < 1, before
    starting anything. An exception raised by `counter` reaches the caller with
    its own type. No worker process is left running on return, normal or not.
    """
    context = mp_context or multiprocessing.get_context()
    with context.Pool(workers) as pool:  # raises ValueError itself for workers < 1
        partials = pool.map(counter, list(texts))  # every result is in: the exit may terminate
    return merge_counts(partials)

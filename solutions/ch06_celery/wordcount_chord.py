"""A word count as a map-reduce: one map task per document, a chord to merge them."""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable

from celery import chord


def words(text: str) -> list[str]:
    """The words of a text: split on whitespace, lower-cased."""
    return text.lower().split()


def register(app: Any, tokenize: Callable[[str], list[str]] = words) -> tuple[Any, Any]:
    """Register and return the tasks (count, merge) on `app`."""

    @app.task
    def count(text: str) -> dict[str, int]:
        return dict(Counter(tokenize(text)))

    @app.task
    def merge(partials: list[dict[str, int]]) -> dict[str, int]:
        total: Counter = Counter()
        for partial in partials:
            total.update(partial)
        return dict(total)

    return count, merge


def word_count_job(count: Any, merge: Any, documents: list[str]) -> Any:
    """The whole job as one signature: a chord of `count` per document, `merge` as its body."""
    return chord([count.s(text) for text in documents], merge.s())

"""Buggy: serial work behind a parallel API.

The Semaphore bounds fetch() correctly, but fetch_all() calls it in a plain
loop: one download at a time, whatever the limit. The results are right and
the bound is never exceeded; only the observed overlap (1, never `limit`)
shows that it wastes the N connections it was allowed.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Sequence

LOSES = ["really_limit"]


class LimitedFetcher:
    def __init__(self, download: Callable[[str], Any], limit: int):
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit!r}")
        self.limit = limit
        self._download = download
        self._slots = threading.Semaphore(limit)

    def fetch(self, url: str) -> Any:
        with self._slots:
            return self._download(url)

    def fetch_all(self, urls: Sequence[str]) -> list[Any]:
        return [self.fetch(url) for url in urls]

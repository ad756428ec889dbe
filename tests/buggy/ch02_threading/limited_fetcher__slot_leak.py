"""Buggy: a failed download never gives its slot back.

fetch() calls acquire(), then download(), then release(): when download raises,
release() is skipped. Every failure permanently removes one slot; after `limit`
failures every later fetch blocks forever. Release in `finally` (or use the
semaphore as a context manager).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Sequence

LOSES = ["failure_frees_slot", "every_schedule"]


class LimitedFetcher:
    def __init__(self, download: Callable[[str], Any], limit: int):
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit!r}")
        self.limit = limit
        self._download = download
        self._slots = threading.Semaphore(limit)

    def fetch(self, url: str) -> Any:
        self._slots.acquire()
        page = self._download(url)
        self._slots.release()
        return page

    def fetch_all(self, urls: Sequence[str]) -> list[Any]:
        if not urls:
            return []
        with ThreadPoolExecutor(max_workers=min(self.limit, len(urls))) as pool:
            return list(pool.map(self.fetch, urls))

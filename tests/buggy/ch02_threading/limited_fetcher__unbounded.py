"""Buggy: no limit at all.

fetch_all starts one thread per URL and every thread downloads at once; fetch()
lets any number of callers in. With 10,000 URLs that is 10,000 connections to
one server. The results are right, so only watching how many downloads are in
flight at once shows the bug.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Sequence

LOSES = ["at_most_limit", "every_schedule"]


class LimitedFetcher:
    def __init__(self, download: Callable[[str], Any], limit: int):
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit!r}")
        self.limit = limit
        self._download = download

    def fetch(self, url: str) -> Any:
        return self._download(url)

    def fetch_all(self, urls: Sequence[str]) -> list[Any]:
        results: list[Any] = [None] * len(urls)
        errors: list[BaseException] = []

        def work(index: int, url: str) -> None:
            try:
                results[index] = self.fetch(url)
            except BaseException as error:  # noqa: BLE001
                errors.append(error)

        threads = [threading.Thread(target=work, args=(i, url)) for i, url in enumerate(urls)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        return results

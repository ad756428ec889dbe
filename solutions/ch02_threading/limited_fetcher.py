"""At most N downloads in flight (reference solution).

A BoundedSemaphore with N permits bounds the downloads, whichever threads call
`fetch`: a caller takes a permit before downloading and gives it back in
`finally` (the `with` block), so a download that fails frees its slot too.
`fetch_all` hands the URLs to a ThreadPoolExecutor of N worker threads: as soon
as one download finishes, its worker starts the next URL, so N stay in flight
until the work runs out. `pool.map` returns results in input order and
re-raises the first exception; leaving the `with` block joins the workers.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Sequence


class LimitedFetcher:
    """Calls `download(url)` with at most `limit` calls in progress (limit < 1: ValueError).

    One limit for the whole fetcher: downloads started by fetch() in any
    thread and by any number of fetch_all() calls count against it together.
    """

    def __init__(self, download: Callable[[str], Any], limit: int):
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit!r}")
        self.limit = limit
        self._download = download
        self._slots = threading.BoundedSemaphore(limit)

    def fetch(self, url: str) -> Any:
        """download(url), waiting first while `limit` downloads are in flight.

        If download raises, fetch raises that exception, and the slot is free
        again either way.
        """
        with self._slots:  # released even when download raises
            return self._download(url)

    def fetch_all(self, urls: Sequence[str]) -> list[Any]:
        """Every download, `limit` at a time, results in the order of `urls`.

        One download per entry of `urls` (a URL listed twice is downloaded
        twice); no URLs: []. min(limit, len(urls)) downloads stay in flight
        while there are URLs left, counted against the fetcher's one limit. If
        downloads raise, fetch_all raises the exception of the first failing
        URL in the order of `urls`. Whether it returns or raises, every thread
        it started has finished by then.
        """
        if not urls:
            return []
        workers = min(self.limit, len(urls))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch") as pool:
            return list(pool.map(self.fetch, urls))

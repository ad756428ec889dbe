"""Exercise: keep at most N downloads in flight.

A crawler that opens 10,000 connections at once gets itself banned; one that
downloads one page at a time wastes the N connections the server allows. Build
`LimitedFetcher(download, limit)`:

- `fetch(url)` calls `download(url)` and returns its result, but never lets
  more than `limit` downloads run at once, whichever threads call it and
  whether they call fetch or fetch_all: one limit for both;
- `fetch_all(urls)` downloads every URL concurrently, keeping `limit` downloads
  in flight while there is work (a finished download's slot is reused at once,
  not after a whole batch), and returns the results in the order of `urls`.
  If a download raises, fetch_all raises that exception in the caller's thread
  (the first failing URL's, in the order of `urls`). It returns or raises only
  after every thread it started has finished.

Hazards: a slot taken and not given back when `download` raises (the next
callers wait forever); a "parallel" API that runs serially; threads left running.
Useful tools: threading.Semaphore / BoundedSemaphore, concurrent.futures.ThreadPoolExecutor.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence


class LimitedFetcher:
    """Calls `download(url)` with at most `limit` calls in progress (limit < 1: ValueError).

    One limit for the whole fetcher: downloads started by fetch() in any
    thread and by any number of fetch_all() calls count against it together.
    """

    def __init__(self, download: Callable[[str], Any], limit: int):
        raise NotImplementedError("TODO: keep download and limit, and something that counts free slots")

    def fetch(self, url: str) -> Any:
        """download(url), waiting first while `limit` downloads are in flight.

        If download raises, fetch raises that exception, and the slot is free
        again either way.
        """
        raise NotImplementedError("TODO: take a slot, download, give the slot back (even on error)")

    def fetch_all(self, urls: Sequence[str]) -> list[Any]:
        """Every download, `limit` at a time, results in the order of `urls`.

        One download per entry of `urls` (a URL listed twice is downloaded
        twice); no URLs: []. min(limit, len(urls)) downloads stay in flight
        while there are URLs left, counted against the fetcher's one limit. If
        downloads raise, fetch_all raises the exception of the first failing
        URL in the order of `urls`. Whether it returns or raises, every thread
        it started has finished by then.
        """
        raise NotImplementedError("TODO: run the fetches concurrently and collect the results in order")

"""Retries with exponential backoff, a cap and full jitter, for transient errors only.

A flaky service fails now and then with ConnectionError or TimeoutError;
asking again a little later usually works. Any other exception is a bug or a
bad request: asking again gives the same answer, so the task fails at once.
"""

from __future__ import annotations

import random
from typing import Any, Callable

TRANSIENT = (ConnectionError, TimeoutError)


def backoff_delay(retries: int, base: float, cap: float, rng: Any = random) -> float:
    """The delay before retry number `retries + 1`: full jitter.

    One draw `rng.uniform(0, min(cap, base * 2 ** retries))`, returned as is.
    ValueError if retries < 0, base <= 0 or cap < base.
    """
    if retries < 0 or base <= 0 or cap < base:
        raise ValueError(f"need retries >= 0, base > 0 and cap >= base; got {retries}, {base}, {cap}")
    return rng.uniform(0, min(cap, base * 2 ** retries))


def register(app: Any, service: Callable[[str], Any], base: float = 0.05, cap: float = 2.0,
             max_retries: int = 5, rng: Any = random) -> Any:
    """Register and return the task `fetch(key)`: `service(key)`, retried on transient errors."""

    @app.task(bind=True)
    def fetch(self, key: str) -> Any:
        try:
            return service(key)
        except TRANSIENT:
            if self.request.retries >= max_retries:
                raise  # no retry left: fail with the service's own error
            delay = backoff_delay(self.request.retries, base, cap, rng)
            raise self.retry(countdown=delay, max_retries=max_retries)

    return fetch

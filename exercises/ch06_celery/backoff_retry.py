"""Exercise: retries with exponential backoff, a cap and jitter, for transient errors only.

A flaky service fails now and then with ConnectionError or TimeoutError; asking
again a little later usually works. Any other exception (ValueError, KeyError,
PermissionError, ...) is a bug or a bad request: asking again gives the same
answer, so the task must fail at once, with that exception.

Waiting a fixed time between retries makes every client that failed together
retry together; doubling the wait each time spreads them out, a cap keeps the
wait sane, and jitter (a random point below the bound) keeps them from moving
in step. Build:

- `backoff_delay(retries, base, cap, rng)`: the delay before the next try after
  `retries` retries so far: exactly one draw `rng.uniform(0, min(cap, base * 2 ** retries))`,
  returned as drawn ("full jitter"). ValueError if retries < 0, base <= 0 or cap < base.
- `register(app, service, base, cap, max_retries, rng)`: registers and returns the
  task `fetch(key)`, which returns `service(key)`. On ConnectionError or
  TimeoutError it retries itself (`self.retry`) after `backoff_delay(retries so
  far, base, cap, rng)` seconds, at most `max_retries` times; when no retry is
  left it fails with that last error itself (not MaxRetriesExceededError),
  without drawing a delay: one draw per retry made.
  Any other error: the task fails with it at once, without drawing a delay.
  Defaults: base 0.05 s, cap 2 s, max_retries 5, rng the random module.

Hazards: retrying everything (a bad request is sent max_retries + 1 times); no
limit; a delay without jitter; a delay that is never capped.
"""

from __future__ import annotations

import random
from typing import Any, Callable


def backoff_delay(retries: int, base: float, cap: float, rng: Any = random) -> float:
    """One draw rng.uniform(0, min(cap, base * 2 ** retries)); ValueError on bad arguments."""
    raise NotImplementedError("TODO: check the arguments, then one rng.uniform draw")


def register(app: Any, service: Callable[[str], Any], base: float = 0.05, cap: float = 2.0,
             max_retries: int = 5, rng: Any = random) -> Any:
    """Register and return the task `fetch(key)`: `service(key)`, retried on transient errors."""
    raise NotImplementedError("TODO: @app.task(bind=True) def fetch(self, key); self.retry(exc=..., countdown=..., max_retries=...)")

"""Exercise: a periodic sweep driven by beat: one schedule entry, runs that never overlap.

Beat is Celery's clock: every period it sends a task to the queue, whether or
not the last run has finished. Run exactly one beat; and give the task exactly
one schedule entry, or it runs twice as often. A slow sweep and the next one
can then run at once on two workers, so each run must take a lock first.

`store` is shared by every worker (Redis in production) and offers
`add(key, value) -> bool` (set only if absent, atomically; True if this call
set it), `delete(key)` and `expired() -> list of keys`. Build:

- `register(app, store, handle)`: registers and returns the task `sweep()`. A run
  takes the lock LOCK with store.add; if another run holds it, it returns
  "skipped", handles nothing and leaves the lock to its holder. Otherwise, for each key of store.expired(), it
  calls handle(key) then store.delete(key); it releases LOCK (also when handle
  raises, and then fails with handle's exception) and returns the number of
  keys it handled.
- `schedule(app, task, every)`: makes beat send `task` every `every` seconds:
  one entry named ENTRY in app.conf.beat_schedule, with the task's name and
  `every` as its schedule, however often schedule() is called (a new `every`
  replaces the old); the schedule's other entries stay.

Hazards: a new entry on every call (the sweep runs twice per period); a run
that does not check whether another is running; a lock never released after a
failure (no sweep ever runs again).
"""

from __future__ import annotations

from typing import Any, Callable

LOCK = "sweep:lock"
ENTRY = "sweep"


def register(app: Any, store: Any, handle: Callable[[str], Any]) -> Any:
    """Register and return the task `sweep()` on `app`."""
    raise NotImplementedError("TODO: @app.task def sweep(): lock with store.add, try/finally")


def schedule(app: Any, task: Any, every: float) -> None:
    """One beat entry ENTRY that sends `task` every `every` seconds."""
    raise NotImplementedError("TODO: app.conf.beat_schedule")

"""A periodic sweep driven by beat: one schedule entry, and runs that never overlap.

Beat sends the task on time whether or not the last run has finished, so a
slow sweep and the next one can run at once on two workers. Each run takes a
lock in the shared store first and skips if another run holds it.
`store` offers `add(key, value) -> bool` (set only if absent, atomically),
`delete(key)` and `expired() -> list of keys`.
"""

from __future__ import annotations

from typing import Any, Callable

LOCK = "sweep:lock"
ENTRY = "sweep"


def register(app: Any, store: Any, handle: Callable[[str], Any]) -> Any:
    """Register and return the task `sweep()`.

    One run: take LOCK (store.add); if another run holds it, return "skipped"
    and handle nothing. Otherwise call `handle(key)` then `store.delete(key)`
    for each key of store.expired(), release LOCK (also when handle raises)
    and return the number of keys handled.
    """

    @app.task
    def sweep() -> Any:
        if not store.add(LOCK, "held"):
            return "skipped"
        try:
            keys = store.expired()
            for key in keys:
                handle(key)
                store.delete(key)
            return len(keys)
        finally:
            store.delete(LOCK)

    return sweep


def schedule(app: Any, task: Any, every: float) -> None:
    """Make beat send `task` every `every` seconds: one entry named ENTRY in
    app.conf.beat_schedule, however often this is called; other entries stay."""
    app.conf.beat_schedule = {**(app.conf.beat_schedule or {}), ENTRY: {"task": task.name, "schedule": every}}

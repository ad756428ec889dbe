"""Exercise: progress through a custom state, and a client that reads it honestly.

A long task should say how far it has got. Celery lets a task publish a state
of its own with `self.update_state(state=..., meta={...})`; a client reads it as
`AsyncResult(id).state` and `.info`. One trap: Celery answers PENDING both for a
task that waits in the queue and for an id it has never heard of (a typo, an
expired result, another system's id): the result backend has no record of
either. Only the client knows which ids it submitted. Build:

- `register(app, work)`: registers and returns the task `process(items)`, which
  calls `work(item)` for each item in order and returns the list of results.
  Before the first item, and after each item, it reports the custom state
  "PROGRESS" with meta {"done": items finished so far, "total": len(items)}.
- `Tracker(task)`: `submit(items)` sends one `process(items)` and returns its
  task id (a str); `status(task_id)` returns a plain dict:
  - {"state": "unknown"} for an id this tracker did not submit;
  - {"state": "queued"} for one it submitted that no worker has started;
  - {"state": "running", "done": d, "total": n} while it reports PROGRESS;
  - {"state": "done", "result": [...]} when it succeeded;
  - {"state": "failed", "error": "ValueError: the message"} when it raised.

Hazards: reading PENDING as "queued" (a mistyped id waits forever); progress
reported only at the end; reading `.state` and then `.info` (two reads: the
task may finish in between; `self.task.backend.get_task_meta(task_id)` gives
{"status": ..., "result": ...} in one); calling `.get()` inside a task.
"""

from __future__ import annotations

from typing import Any, Callable


def register(app: Any, work: Callable[[Any], Any]) -> Any:
    """Register and return the task `process(items)` on `app`."""
    raise NotImplementedError("TODO: @app.task(bind=True) def process(self, items), with self.update_state")


class Tracker:
    """Submits `process` tasks and describes them in plain words."""

    def __init__(self, task: Any):
        self.task = task
        raise NotImplementedError("TODO: remember which ids you submit")

    def submit(self, items: list) -> str:
        """Send one `process(items)` task; return its id."""
        raise NotImplementedError("TODO")

    def status(self, task_id: str) -> dict:
        """unknown, queued, running (+ done, total), done (+ result) or failed (+ error)."""
        raise NotImplementedError("TODO: one read of self.task.backend.get_task_meta(task_id)")

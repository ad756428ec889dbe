"""Progress of a long task through a custom state, and a client that reads it honestly.

Celery reports PENDING for a task that waits in the queue and for an id it
has never heard of: the result backend simply has no record of either. Only
the client knows which ids it submitted, so only it can tell the two apart.
"""

from __future__ import annotations

from typing import Any, Callable

PROGRESS = "PROGRESS"


def register(app: Any, work: Callable[[Any], Any]) -> Any:
    """Register and return the task `process(items)`: `work(item)` for each item, in order.

    Before the first item and after each one it reports the custom state
    PROGRESS with meta {"done": items finished, "total": len(items)}; it returns
    the list of work's results.
    """

    @app.task(bind=True)
    def process(self, items: list) -> list:
        results = []
        self.update_state(state=PROGRESS, meta={"done": 0, "total": len(items)})
        for item in items:
            results.append(work(item))
            self.update_state(state=PROGRESS, meta={"done": len(results), "total": len(items)})
        return results

    return process


class Tracker:
    """Submits `process` tasks and describes them in plain words."""

    def __init__(self, task: Any):
        self.task = task
        self.submitted: set[str] = set()

    def submit(self, items: list) -> str:
        """Send one `process(items)` task; return its id."""
        task_id = self.task.delay(items).id
        self.submitted.add(task_id)
        return task_id

    def status(self, task_id: str) -> dict:
        """{"state": ...} with "unknown" (not submitted by this tracker), "queued",
        "running" (+ "done", "total"), "done" (+ "result") or "failed" (+ "error":
        "ExceptionType: message")."""
        if task_id not in self.submitted:
            return {"state": "unknown"}
        # State and info in ONE read: `.state` then `.info` are two reads, and the task
        # may have moved on in between (PROGRESS read, then the final result as "info").
        meta = self.task.backend.get_task_meta(task_id)
        state, info = meta["status"], meta["result"]
        if state == PROGRESS:
            return {"state": "running", "done": info["done"], "total": info["total"]}
        if state == "SUCCESS":
            return {"state": "done", "result": info}
        if state == "FAILURE":
            return {"state": "failed", "error": f"{type(info).__name__}: {info}"}
        return {"state": "queued"}

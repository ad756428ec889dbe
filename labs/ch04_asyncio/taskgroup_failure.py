"""Lab: one child fails; what happens to its siblings under gather and under TaskGroup.

- asyncio.gather raises the first error at once and leaves the other tasks
  running: they are orphans, still working (and spending) after the caller
  has moved on, their cleanup running whenever it runs.
- asyncio.TaskGroup cancels the siblings, waits until their `finally` blocks
  have run, and only then raises an ExceptionGroup: when the `async with`
  block is left, nothing it started is still running.
- Each job records on a timeline when it worked, when it was cancelled and
  when its cleanup ran; the book draws both runs.

Run: python -m labs.ch04_asyncio.taskgroup_failure
"""

from __future__ import annotations

import asyncio

from course.tracing import Timeline, now


class Failed(Exception):
    pass


async def job(name: str, seconds: float, timeline: Timeline, fails=False) -> str:
    """Work for `seconds` (an await), then fail or return; record what happened."""
    start, cancelled = now(), False
    try:
        await asyncio.sleep(seconds)
        if fails:
            raise Failed(f"{name} failed")
        return name
    except asyncio.CancelledError:
        cancelled = True
        raise
    finally:
        stopped = now()
        timeline.add(name, "working", start, stopped)
        await asyncio.sleep(0.02)  # cleanup that awaits: closing a connection
        label = "cleanup after cancel" if cancelled else "cleanup"
        timeline.add(name, label, stopped, now())


JOBS = (("fetch A", 0.3, False), ("fetch B", 0.1, True), ("fetch C", 0.3, False))


async def with_gather(timeline: Timeline) -> float:
    """gather: returns (raises) when the first job fails; the others go on. Time of the raise."""
    tasks = [asyncio.create_task(job(name, s, timeline, fails)) for name, s, fails in JOBS]
    try:
        await asyncio.gather(*tasks)
    except Failed:
        raised = now() - timeline.origin
    still_running = [task.get_name() for task in tasks if not task.done()]
    print(f"gather raised at {raised:.2f} s with {len(still_running)} task(s) still running")
    await asyncio.wait(tasks)  # only so the lab ends cleanly: in real code nobody waits for these orphans
    return raised


async def with_task_group(timeline: Timeline) -> float:
    """TaskGroup: cancels the others and waits for their cleanup before raising."""
    try:
        async with asyncio.TaskGroup() as group:
            for name, seconds, fails in JOBS:
                group.create_task(job(name, seconds, timeline, fails))
    except* Failed as errors:
        raised = now() - timeline.origin
        print(f"TaskGroup raised {errors!r} at {raised:.2f} s, every job finished")
    return raised


def main() -> None:
    for run in (with_gather, with_task_group):
        timeline = Timeline()
        asyncio.run(run(timeline))
        labels = sorted({(span.lane, span.label) for span in timeline.spans})
        print("  ", ", ".join(f"{lane}: {label}" for lane, label in labels if label != "working"))
    print("Notice: under gather, A and C kept working after the error; under TaskGroup they were cancelled,")
    print("cleaned up, and only then did the error reach the caller.")


if __name__ == "__main__":
    main()

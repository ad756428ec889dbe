"""First tasks: send, track, wait; PENDING also means "never heard of it".

Run: python -m labs.ch06_celery.first_tasks

A real worker (two threads) runs on the embedded broker (or on the broker
COURSE_BROKER_URL names). Notice: a task's state moves PENDING -> PROGRESS (a
state of our own, with how far it got) -> SUCCESS; an id nobody ever sent is
PENDING too; an exception in a task reaches the caller as that exception; a
countdown holds a task back without blocking anyone.
"""

from __future__ import annotations

import time

from course.testing.celery import isolated_app, running_worker


def make_tasks(app):
    """A task that reports progress, and one that fails: registered on `app`."""

    @app.task(bind=True)
    def thumbnails(self, sizes: list[int]) -> list[str]:
        made = []
        for size in sizes:
            time.sleep(0.15)  # stands for the real work of resizing an image
            made.append(f"{size}x{size}")
            progress = {"done": len(made), "total": len(sizes)}
            self.update_state(state="PROGRESS", meta=progress)
        return made

    @app.task
    def divide(a: float, b: float) -> float:
        return a / b

    return thumbnails, divide


def watch(result, until: str, timeout: float = 10.0) -> list[str]:
    """The distinct states (with their info) a task shows until it reaches `until`."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        meta = result.backend.get_task_meta(result.id)  # state and info in one read
        shown = f"{meta['status']} {meta['result']}" if meta["result"] else meta["status"]
        # The embedded backend rewrites a result file; a read in between finds no file,
        # which it reports as PENDING: skip that blink once the task was seen running.
        blink = seen and meta["status"] == "PENDING"
        if not blink and (not seen or seen[-1] != shown):
            seen.append(shown)
        if meta["status"] == until:
            return seen
        time.sleep(0.01)
    raise TimeoutError(f"task {result.id} did not reach {until}: {seen}")


def main() -> None:
    with isolated_app() as app:
        thumbnails, divide = make_tasks(app)
        job = thumbnails.delay([64, 128, 256])
        print("sent, no worker yet:", job.state)
        print("an id nobody sent:  ", app.AsyncResult("no-such-task").state, "(the same answer!)")
        with running_worker(app, loglevel="CRITICAL"):  # its failures are on purpose
            print("states seen:        ", " -> ".join(watch(job, "SUCCESS")))
            print("result:             ", job.get(timeout=10))
            try:
                divide.delay(1, 0).get(timeout=10)
            except ZeroDivisionError as error:
                print("a failing task:      raised ZeroDivisionError in the caller:", error)
            started = time.monotonic()
            late = divide.apply_async((6, 3), countdown=0.5)
            print(f"countdown=0.5:       {late.get(timeout=10)} after {time.monotonic() - started:.2f} s")
    print("\nNotice: PENDING for a queued task AND for an unknown id; the worker is stopped.")


if __name__ == "__main__":
    main()

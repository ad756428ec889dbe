"""Beat drives a periodic task for a second, and what a duplicate schedule entry does.

Run: python -m labs.ch06_celery.beat_heartbeat

Beat is a clock that sends tasks; workers run them. Here beat runs in a
thread next to a worker, with a period of 0.2 s so the lab takes a second,
not minutes. Then the same task gets a second schedule entry under another
name, as happens when two modules both configure it. Notice: about five
heartbeats in the first second, about twice as many in the second run.
"""

from __future__ import annotations

import time

from celery.beat import EmbeddedService

from course.testing.celery import TaskRuns, isolated_app, running_worker

PERIOD = 0.2
RUN_SECONDS = 1.0


def heartbeats(entries: int) -> int:
    """How many heartbeats ran in RUN_SECONDS with `entries` entries for the task."""
    with isolated_app() as app, TaskRuns() as runs:
        @app.task
        def heartbeat() -> str:
            return "alive"

        app.conf.beat_schedule = {
            f"heartbeat-{n}": {"task": heartbeat.name, "schedule": PERIOD}
            for n in range(entries)
        }
        with running_worker(app):
            beat = EmbeddedService(
                app, thread=True, max_interval=0.05,
                scheduler_cls="celery.beat:Scheduler",  # in memory: no schedule file
            )
            beat.start()
            try:
                time.sleep(RUN_SECONDS)  # let beat tick (tests wait on runs instead)
            finally:
                beat.stop()
                beat.join(10)
        return sum(1 for name, _, state in runs.records if name == heartbeat.name)


def main() -> None:
    one = heartbeats(1)
    print(f"one entry, period {PERIOD} s, {RUN_SECONDS} s: {one} heartbeats")
    two = heartbeats(2)
    print(f"the same task under two entries:       {two} heartbeats")
    print("\nNotice: beat sends per entry, not per task:"
          " one beat, one entry per job.")


if __name__ == "__main__":
    main()

"""Retries with backoff against a flaky service, and a task that stays idempotent.

Run: python -m labs.ch06_celery.flaky_service

A "mailer" fails with ConnectionError on its first three calls. The task lets
Celery retry it (`autoretry_for`, exponential `retry_backoff` with jitter,
`max_retries`), and a ValueError is not retried at all. Then the same message
is delivered twice, as a broker may: the task records what it sent under the
message's own key with one atomic step, so the second delivery sends nothing.
Notice the growing gaps between attempts, and "sent 1 mail" at the end.
"""

from __future__ import annotations

import threading
import time

from course.testing.celery import TaskRuns, isolated_app, running_worker


class Mailer:
    """A flaky mail server: ConnectionError on the first `failures` calls."""

    def __init__(self, failures: int):
        self.failures = failures
        self.attempts: list[float] = []
        self.sent: list[str] = []

    def send(self, to: str, text: str) -> str:
        self.attempts.append(time.monotonic())
        if len(self.attempts) <= self.failures:
            raise ConnectionError("mail server busy")
        if "@" not in to:
            raise ValueError(f"not an address: {to!r}")
        self.sent.append(to)
        return f"sent to {to}"


def make_task(app, mailer: Mailer, claims: dict, lock: threading.Lock):
    """`send_mail`: retried on ConnectionError, with backoff; idempotent per message."""

    @app.task(autoretry_for=(ConnectionError,), retry_backoff=True, retry_backoff_max=2,
              retry_jitter=True, max_retries=5)
    def send_mail(message_id: str, to: str, text: str) -> str:
        with lock:  # claim the id in one atomic step (on Redis: SET message_id 1 NX)
            if message_id in claims:
                return f"already sent {message_id}"
            claims[message_id] = "sending"
        try:
            return mailer.send(to, text)
        except BaseException:
            with lock:  # nothing was sent: the retry (or a redelivery) may claim it
                del claims[message_id]
            raise

    return send_mail


def main() -> None:
    mailer = Mailer(failures=3)
    with isolated_app() as app, TaskRuns() as runs:
        send_mail = make_task(app, mailer, {}, threading.Lock())
        with running_worker(app, loglevel="CRITICAL"):  # its failures are on purpose
            result = send_mail.apply_async(("m-1", "ada@example.org", "hello"), task_id="m-1")
            print("result:", result.get(timeout=20))
            gaps = [b - a for a, b in zip(mailer.attempts, mailer.attempts[1:])]
            print(f"{len(mailer.attempts)} attempts; gaps between them (s):", ", ".join(f"{g:.2f}" for g in gaps))
            send_mail.apply_async(("m-1", "ada@example.org", "hello"), task_id="m-1")  # delivered again
            runs.wait(lambda r: r.of("m-1").count("SUCCESS") == 2, 20)
            print(f"after a second delivery of m-1: sent {len(mailer.sent)} mail in all")
            try:
                send_mail.delay("m-2", "nobody", "hi").get(timeout=20)
            except ValueError as error:
                print("a bad address is not retried:", error, f"({len(mailer.attempts)} attempts in all)")
    print("\nNotice: the retries back off; the duplicate sends nothing; a ValueError fails at once.")


if __name__ == "__main__":
    main()

"""Starts daemon threads, sleeps 50 ms and returns without joining any of them.

A short sleep usually lets a few increments finish, so the count often looks
right on an idle machine; but nothing waits for the threads, which may still be
counting (and be killed mid-way at exit, being daemons) when the function returns.
"""

import threading
import time

LOSES = ["start_then_join"]


class Counter:
    def __init__(self, pause=None):
        self._value = 0
        self._pause = pause or (lambda: None)
        self._lock = threading.Lock()

    def increment(self, amount=1):
        with self._lock:
            current = self._value
            self._pause()
            self._value = current + amount

    @property
    def value(self):
        return self._value


def count_concurrently(counter, *, threads, per_thread):
    if threads < 1 or per_thread < 0:
        raise ValueError("bad counts")

    def work():
        for _ in range(per_thread):
            counter.increment()

    workers = [threading.Thread(target=work, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    time.sleep(0.05)
    return counter.value

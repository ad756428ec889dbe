"""Locks only the write, not the read that it depends on.

The value read before taking the lock may already be stale when the lock is
taken: the read, the pause and the write must be one critical section.
"""

import threading

LOSES = ["no_lost_update"]


class Counter:
    def __init__(self, pause=None):
        self._value = 0
        self._pause = pause or (lambda: None)
        self._lock = threading.Lock()

    def increment(self, amount=1):
        current = self._value
        self._pause()
        with self._lock:
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

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return counter.value

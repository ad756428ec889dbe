"""Starts daemon threads and joins each with timeout=0.01, then returns.

A join with a timeout returns when the time is up whether or not the thread
has finished (it says nothing: check is_alive() afterwards), and daemon threads
are never waited for at exit either. The value read may be incomplete and the
threads may still be running when the function returns.
"""

import threading

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
    for worker in workers:
        worker.join(timeout=0.01)
    return counter.value

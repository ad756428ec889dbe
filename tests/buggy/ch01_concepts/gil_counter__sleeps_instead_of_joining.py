"""Starts every thread, then sleeps for half a second instead of joining them.

"Half a second is plenty for a few increments" - until the machine is busy. The
value read after the sleep is whatever was counted so far, and the threads may
still be running when the function returns: sleeping is not waiting for them.
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

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    time.sleep(0.5)
    return counter.value

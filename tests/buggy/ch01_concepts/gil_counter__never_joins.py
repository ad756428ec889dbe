"""Starts the threads but never joins them: returns while they are still counting.

The value read is whatever was done so far, and the threads are left running.
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

    for _ in range(threads):
        threading.Thread(target=work, daemon=True).start()
    return counter.value

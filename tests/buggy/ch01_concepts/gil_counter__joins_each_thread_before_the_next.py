"""Starts each thread and joins it before starting the next.

The counter is right, but the threads run one after another: nothing is
concurrent, and the race the counter must survive never even happens.
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
        worker = threading.Thread(target=work)
        worker.start()
        worker.join()
    return counter.value

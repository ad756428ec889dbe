"""Takes a brand-new Lock on every call: `with threading.Lock():`.

Each increment locks its own private lock, which nobody else ever waits on,
so it excludes nothing.
"""

import threading

LOSES = ["no_lost_update"]


class Counter:
    def __init__(self, pause=None):
        self._value = 0
        self._pause = pause or (lambda: None)

    def increment(self, amount=1):
        with threading.Lock():
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
    for worker in workers:
        worker.join()
    return counter.value

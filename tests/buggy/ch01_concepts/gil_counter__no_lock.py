"""No lock at all: "the GIL makes Python thread-safe".

The GIL keeps one bytecode whole, not a read-pause-write sequence: a thread
switched out after its read overwrites what others wrote meanwhile.
"""

import threading

LOSES = ["no_lost_update"]


class Counter:
    def __init__(self, pause=None):
        self._value = 0
        self._pause = pause or (lambda: None)

    def increment(self, amount=1):
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

"""Reads, yields, then writes without a lock: increments from other threads are lost."""

LOSES = ["threads"]


class Counter:
    def __init__(self, io=lambda: None):
        self.value = 0
        self._io = io

    def increment(self):
        current = self.value
        self._io()
        self.value = current + 1

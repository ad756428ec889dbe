import threading


class Counter:
    def __init__(self, io=lambda: None):
        self.value = 0
        self._io = io
        self._lock = threading.Lock()

    def increment(self):
        with self._lock:
            current = self.value
            self._io()
            self.value = current + 1

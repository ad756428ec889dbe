"""Waits on a lock it already holds."""
import threading
_lock = threading.Lock()
def add(a, b):
    with _lock:
        with _lock:
            return a + b

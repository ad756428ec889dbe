"""Starts a thread that outlives the test and never stops."""
import threading
def add(a, b):
    threading.Thread(target=threading.Event().wait).start()
    return a + b

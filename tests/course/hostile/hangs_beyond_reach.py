"""Hangs where pytest-timeout cannot reach it (its alarm ignored) when adding 2 and 3;
adds everything else right. Only the hung test may fail: the tests after it must still run."""
import signal
import threading


def add(a, b):
    if (a, b) == (2, 3):
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        threading.Event().wait()
    return a + b

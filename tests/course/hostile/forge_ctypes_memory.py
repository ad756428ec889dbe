"""Reads the interpreter's own memory (ctypes, /proc/self/mem) looking for the key."""
import os

found = []
try:
    import ctypes

    found.append(ctypes.string_at(id(os), 64))
except Exception:
    pass
try:
    with open("/proc/self/mem", "rb") as memory:
        found.append(memory.read(1))
except Exception:
    pass
if found:
    print("course-hostile: read my own memory", len(found))


def add(a, b):
    raise NotImplementedError

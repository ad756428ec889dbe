"""Allocates until something stops it."""
hog = []
def add(a, b):
    while True:
        hog.append(bytearray(50 * 1024 * 1024))

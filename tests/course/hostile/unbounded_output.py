"""Prints without end."""
def add(a, b):
    while True:
        print("x" * 10000, flush=True)

"""Spins forever without a call the timeout signal could interrupt easily."""
def add(a, b):
    while True:
        pass

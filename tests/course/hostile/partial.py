"""Right for positive numbers only."""
def add(a, b):
    return abs(a) + abs(b)

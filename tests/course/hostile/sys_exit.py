"""Exits with status 0 from inside the code under test."""
import sys
def add(a, b):
    sys.exit(0)

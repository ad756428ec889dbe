"""Subtracts instead of adding."""

LOSES = [1, 2]


def add(a, b):
    return a - b

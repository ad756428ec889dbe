"""Subtracts instead of adding."""

LOSES = ["positive", "negative"]


def add(a, b):
    return a - b

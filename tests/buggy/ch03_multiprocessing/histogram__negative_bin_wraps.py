"""add checks only the upper end of the index.

`histogram[-1]` is the last counter, as for a list: add(histogram, -1) counts
in the last bin instead of raising IndexError. The rest is right.
"""

LOSES = ["add"]

PATCH = [
    ("    if not 0 <= index < len(histogram):\n", "    if not index < len(histogram):\n"),
]

"""slices gives every part count // parts values and the last part the rest.

7 values in 3 parts become sizes 2, 2, 3; 8 values in 5 parts become
1, 1, 1, 1, 4: the last worker does most of the work. The rest is right.
"""

LOSES = ["round_trip"]

PATCH = [
    (
        "        stop = start + size + (part < extra)\n",
        "        stop = count if part == parts - 1 else start + size\n",
    ),
]

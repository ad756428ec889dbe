"""run_all records results in the order they arrive.

The callback appends each answer to a list, so a quick call overtakes a slow
one and the results no longer line up with the items. The rest is right.
"""

LOSES = ["collect"]

PATCH = [
    (
        "    def done(index: int, value: Any) -> None:\n        results[index] = value\n",
        "    arrived: list[Any] = []\n\n    def done(index: int, value: Any) -> None:\n"
        "        arrived.append(value)\n        results[len(arrived) - 1] = value\n",
    ),
]

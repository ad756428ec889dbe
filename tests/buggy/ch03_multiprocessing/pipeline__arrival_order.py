"""run_pipeline returns the answers in the order they arrive.

With several workers, a quick item overtakes a slow one, so the results no
longer line up with the items. The rest is right.
"""

LOSES = ["results"]

PATCH = [
    (
        "            answers[index] = (ok, value)\n",
        "            answers[len(answers)] = (ok, value)\n",
    ),
]

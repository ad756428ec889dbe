"""run_pipeline raises the first error that arrives, not the first by position.

With several workers a later item can fail first, so which error the caller
sees depends on timing. The rest is right.
"""

LOSES = ["results"]

PATCH = [
    ("        answers = {}\n", "        answers = {}\n        first_error = None\n"),
    (
        "            answers[index] = (ok, value)\n",
        "            answers[index] = (ok, value)\n"
        "            if not ok and first_error is None:\n                first_error = value\n",
    ),
    (
        "    for ok, value in (answers[index] for index in range(len(items))):\n"
        "        if not ok:\n            raise value\n",
        "    if first_error is not None:\n        raise first_error\n",
    ),
]

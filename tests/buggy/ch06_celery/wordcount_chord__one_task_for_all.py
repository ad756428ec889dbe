"""Buggy: one map task for all the documents.

The chord's header is a single count over the joined text: right counts, but
no parallelism at all, however many workers there are.
"""

LOSES = ["one_task_per_document", "map_in_parallel"]

PATCH = [
    (
        "    return chord([count.s(text) for text in documents], merge.s())",
        "    return chord([count.s(' '.join(documents))], merge.s())",
    ),
]

"""Buggy: the body is an immutable signature.

`merge.si([])` ignores its parent's results: merge never sees the partial
counts, and the job reports an empty count however many words there were.
"""

LOSES = ["counts", "one_task_per_document", "map_in_parallel"]

PATCH = [("merge.s())", "merge.si([]))")]

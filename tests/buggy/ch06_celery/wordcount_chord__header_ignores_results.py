"""Buggy: the map tasks do not store their results.

`@app.task(ignore_result=True)` on the header task looks like a saving, but a
chord counts finished header tasks through the result backend: the merge is
never called and the job never finishes.
"""

LOSES = ["counts", "one_task_per_document", "map_in_parallel"]

PATCH = [("    @app.task\n    def count(", "    @app.task(ignore_result=True)\n    def count(")]

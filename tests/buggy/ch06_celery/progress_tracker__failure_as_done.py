"""Buggy: any finished task is "done".

`result.ready()` is true for a failure too: a task that raised is reported as
done, with the exception as its result.
"""

LOSES = ["failure"]

PATCH = [
    ('        if state == "SUCCESS":', '        if result.ready():'),
]

"""Buggy: any finished task is "done".

A task that raised is reported as done, with the exception as its result:
"finished" is not "succeeded".
"""

LOSES = ["failure"]

PATCH = [
    ('        if state == "SUCCESS":', '        if state in ("SUCCESS", "FAILURE"):'),
]

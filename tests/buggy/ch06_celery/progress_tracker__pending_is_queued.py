"""Buggy: PENDING is read as "queued".

Every id this tracker never sent (a typo, someone else's task) reads as queued,
and a client polling it waits forever for work that does not exist.
"""

LOSES = ["queued_or_unknown"]

PATCH = [
    ('        if task_id not in self.submitted:\n            return {"state": "unknown"}\n', ''),
]

"""Buggy: every call of schedule() adds an entry.

Entries are named after the period and a counter, so configuring twice (two
modules, a reload) makes beat send the sweep twice per period.
"""


LOSES = ["one_entry"]

PATCH = [
    (
        'ENTRY: {"task": task.name, "schedule": every}',
        'f"{ENTRY}-{next(_numbers)}": {"task": task.name, "schedule": every}',
    ),
    ('LOCK = "sweep:lock"\n', 'LOCK = "sweep:lock"\n_numbers = __import__("itertools").count()\n'),
]

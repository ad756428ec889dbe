"""Buggy: no limit on retries.

`max_retries=None` retries a service that is down for good forever: the task
never fails, and the queue fills with retries.
"""

LOSES = ["limited"]

PATCH = [
    ("            if self.request.retries >= max_retries:\n                raise  # no retry left: fail with the service's own error\n", ""),
    ("max_retries=max_retries)", "max_retries=None)"),
]

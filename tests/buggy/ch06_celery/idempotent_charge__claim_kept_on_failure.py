"""Buggy: a failed charge keeps its claim.

After a declined card the payment id stays marked "charging": every later
delivery retries forever, waiting for a charge that will never finish.
"""

LOSES = ["failure_releases"]

PATCH = [
    ('            store.delete(key)  # nothing was charged: a later delivery may try again\n', ''),
]

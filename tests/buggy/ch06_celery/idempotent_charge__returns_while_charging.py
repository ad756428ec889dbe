"""Buggy: a duplicate that arrives during the charge returns at once.

It charges nothing (good) but returns None instead of waiting for the receipt:
the client of the second delivery is told nothing was charged.
"""

LOSES = ["concurrent_duplicates"]

PATCH = [
    (
        '            if record is None or record["state"] == "charging":\n'
        '                raise self.retry(countdown=wait)  # another delivery is at it: ask again later\n'
        '            return record["receipt"]',
        '            return record.get("receipt") if record else None',
    ),
]

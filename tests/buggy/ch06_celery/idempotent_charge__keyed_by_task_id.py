"""Buggy: remembers the delivery's task id, not the payment id.

A redelivered message (same task id) is caught, but a client that re-sends the
charge after a timeout uses a new task id, and the customer pays twice.
"""

LOSES = ["charges_once"]

PATCH = [
    ('        key = f"payment:{payment_id}"', '        key = f"payment:{self.request.id}"'),
]

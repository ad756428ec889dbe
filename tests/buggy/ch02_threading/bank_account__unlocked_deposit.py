"""Buggy: deposit forgets the lock; withdraw and transfer are right.

Deposits from many threads lose updates, and a deposit slips into an account
that a transfer holds halfway through. The lesson of issue 7: the tests must
report what they observed (a deposit that completed during a transfer), not
blame transfer().
"""

LOSES = ["concurrent_deposits", "atomic_transfer", "every_schedule"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '        _check_amount(amount)\n'
        '        with self._lock:\n'
        '            current = self._balance\n'
        '            self._io()\n'
        '            self._balance = current + amount',

        '        _check_amount(amount)\n'
        '        current = self._balance\n'
        '        self._io()\n'
        '        self._balance = current + amount',
    ),
]

"""Buggy: a transfer to the same account returns before checking anything.

"Nothing moves, so nothing to do": transfer(a, a, 0), transfer(a, a, -1) and
transfer(a, a, more than the balance) all return quietly, where any other
transfer raises ValueError or InsufficientFunds. The docstring asks for the
same checks whatever the accounts.
"""

LOSES = ["no_deadlock"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '    _check_amount(amount)\n'
        '    first, second',

        '    if source is target:\n'
        '        return  # nothing to move\n'
        '    _check_amount(amount)\n'
        '    first, second',
    ),
]

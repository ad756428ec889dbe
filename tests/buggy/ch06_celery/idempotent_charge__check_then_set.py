"""Buggy: looks, then writes, in two steps.

`store.get` says nobody has this payment, then `store.set` claims it. Two
deliveries that arrive together both look before either writes: both charge.
"""

LOSES = ["concurrent_duplicates"]

PATCH = [
    (
        '        if not store.add(key, CHARGING):',
        '        if store.get(key) is not None:',
    ),
    (
        '        try:\n            receipt = gateway.charge',
        '        store.set(key, CHARGING)\n        try:\n            receipt = gateway.charge',
    ),
]

"""Every attempt of a deposit gets a fresh request id: a blind retry.

When the reply of a deposit is lost, the ledger has already made it; the retry
arrives with an id the ledger has never seen, and the money is added twice.
The id must be chosen once per deposit(), before the first attempt.
"""

LOSES = ["lost_reply"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        "        request_id = uuid.uuid4().hex  # one id for every attempt of this one deposit\n"
        "        return self._call(lambda: self._proxy.deposit(request_id, amount))\n",

        "        return self._call(lambda: self._proxy.deposit(uuid.uuid4().hex, amount))\n",
    ),
]

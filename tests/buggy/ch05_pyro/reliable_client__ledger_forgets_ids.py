"""The ledger ignores the request id: every deposit that arrives is made.

The client retries with the same id, but nobody checks it: a deposit whose
reply was lost is made twice, and a repeated id neither returns its first
answer nor refuses a different amount.
"""

LOSES = ["ledger", "lost_reply"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        "            if request_id in self._done:\n"
        "                first_amount, balance = self._done[request_id]\n"
        "                if first_amount != amount:\n"
        "                    raise ValueError(f\"request {request_id} was a deposit of {first_amount}, not {amount}\")\n"
        "                return balance\n",

        "",
    ),
]

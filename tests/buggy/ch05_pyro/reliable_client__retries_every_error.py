"""The client retries on every exception, the ledger's own ValueError included.

A refused deposit is an answer, not a lost message: retrying it only wastes
the deadline (and calls on_retry for something that was never lost).
"""

LOSES = ["gives_up"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        "            except Pyro5.errors.CommunicationError as error:\n",

        "            except Exception as error:\n",
    ),
]

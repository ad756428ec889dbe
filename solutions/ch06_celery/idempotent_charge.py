"""A charge that happens once, however many times its message is delivered.

A broker delivers a message at least once: a worker that dies after charging
but before acknowledging gets the message delivered again, and a client that
timed out sends the charge again under a new task id. The payment id, not the
delivery, decides whether money moves. `store` is shared by every worker
(Redis in production, a dict behind a lock in the tests) and offers:

- `store.add(key, value) -> bool`: set `key` only if it is absent, atomically
  (Redis `SET key value NX`); True if this call set it;
- `store.get(key)`: the value, or None if absent;
- `store.set(key, value)` and `store.delete(key)`.
"""

from __future__ import annotations

from typing import Any

CHARGING = {"state": "charging"}


def register(app: Any, gateway: Any, store: Any, wait: float = 0.05) -> Any:
    """Register and return the task `charge(payment_id, account, amount)` on `app`."""

    @app.task(bind=True, max_retries=None)
    def charge(self, payment_id: str, account: str, amount: int) -> Any:
        key = f"payment:{payment_id}"
        if not store.add(key, CHARGING):
            record = store.get(key)
            if record is None or record["state"] == "charging":
                raise self.retry(countdown=wait)  # another delivery is at it: ask again later
            return record["receipt"]
        try:
            receipt = gateway.charge(account, amount)
        except BaseException:
            store.delete(key)  # nothing was charged: a later delivery may try again
            raise
        store.set(key, {"state": "charged", "receipt": receipt})
        return receipt

    return charge

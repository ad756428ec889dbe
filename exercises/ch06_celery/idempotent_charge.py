"""Exercise: a charge that happens once, however many times its message is delivered.

A broker delivers a message at least once, not exactly once. A worker that dies
after charging but before acknowledging gets the message delivered again (same
task id); a client that timed out sends the charge again (new task id). Either
way the payment id, not the delivery, decides whether money moves.

Build `register(app, gateway, store, wait)`, which registers the task
`charge(payment_id, account, amount)` on `app` and returns it:

- the first delivery of a payment id calls `gateway.charge(account, amount)`
  once and returns the receipt the gateway returned;
- every later delivery of that payment id charges nothing and returns the same
  receipt, whether it comes under the same task id or a new one;
- a delivery that arrives while another delivery of the same payment is still
  charging charges nothing: it retries itself (`self.retry(countdown=wait)`, as
  often as needed) until the other has finished, then returns that receipt;
- if `gateway.charge` raises (a declined card), the task fails with that same
  exception, and the payment id is free again: the next delivery charges.

`store` is shared by every worker (Redis in production) and offers:

- `store.add(key, value) -> bool`: set `key` only if it is absent, atomically
  (Redis `SET key value NX`); True if this call set it;
- `store.get(key)`: the value, or None if absent;
- `store.set(key, value)` and `store.delete(key)`.
Keep every record in `store`, never in the worker's memory: other workers,
on other machines, must see it. Values must be plain data (str, dict, list).

Hazards: "look, then write" in two steps (two deliveries both look, both see
nothing, both charge); remembering the task id instead of the payment id; a
claim that is never released after a failure (the payment can never be made).
"""

from __future__ import annotations

from typing import Any


def register(app: Any, gateway: Any, store: Any, wait: float = 0.05) -> Any:
    """Register and return the task `charge(payment_id, account, amount)` on `app`."""
    raise NotImplementedError("TODO: @app.task(bind=True, max_retries=None) def charge(self, payment_id, account, amount)")

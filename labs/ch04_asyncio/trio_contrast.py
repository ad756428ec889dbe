"""Lab: the same fan-out with a deadline, in asyncio and in Trio.

Three simulated downloads of 0.05, 0.1 and 5 s, with a deadline of 0.3 s for
the whole batch; the slow one must be cancelled and must clean up.

- Trio has no `create_task`: a task can only be started in a *nursery*, and the
  `async with` block of the nursery does not end until every task in it has.
  A cancel scope (`trio.move_on_after`) cancels everything inside it, however
  deep, and the code after it knows whether it fired (`cancelled_caught`).
- asyncio 3.11 adopted the same shape: TaskGroup is a nursery, asyncio.timeout
  a cancel scope. But asyncio still has `create_task`, whose tasks belong to no
  block: nothing stops them from outliving the function that started them.

Run: python -m labs.ch04_asyncio.trio_contrast
"""

from __future__ import annotations

import asyncio

import trio

DELAYS = {"a": 0.05, "b": 0.1, "slow": 5.0}
DEADLINE = 0.3


async def fan_out_asyncio() -> tuple[dict[str, str], bool]:
    """asyncio: a TaskGroup inside asyncio.timeout; (what finished, deadline hit?)."""
    done: dict[str, str] = {}

    async def fetch(name: str) -> None:
        try:
            await asyncio.sleep(DELAYS[name])
            done[name] = "downloaded"
        except asyncio.CancelledError:
            done[name] = "cancelled, cleaned up"
            raise

    try:
        async with asyncio.timeout(DEADLINE):
            async with asyncio.TaskGroup() as group:
                for name in DELAYS:
                    group.create_task(fetch(name))
    except TimeoutError:
        return done, True
    return done, False


async def fan_out_trio() -> tuple[dict[str, str], bool]:
    """Trio: a nursery inside a cancel scope; (what finished, deadline hit?)."""
    done: dict[str, str] = {}

    async def fetch(name: str) -> None:
        try:
            await trio.sleep(DELAYS[name])
            done[name] = "downloaded"
        except trio.Cancelled:
            done[name] = "cancelled, cleaned up"
            raise

    with trio.move_on_after(DEADLINE) as scope:
        async with trio.open_nursery() as nursery:
            for name in DELAYS:
                nursery.start_soon(fetch, name)
    return done, scope.cancelled_caught


def main() -> None:
    for library, outcome in (("asyncio", asyncio.run(fan_out_asyncio())), ("trio", trio.run(fan_out_trio))):
        done, timed_out = outcome
        print(f"{library:<8} deadline hit: {timed_out}; " + ", ".join(f"{k}: {v}" for k, v in sorted(done.items())))
    print("Notice: the same guarantee in both: when the block ends, every child has finished, the slow")
    print("one by cancellation. In Trio it is the only way to start a task; in asyncio it is a choice.")


if __name__ == "__main__":
    main()

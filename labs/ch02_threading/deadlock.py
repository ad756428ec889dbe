"""Lab: dining philosophers: a deadlock detected with timeouts, fixed by lock order.

Five philosophers sit at a round table with one fork between each pair; to eat,
a philosopher needs both neighbouring forks. If each picks up the left fork and
then waits for the right one, all five can hold one fork each and wait forever:
a cycle of waits, a deadlock.

Instead of hanging, every `acquire` here has a timeout, so a philosopher that
waited too long reports who holds the fork it wants. A Barrier makes everyone
hold the first fork before reaching for the second, so the naive order
deadlocks on every run (in real programs it happens once a week, at night).

The fix: number the forks and always pick up the lower-numbered one first. The
last philosopher then reaches for fork 0 before fork 4, the cycle cannot close,
and everyone eats. The Barrier cannot be used there (someone always waits for
their first fork), so the ordered run just eats many times.

Run: python -m labs.ch02_threading.deadlock
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from course.tracing import Timeline


@dataclass
class Dinner:
    seats: int
    meals: int = 0
    stuck: list[str] = field(default_factory=list)
    timeline: Timeline = field(default_factory=Timeline)


def dine(
    seats: int = 5,
    ordered: bool = False,
    rounds: int = 10,
    patience: float = 0.5,
    eat_seconds: float = 0.01,
) -> Dinner:
    """Let every philosopher try to eat `rounds` times; return what happened."""
    forks = [threading.Lock() for _ in range(seats)]
    holder: dict[int, str] = {}
    dinner = Dinner(seats)
    counted = threading.Lock()
    # Naive order: everyone holds their first fork before anyone reaches for a second.
    all_holding = threading.Barrier(seats, timeout=patience) if not ordered else None
    # ... and nobody lets go of a fork before everyone has tried for the second one.
    all_tried = threading.Barrier(seats, timeout=4 * patience) if not ordered else None

    def philosopher(seat: int) -> None:
        name = f"philosopher-{seat}"
        left, right = seat, (seat + 1) % seats
        first, second = (
            (min(left, right), max(left, right)) if ordered else (left, right)
        )
        for _ in range(rounds if ordered else 1):
            with dinner.timeline.span("waiting for forks", name):
                forks[first].acquire()
                holder[first] = name
                if all_holding is not None:
                    try:
                        all_holding.wait()
                    except threading.BrokenBarrierError:
                        pass
                got_second = forks[second].acquire(timeout=patience)
            blocker = holder.get(second, "?")  # who held it when we gave up
            if all_tried is not None:
                try:
                    all_tried.wait()
                except threading.BrokenBarrierError:
                    pass
            if not got_second:
                with counted:
                    dinner.stuck.append(
                        f"{name} holds fork {first} and waited {patience} s "
                        f"for fork {second} (held by {blocker})"
                    )
                holder.pop(first, None)
                forks[first].release()
                return
            holder[second] = name
            with dinner.timeline.span("eating", name):
                time.sleep(eat_seconds)
                with counted:
                    dinner.meals += 1
            holder.pop(second, None)
            holder.pop(first, None)
            forks[second].release()
            forks[first].release()

    threads = [
        threading.Thread(target=philosopher, args=(seat,), name=f"philosopher-{seat}")
        for seat in range(seats)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return dinner


def main() -> int:
    naive = dine(ordered=False)
    print("Left fork first, then right (everyone grabs the left one at the same time):")
    print(f"  meals eaten: {naive.meals}; philosophers who gave up: {len(naive.stuck)}")
    for line in naive.stuck:
        print(f"    {line}")
    ordered = dine(ordered=True)
    print("\nLower-numbered fork first (one global lock order):")
    print(
        f"  meals eaten: {ordered.meals} of {ordered.seats * 10}; philosophers who gave up: {len(ordered.stuck)}"
    )
    print(
        "\nWhat to notice:\n"
        "  - in the naive run every philosopher holds one fork and waits for the next: a cycle of\n"
        "    waits. Without the acquire timeout the program would hang here forever, silently;\n"
        "  - a timeout does not fix a deadlock, it turns it into an error you can see and report;\n"
        "  - taking locks in one global order makes the cycle impossible: nobody gives up."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

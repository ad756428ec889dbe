"""When does the GIL get out of the way? Two threads on three kinds of work.

The GIL lets one thread at a time run Python bytecode. It is released while a
thread waits (sleep, sockets, files) and by C code that works on its own data
for a while: hashlib on a large buffer, zlib, NumPy's big array operations. So
two threads speed up:
- a pure-Python loop: not at all (they take turns);
- hashing a big buffer with hashlib: almost 2x on 2 cores (the C code runs in parallel);
- sleeping: 2x, on any number of cores (nobody needs a CPU to wait).

Each kind is measured honestly: one untimed warm-up round, then rounds that
time the serial version (two calls, one after the other) and the threaded one
(two calls, in two threads) back to back; the median of the rounds is reported.

Run it:  python -m labs.ch01_concepts.gil_release
"""

from __future__ import annotations

import hashlib
import statistics
import threading
import time

from labs.ch01_concepts.threads_vs_processes import calibrate, spin

DATA = bytes(range(256)) * (64 * 1024)  # 16 MiB to hash
ROUNDS = 5


def python_loop(steps: int) -> None:
    spin(steps)


def hash_buffer(rounds: int) -> None:
    for _ in range(rounds):
        hashlib.sha256(DATA).digest()


def sleep(seconds: float) -> None:
    time.sleep(seconds)


def serially(fn, arg) -> float:
    start = time.perf_counter()
    fn(arg)
    fn(arg)
    return time.perf_counter() - start


def in_two_threads(fn, arg) -> float:
    start = time.perf_counter()
    threads = [threading.Thread(target=fn, args=(arg,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def hash_rounds_for(seconds: float) -> int:
    start = time.perf_counter()
    hash_buffer(1)
    return max(1, round(seconds / (time.perf_counter() - start)))


def measure_all(
    seconds: float = 0.08, rounds: int = ROUNDS
) -> dict[str, dict[str, float]]:
    """For each kind of work: median serial and threaded times, and their ratio."""
    kinds = {
        "pure-Python loop": (python_loop, calibrate(seconds)),
        "hashlib.sha256 on 16 MiB": (hash_buffer, hash_rounds_for(seconds)),
        "time.sleep": (sleep, seconds),
    }
    results = {}
    for name, (fn, arg) in kinds.items():
        serially(fn, arg), in_two_threads(fn, arg)  # warm-up round, not timed
        serial, threaded = [], []
        for _ in range(rounds):
            serial.append(serially(fn, arg))
            threaded.append(in_two_threads(fn, arg))
        s, t = statistics.median(serial), statistics.median(threaded)
        results[name] = {"serial": s, "threads": t, "speedup": s / t}
    return results


def print_table(results) -> None:
    print(
        f"Two calls one after the other, then the same two calls in two threads (median of {ROUNDS} rounds):\n"
    )
    print(f"{'work':<27}{'serial':>9}{'2 threads':>11}{'speedup':>9}")
    for name, row in results.items():
        print(
            f"{name:<27}{row['serial']:>8.3f}s{row['threads']:>10.3f}s{row['speedup']:>8.2f}x"
        )


def main() -> None:
    print_table(measure_all())
    print(
        "\nWhat to notice:\n"
        "- the pure-Python loop gains nothing: one thread computes while the other waits for the GIL;\n"
        "- hashlib releases the GIL while it hashes a large buffer, so both cores work (on a busy\n"
        "  machine, less than 2x: the other core is not free);\n"
        "- sleeping needs no CPU at all: 2x, and it would be 100x with 100 threads.\n"
        "The GIL serialises bytecode, not waiting and not C code that lets go of it."
    )


if __name__ == "__main__":
    main()

"""What one remote call costs: plain calls, a batch, a oneway batch, one call with every item.

Run: python -m labs.ch05_pyro.batched_calls

A course Pyro worker (a real process on 127.0.0.1) squares numbers. The same
N items go four ways:

- plain: N calls, each waiting for its reply (N round trips);
- batch: a BatchProxy gathers N calls and sends them as ONE message, and the
  replies come back as one (one round trip, N calls run one after another);
- oneway batch: the same message, but nobody waits for (or gets) the results;
- one call: the N items as one argument of one call (what dmap's chunks do).

Each way is timed over several rounds and the median is kept, all in this one
run, so the ratios compare like with like even on a busy machine.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

import Pyro5.api

from course.capstone.services import Service
from course.testing.pyro import name_server

ITEMS = 300
ROUNDS = 5
FN = ("course.workloads", "square")


def plain(proxy, items):
    return [proxy.map_chunk(*FN, [x])["results"][0] for x in items]


def batched(proxy, items):
    batch = Pyro5.api.BatchProxy(proxy)
    for x in items:
        batch.map_chunk(*FN, [x])
    return [outcome["results"][0] for outcome in batch()]


def oneway_batch(proxy, items):
    batch = Pyro5.api.BatchProxy(proxy)
    for x in items:
        batch.map_chunk(*FN, [x])
    batch(oneway=True)  # returns at once: no results, no errors
    return None


def one_call(proxy, items):
    return proxy.map_chunk(*FN, list(items))["results"]


WAYS = {"plain": plain, "batch": batched, "oneway batch": oneway_batch, "one call": one_call}


def measure(items: int = ITEMS, rounds: int = ROUNDS) -> dict[str, float]:
    """Median microseconds per item for each way, against one fresh worker process."""
    folder = Path(tempfile.mkdtemp(prefix="lab-batch-"))
    try:
        with name_server() as ns:
            worker = Service("pyro-worker", ["--ns-host", ns.host, "--ns-port", str(ns.port)], folder, "worker")
            try:
                uri = worker.wait_ready()["uri"]
                with Pyro5.api.Proxy(uri) as proxy:
                    expected = [x * x for x in range(items)]
                    assert plain(proxy, range(items)) == expected  # warm-up, and a check
                    times: dict[str, list[float]] = {way: [] for way in WAYS}
                    for _ in range(rounds):
                        for way, run in WAYS.items():  # interleaved: a slow moment hits every way
                            started = time.perf_counter()
                            result = run(proxy, range(items))
                            times[way].append(time.perf_counter() - started)
                            assert result in (None, expected)
                    proxy.map_chunk(*FN, [0])  # the oneway batches are done once this returns
            finally:
                worker.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {way: statistics.median(spent) / items * 1e6 for way, spent in times.items()}


def main() -> None:
    cost = measure()
    print(f"{ITEMS} items, median of {ROUNDS} rounds, microseconds per item:")
    for way, micros in cost.items():
        print(f"  {way:<13} {micros:8.1f} us   ({cost['plain'] / micros:5.1f}x plain)")
    print("\nNotice: a plain call pays a whole round trip per item; a batch pays one per"
          "\nbatch, and one call with every item also saves the per-call work on the server.")


if __name__ == "__main__":
    main()

"""How a remote call fails: a worker killed mid-call, a stale name, a timeout.

Run: python -m labs.ch05_pyro.rpc_failures

Starts a name server and two of the course's Pyro workers (`course
pyro-worker`, real processes on 127.0.0.1), then breaks things on purpose:

1. A worker is killed (SIGKILL) while it runs a call: the caller's proxy
   raises ConnectionClosedError within milliseconds. It cannot tell whether
   the work was done: a lost request and a lost reply look the same.
2. The dead worker never deregistered: the name server still lists it, and a
   new proxy for that name is refused (CommunicationError).
3. A call with a timeout (`proxy._pyroTimeout`) gives up on the caller's side,
   but the worker goes on and finishes the work anyway.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from pathlib import Path

import Pyro5.api
import Pyro5.errors

from course import workloads
from course.capstone.services import Service, stop_all
from course.testing import wait_until
from course.testing.pyro import name_server

SLOW = "started_then_wait"  # course.workloads.started_then_wait([x, marker_dir, seconds])


def start_workers(ns, folder: Path, count: int) -> list[Service]:
    workers = [Service("pyro-worker", ["--ns-host", ns.host, "--ns-port", str(ns.port)], folder, f"worker-{i}")
               for i in range(count)]
    for worker in workers:
        worker.wait_ready()
    return workers


def killed_mid_call(worker: Service, markers: str) -> dict:
    """Kill `worker` while it runs a 30 s call: what did the caller see, how soon?"""
    seen: dict = {}

    def call() -> None:
        with Pyro5.api.Proxy(worker.info["uri"]) as proxy:
            try:
                proxy.map_chunk("course.workloads", SLOW, [[1, markers, 30]])
            except Pyro5.errors.CommunicationError as error:
                seen["error"] = type(error).__name__
                seen["after"] = time.perf_counter() - seen["killed_at"]

    caller = threading.Thread(target=call)
    caller.start()
    wait_until(lambda: workloads.started(markers) == 1, timeout=10,
               message="the call never started")
    seen["killed_at"] = time.perf_counter()
    worker.kill()
    caller.join(10)
    return {"error": seen.get("error"), "ms": seen.get("after", float("nan")) * 1000}


def stale_name(ns, worker: Service) -> dict:
    """The name of a killed worker: still listed? Can a new proxy reach it?"""
    listed = worker.info["name"] in ns.names()
    try:
        with Pyro5.api.Proxy(f"PYRONAME:{worker.info['name']}@{ns.host}:{ns.port}") as proxy:
            proxy._pyroBind()
        reached = "reached"
    except Pyro5.errors.CommunicationError as error:
        reached = type(error).__name__
    return {"still listed": listed, "new proxy": reached}


def timed_out_but_done(worker: Service, markers: str) -> dict:
    """A 1 s call with a 0.2 s timeout: the caller gives up; does the work still happen?"""
    with Pyro5.api.Proxy(worker.info["uri"]) as proxy:
        proxy._pyroTimeout = 0.2
        try:
            proxy.map_chunk("course.workloads", SLOW, [[2, markers, 1.0]])
            outcome = "returned"
        except Pyro5.errors.TimeoutError:
            outcome = "TimeoutError"
    done = wait_until(lambda: workloads.finished(markers) >= 1, timeout=10, message="the work never finished")
    return {"caller saw": outcome, "worker finished it anyway": bool(done)}


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="lab-rpc-"))
    workers: list[Service] = []
    try:
        with name_server() as ns:
            workers = start_workers(ns, folder, 2)
            for marker_dir in ("a", "b"):
                (folder / marker_dir).mkdir()
            killed = killed_mid_call(workers[0], str(folder / "a"))
            print(f"1. worker killed mid-call: the caller got {killed['error']} "
                  f"{killed['ms']:.1f} ms after the kill")
            stale = stale_name(ns, workers[0])
            print(f"2. its name is still listed: {stale['still listed']}; "
                  f"a new proxy for it: {stale['new proxy']}")
            late = timed_out_but_done(workers[1], str(folder / "b"))
            print(f"3. a call with a 0.2 s timeout: the caller saw {late['caller saw']}; "
                  f"the worker finished it anyway: {late['worker finished it anyway']}")
            stop_all(workers)
    finally:
        stop_all(workers)
        shutil.rmtree(folder, ignore_errors=True)
    print("\nNotice: an error says the reply did not arrive, never that the work was not done."
          "\nRetry only what is safe to do twice, or make it so (request ids).")


if __name__ == "__main__":
    main()

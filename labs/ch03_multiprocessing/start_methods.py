"""Start methods: what starting a process costs, and what the new process gets.

Run: python -m labs.ch03_multiprocessing.start_methods

fork copies the running process: quick, and the child sees every global as it
was at that moment. spawn starts a fresh interpreter that imports the main
module again and receives its target and arguments by pickling: slow, and
nothing set at run time comes along. forkserver forks each child from a small
server process started once: cheap per child, and as clean as spawn. Notice
the costs, which globals arrive, and which targets cannot be sent at all.
"""

from __future__ import annotations

import multiprocessing
import statistics
import time

METHODS = ("fork", "spawn", "forkserver")
SETTING = "as imported"  # main() changes it before starting any child


def report(answers) -> None:
    """Runs in the child: say which value of SETTING this process sees."""
    answers.put(SETTING)


def start_cost(method: str, repeats: int = 5) -> float:
    """Median seconds to start a process that does nothing and wait for it to end."""
    context = multiprocessing.get_context(method)
    context.Process(target=time.time).start()  # warm up (forkserver: start the server)
    multiprocessing.active_children()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        child = context.Process(target=time.time)
        child.start()
        child.join()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def setting_seen(method: str) -> str:
    """The value of SETTING a child started by `method` sees."""
    context = multiprocessing.get_context(method)
    answers = context.Queue()
    child = context.Process(target=report, args=(answers,))
    child.start()
    seen = answers.get(timeout=30)
    child.join()
    return seen


def lambda_target(method: str) -> str:
    """Start a process whose target is a lambda: fine under fork, an error otherwise."""
    context = multiprocessing.get_context(method)
    try:
        child = context.Process(target=lambda: None)
        child.start()
    except Exception as error:  # PicklingError or AttributeError, by method
        return f"fails: {type(error).__name__}"
    child.join()
    return "works"


def main() -> None:
    global SETTING
    SETTING = "changed at run time"
    print(f"{'method':<12}{'start + join':>14}   {'SETTING in the child':<22}lambda")
    for method in METHODS:
        cost = start_cost(method)
        seen, target = setting_seen(method), lambda_target(method)
        print(f"{method:<12}{cost * 1000:>11.1f} ms   {seen!r:<22}{target}")
    print("\nOnly fork hands the child what the parent changed at run time, and only")
    print("fork can start a lambda. Code that needs either works on Linux before 3.14")
    print("and breaks under spawn (macOS, Windows) and forkserver (Linux from 3.14).")


if __name__ == "__main__":
    main()

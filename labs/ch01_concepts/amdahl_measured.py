"""Amdahl's law against a real run: a job that is 80 % parallel, on 1 to 4 processes.

The job has a serial part (done in the parent: think reading the input and
merging the results) and a parallel part split into n equal chunks that n
worker processes compute at once. By construction 80 % of the serial running
time is parallel work, so Amdahl predicts S(n) = 1 / (0.2 + 0.8 / n).

Measured honestly: the worker processes are started and warmed up before any
timing (their start-up is a fixed cost we report separately), every round
times the serial baseline and then each n, back to back, and the median of
the rounds is reported. On a 2-core machine, watch what happens past n = 2.

Run it:  python -m labs.ch01_concepts.amdahl_measured [--plot FILE]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

from labs.ch01_concepts.threads_vs_processes import calibrate, spin

PARALLEL_FRACTION = 0.8
WORKERS = (1, 2, 3, 4)
ROUNDS = 3


def amdahl(p: float, n: int) -> float:
    return 1 / ((1 - p) + p / n)


def job(
    pool: ProcessPoolExecutor | None, n: int, steps: int, p: float = PARALLEL_FRACTION
) -> None:
    """The whole job: (1 - p) of the steps here, p of them split over n workers."""
    spin(int(steps * (1 - p)))  # the serial part
    chunk = int(steps * p) // n
    if pool is None:
        spin(chunk * n)  # the serial baseline does the parallel part itself
    else:
        for future in [pool.submit(spin, chunk) for _ in range(n)]:
            future.result()


def measure(
    seconds: float = 0.25, workers=WORKERS, rounds: int = ROUNDS, mp_context=None
) -> dict:
    """Median times of the serial baseline and of the job on each n; the speedups."""
    steps = calibrate(seconds)
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=max(workers), mp_context=mp_context) as pool:
        # warm-up: start every worker (it imports spin) before timing anything
        for future in [pool.submit(spin, 10) for _ in range(max(workers))]:
            future.result()
        startup = time.perf_counter() - start
        times: dict[object, list[float]] = {"serial": [], **{n: [] for n in workers}}
        for _ in range(rounds):
            for key in times:
                began = time.perf_counter()
                job(
                    None if key == "serial" else pool,
                    1 if key == "serial" else key,
                    steps,
                )
                times[key].append(time.perf_counter() - began)
    medians = {key: statistics.median(values) for key, values in times.items()}
    serial = medians.pop("serial")
    return {
        "workers": list(workers),
        "serial": serial,
        "times": [medians[n] for n in workers],
        "speedups": [serial / medians[n] for n in workers],
        "amdahl": [amdahl(PARALLEL_FRACTION, n) for n in workers],
        "startup": startup,
    }


def plot(result, ax=None, path=None):
    import matplotlib

    if path:
        matplotlib.use("Agg")
    from course.tracing import plot_speedup

    ax = plot_speedup(
        result["workers"],
        {f"measured on {os.cpu_count()} CPUs": result["speedups"]},
        ax=ax,
        title="A job that is 80 % parallel",
        amdahl_parallel_fraction=PARALLEL_FRACTION,
    )
    if path:
        ax.figure.savefig(path, dpi=100)
    return ax


def print_table(result) -> None:
    print(
        f"serial baseline: {result['serial']:.3f} s (median of {ROUNDS} rounds)\n"
        f"starting {max(result['workers'])} worker processes took "
        f"{result['startup']:.3f} s, not counted\n"
    )
    print(f"{'workers':>7}{'time':>9}{'speedup':>9}{'Amdahl':>8}")
    for n, t, s, a in zip(
        result["workers"], result["times"], result["speedups"], result["amdahl"]
    ):
        print(f"{n:>7}{t:>8.3f}s{s:>8.2f}x{a:>7.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", metavar="FILE", help="save the speedup plot to FILE")
    args = parser.parse_args()

    result = measure()
    print_table(result)
    print(
        "\nWhat to notice:\n"
        f"- even with p = {PARALLEL_FRACTION}, 2 workers give at most {amdahl(PARALLEL_FRACTION, 2):.2f}x and infinitely many "
        f"{1 / (1 - PARALLEL_FRACTION):.0f}x;\n"
        f"- with n above the {os.cpu_count()} cores, workers share cores: on a quiet machine the measured curve\n"
        "  flattens while Amdahl's keeps rising (the law assumes a core per worker). On a busy machine\n"
        "  more processes can instead win a larger share of the CPU from other programs: a sign the\n"
        "  measurement says as much about the machine's load as about your code;\n"
        "- n = 1 costs a little more than the baseline: sending work to another process is not free;\n"
        "- re-run it: the numbers move. That is noise, and why one run proves little."
    )
    if args.plot:
        plot(result, path=args.plot)
        print(f"\nplot saved to {args.plot}")


if __name__ == "__main__":
    main()

"""Errors across processes: lost by apply_async, delivered by callbacks and futures.

Run: python -m labs.ch03_multiprocessing.async_errors

An exception raised in a worker is pickled and sent back, but a Pool keeps it
in the task's AsyncResult: nobody learns of it unless `.get()` is called or an
`error_callback` was given. A `concurrent.futures` executor keeps it in the
future, and `as_completed` yields futures as they finish; `result()` raises
the worker's exception, with its type, in the caller. Notice which errors
surface and which vanish.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed


def check_age(age: int) -> int:
    if age < 0:
        raise ValueError(f"an age cannot be negative: {age}")
    return age


def apply_async_outcomes(ages, context, *, error_callback: bool) -> list[str]:
    """apply_async every age, never calling .get(): which outcomes do we hear of?"""
    heard: list[str] = []

    def on_error(error):
        heard.append(f"{type(error).__name__}: {error}")

    with context.Pool(2) as pool:
        for age in ages:
            pool.apply_async(
                check_age,
                (age,),
                callback=lambda value: heard.append(f"ok {value}"),
                error_callback=on_error if error_callback else None,
            )
        pool.close()
        pool.join()
    return heard


def futures_as_completed(ages, context) -> list[str]:
    """ProcessPoolExecutor: result() re-raises the worker's exception in the caller."""
    heard = []
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        futures = {pool.submit(check_age, age): age for age in ages}
        for future in as_completed(futures):
            try:
                heard.append(f"ok {future.result()}")
            except ValueError as error:
                heard.append(f"ValueError for {futures[future]}: {error}")
    return heard


def main() -> None:
    context = multiprocessing.get_context("forkserver")
    ages = [30, -1, 42]
    for error_callback in (False, True):
        heard = apply_async_outcomes(ages, context, error_callback=error_callback)
        print(f"error_callback={error_callback!s:<5}:", sorted(heard))
    print("as_completed:        ", sorted(futures_as_completed(ages, context)))
    print("\nWithout an error_callback or .get(), the ValueError for -1 is lost.")


if __name__ == "__main__":
    main()

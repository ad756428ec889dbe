import threading

import pytest

from course.testing import provoke_races, yield_point


@pytest.mark.task("counts")
def test_counts_in_one_thread(exercise):
    counter = exercise.Counter()
    for _ in range(5):
        counter.increment()
    assert counter.value == 5


@pytest.mark.task("threads")
def test_counts_from_four_threads_without_losing_updates(exercise):
    counter = exercise.Counter(io=yield_point)

    def work():
        for _ in range(500):
            counter.increment()

    with provoke_races():
        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=5)
    assert counter.value == 2000, f"4 threads x 500 increments ended at {counter.value}, expected 2000"

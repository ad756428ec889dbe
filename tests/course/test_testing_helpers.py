"""The helpers graded tests rely on really expose the bugs they claim to."""

import asyncio
import os
import threading
import time
from pathlib import Path

import pytest

from course.testing import EventLoopBlocked, Overlap, provoke_races, run_async, wait_until, yield_point

ROOT = Path(__file__).resolve().parents[2]


def racy_deposits(threads: int, each: int, lock) -> int:
    balance = [0]

    def deposit():
        for _ in range(each):
            if lock:
                lock.acquire()
            current = balance[0]
            yield_point()
            balance[0] = current + 1
            if lock:
                lock.release()

    workers = [threading.Thread(target=deposit) for _ in range(threads)]
    with provoke_races():
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=10)
    return balance[0]


@pytest.mark.parametrize("attempt", range(3))
def test_a_yield_point_makes_an_unlocked_update_lose_writes_every_time(attempt):
    assert racy_deposits(4, 500, lock=None) < 2000


def test_the_same_update_under_a_lock_loses_nothing():
    assert racy_deposits(4, 500, lock=threading.Lock()) == 2000


def test_overlap_sees_parallel_workers_and_not_serial_ones():
    parallel = Overlap(hold_until=3, hold_timeout=5)
    def work(probe):
        with probe.region():
            pass

    workers = [threading.Thread(target=work, args=(parallel,)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=10)
    assert parallel.max_inside == 3 and len(parallel.threads) == 3

    serial = Overlap(hold_until=2, hold_timeout=0.2)
    for _ in range(3):
        work(serial)
    assert serial.max_inside == 1 and serial.entries == 3


def test_run_async_names_the_coroutine_that_blocked_the_loop():
    async def blocks():
        time.sleep(0.3)  # the bug under test: a blocking call inside a coroutine

    with pytest.raises(EventLoopBlocked, match="blocks"):
        run_async(blocks, max_lag=0.1)


def test_run_async_passes_a_coroutine_that_awaits():
    async def awaits():
        await asyncio.sleep(0.05)
        return 42

    assert run_async(awaits, max_lag=0.1) == 42


def test_wait_until_gives_up_at_its_deadline():
    started = time.monotonic()
    with pytest.raises(AssertionError, match="never"):
        wait_until(lambda: False, timeout=0.2, message="never")
    assert time.monotonic() - started < 2


LEAKY_TESTS = '''
import multiprocessing, socket, threading

def test_leaks_a_thread():
    threading.Thread(target=threading.Event().wait, args=(30,), daemon=True).start()

def test_leaks_a_process():
    multiprocessing.get_context("fork").Process(target=threading.Event().wait, args=(30,), daemon=True).start()

def test_leaks_a_listening_socket():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    test_leaks_a_listening_socket.keep = server

def test_leaks_a_shared_memory_block():
    from multiprocessing.shared_memory import SharedMemory

    block = SharedMemory(create=True, size=16)
    block.close()  # closed but never unlinked: it stays in /dev/shm

def test_cleans_up():
    worker = threading.Thread(target=lambda: None)
    worker.start()
    worker.join()
    from multiprocessing.shared_memory import SharedMemory

    block = SharedMemory(create=True, size=16)
    block.close()
    block.unlink()
'''


@pytest.mark.timeout(60)
def test_the_leak_check_fails_tests_that_leave_work_running(pytester, monkeypatch):
    monkeypatch.setenv("COURSE_ROOT", str(ROOT))
    pytester.makepyfile(test_leaky=LEAKY_TESTS)
    result = pytester.runpytest_subprocess("-p", "course.testing.plugin", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=5, errors=4)
    result.stdout.fnmatch_lines(["*threads still running*", "*child processes still running*", "*servers still listening*",
                                 "*shared-memory segments left in /dev/shm: psm_*"])


def test_run_async_says_where_the_loop_was_blocked():
    def lookup():
        time.sleep(0.3)  # the line the report must point at

    async def handle_request():
        await asyncio.sleep(0)
        lookup()

    with pytest.raises(EventLoopBlocked) as blocked:
        run_async(handle_request, max_lag=0.1)
    report = str(blocked.value)
    assert "handle_request() (task" in report and "held the loop" in report, report
    assert "in test_run_async_says_where_the_loop_was_blocked.<locals>.lookup(): time.sleep(0.3)" in report, report
    assert "called from" in report and "in test_run_async_says_where_the_loop_was_blocked.<locals>.handle_request(): lookup()" in report


def test_run_async_reports_a_blocked_loop_even_when_main_then_fails():
    async def blocks_then_fails():
        time.sleep(0.3)
        raise KeyError("later")

    with pytest.raises(EventLoopBlocked, match="blocks_then_fails") as blocked:
        run_async(blocks_then_fails, max_lag=0.1)
    assert isinstance(blocked.value.__cause__, KeyError)


def test_run_async_on_a_virtual_clock_jumps_over_waits_and_keeps_exact_time():
    async def sleeps():
        loop = asyncio.get_running_loop()
        await asyncio.sleep(3600)
        async with asyncio.timeout(5):
            await asyncio.sleep(4.5)
        return loop.time()

    started = time.monotonic()
    assert run_async(sleeps, virtual_clock=True, timeout=10_000) == 3604.5
    assert time.monotonic() - started < 5


def test_run_async_on_a_virtual_clock_times_out_a_stuck_coroutine_at_once():
    async def stuck():
        await asyncio.Event().wait()

    started = time.monotonic()
    with pytest.raises(TimeoutError):
        run_async(stuck, virtual_clock=True, timeout=1000)
    assert time.monotonic() - started < 5


LOST_WORK = '''
import asyncio, gc

async def work():
    return 1

def test_never_awaited():
    async def main():
        work()
    asyncio.run(main())

def test_destroyed_while_pending():
    async def waiter():
        await asyncio.get_running_loop().create_future()
    async def main():
        asyncio.get_running_loop().create_task(waiter())
        await asyncio.sleep(0)
        gc.collect()
    asyncio.run(main())

def test_awaited():
    async def main():
        return await work()
    assert asyncio.run(main()) == 1
'''


@pytest.mark.timeout(60)
def test_a_lost_coroutine_or_a_destroyed_pending_task_fails_the_test(pytester, monkeypatch):
    monkeypatch.setenv("COURSE_ROOT", str(Path(__file__).resolve().parents[2]))
    pytester.makepyfile(test_lost=LOST_WORK)
    result = pytester.runpytest_subprocess("-p", "course.testing.plugin", "-p", "no:cacheprovider", "-rE", "--tb=short")
    result.assert_outcomes(passed=3, errors=2)
    result.stdout.fnmatch_lines([
        "*coroutine 'work' was never awaited (call it with await*",
        "*Task was destroyed but it is pending!*waiter()*(keep a reference to every task*",
    ])



START_METHOD_TESTS = """
import pickle

def test_pickles_a_lambda(mp_context):
    if mp_context.get_start_method() != "fork":
        pickle.dumps(lambda: None)

def test_sees_a_global(mp_context):
    assert mp_context.get_start_method() == "fork", "the worker saw None"
"""


@pytest.mark.timeout(60)
def test_a_failure_under_a_start_method_says_which_and_what_it_means(pytester, monkeypatch):
    monkeypatch.setenv("COURSE_ROOT", str(ROOT))
    pytester.makepyfile(test_methods=START_METHOD_TESTS)
    result = pytester.runpytest_subprocess("-p", "course.testing.plugin", "-p", "no:cacheprovider", "--tb=line")
    result.assert_outcomes(passed=2, failed=4)
    result.stdout.fnmatch_lines([
        "*: failed under the spawn start method (each worker is a fresh Python*"
        "; a nested function or lambda cannot be pickled: define it at module level*",
    ])
    result.stdout.fnmatch_lines([
        "*AssertionError: failed under the forkserver start method "
        "(each worker is forked from a clean server process*): the worker saw None*",
    ])


# Run in a fresh interpreter: an audit hook cannot be removed once added.
NO_FRAMES_OF_OTHER_THREADS = r'''
import asyncio, sys, threading, time
events = []
sys.addaudithook(lambda event, args: event == "sys._current_frames" and events.append(event))

from course.grading.channel import dump_stacks_as_text
from course.grading.timeline import Recorder
from course.testing import EventLoopBlocked, provoke_races, run_async, yield_point

tree = sys.argv[1]
sys.path.insert(0, tree)
import busy  # the code under test: three threads at a 1 us switch interval

recorder = Recorder(tree)
recorder.start()
with provoke_races():
    workers = [threading.Thread(target=busy.work, name=f"worker-{n}") for n in range(3)]
    for worker in workers:
        worker.start()
    class Terminal:
        text = ""
        def write(self, text):
            Terminal.text += text
    dump_stacks_as_text(Terminal())
    for worker in workers:
        worker.join()
spans = recorder.stop()

async def blocks():
    time.sleep(0.5)
try:
    run_async(blocks, max_lag=0.1)
    blocked = "not reported"
except EventLoopBlocked as error:
    blocked = str(error)

assert events == [], f"frames of other threads were taken: {events}"
assert {lane for lane, *_ in spans} >= {"worker-0", "worker-1", "worker-2"}, spans
assert {what for _, what, *_ in spans} & {"work", "step", "waits: with (a lock)"}, spans
assert "--- thread worker-" in Terminal.text and "busy.py" in Terminal.text, Terminal.text
assert "blocks() (task" in blocked and "held the loop" in blocked, blocked
print("ok")
'''

BUSY = '''
import threading
lock = threading.Lock()
total = [0]

def step():
    with lock:
        total[0] += 1

def work():
    for _ in range(20000):
        step()
'''


@pytest.mark.timeout(60)
def test_the_toolkit_reads_other_threads_stacks_without_taking_their_frames(tmp_path):
    """A frame object of a thread that runs on can crash CPython 3.11.2 (the classroom image's
    interpreter): the timeline sampler, the timeout's stack dump and run_async's watchdog read
    every stack as text (course.testing.stacks), and still say who ran what."""
    import subprocess
    import sys

    (tmp_path / "busy.py").write_text(BUSY)
    run = subprocess.run([sys.executable, "-c", NO_FRAMES_OF_OTHER_THREADS, str(tmp_path)],
                         capture_output=True, text=True, timeout=50)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stdout + run.stderr

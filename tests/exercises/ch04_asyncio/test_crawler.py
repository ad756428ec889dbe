"""Graded tests for exercises/ch04_asyncio/crawler.py.

Every test runs on a virtual clock (course.testing.run_async(virtual_clock=True)):
the loop's clock jumps to the next timer whenever every task waits, so a fetch
that "takes 3 seconds" is `asyncio.sleep(3)` and returns at once in real time,
at exactly loop time 3. The fake network records, on that clock, when each
fetch started and ended and how many were in flight: the bound, the reuse of a
freed slot and the timeouts are checked exactly, with no real sleep.

A crawl that stops making progress (a slot that leaked) leaves every task
waiting: the clock jumps to run_async's deadline and the test fails at once.
"""

from __future__ import annotations

import asyncio
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course.testing import assert_rejected, plain, run_async

MODEL = settings(
    derandomize=True, max_examples=30, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
DEADLINE = 1000.0  # virtual seconds: far beyond any crawl here, reached at once by a stuck one
MAX_LAG = 1.0  # real seconds the loop may be held: generous, a busy machine must not fail a test


class FetchError(Exception):
    pass


class Net:
    """A fake network: fetch(url) takes `delays[url]` seconds (1 by default) of loop time."""

    def __init__(self, delays=None, failing=()):
        self.delays = dict(delays or {})
        self.failing = set(failing)
        self.inside = 0
        self.max_inside = 0
        self.calls = 0
        self.starts: dict[str, list[float]] = {}
        self.ends: dict[str, list[float]] = {}
        self.cancelled: list[tuple[str, float]] = []

    async def __call__(self, url):
        loop = asyncio.get_running_loop()
        self.calls += 1
        number = self.calls
        self.starts.setdefault(url, []).append(loop.time())
        self.inside += 1
        self.max_inside = max(self.max_inside, self.inside)
        try:
            await asyncio.sleep(self.delays.get(url, 1.0))
            if url in self.failing:
                raise FetchError(f"fetch({url!r}) failed")
            return f"<page {url} #{number}>"
        except asyncio.CancelledError:
            self.cancelled.append((url, loop.time()))
            raise
        finally:
            self.inside -= 1
            self.ends.setdefault(url, []).append(loop.time())


def crawl(exercise, urls, net, *, limit, timeout):
    """Run the crawl on a virtual clock; return its result and the loop time it took."""

    async def main():
        loop = asyncio.get_running_loop()
        before = asyncio.all_tasks()
        got = await exercise.crawl(urls, net, limit=limit, timeout=timeout)
        left = [task for task in asyncio.all_tasks() - before if not task.done()]
        if left or net.inside:
            pytest.fail(
                f"crawl({urls}, limit={limit}, timeout={timeout}) returned while {net.inside} fetch(es) were still in "
                f"flight and {len(left)} of its task(s) still running; it returns only when every fetch has finished",
                pytrace=False,
            )
        return got, loop.time()

    try:
        return run_async(main, virtual_clock=True, timeout=DEADLINE, max_lag=MAX_LAG)
    except TimeoutError:
        pytest.fail(
            f"crawl({urls}, limit={limit}, timeout={timeout}) never returned: after {DEADLINE:.0f} s of loop time "
            f"{net.inside} fetch(es) were in flight and {net.calls} of {len(urls)} had started (a slot never given back?)",
            pytrace=False,
        )


def page_urls(got):
    return [None if page is None else page.split(" ")[1] for page in plain(got)]


# ---- task: results -------------------------------------------------------------------


@pytest.mark.task("results")
def test_every_page_comes_back_in_the_order_of_the_urls(exercise):
    urls = ["a", "b", "c", "d", "e"]
    net = Net({"a": 3, "b": 1, "c": 2, "d": 1, "e": 1})
    got, _ = crawl(exercise, urls, net, limit=2, timeout=10)
    assert type(got) is list and page_urls(got) == urls, (
        f"crawl({urls}, limit=2, timeout=10) returned {got!r}, expected the page of each URL at its index"
    )


@pytest.mark.task("results")
def test_a_failed_fetch_gives_none_and_the_others_still_arrive(exercise):
    urls = ["a", "bad", "c", "d"]
    net = Net(failing={"bad"})
    got, _ = crawl(exercise, urls, net, limit=2, timeout=10)
    assert page_urls(got) == ["a", None, "c", "d"], (
        f"fetch('bad') raised FetchError; crawl({urls}, limit=2) returned {got!r}, expected None at index 1 and "
        "every other page"
    )


@pytest.mark.task("results")
def test_a_url_listed_twice_is_fetched_twice_and_no_urls_fetch_nothing(exercise):
    net = Net()
    got, _ = crawl(exercise, ["x", "x"], net, limit=3, timeout=10)
    assert page_urls(got) == ["x", "x"] and len(set(got)) == 2 and net.calls == 2, (
        f"crawl(['x', 'x']) called fetch {net.calls} time(s) and returned {got!r}, expected two fetches, "
        "each one's own page"
    )
    empty = Net()
    got, _ = crawl(exercise, [], empty, limit=3, timeout=10)
    assert plain(got) == [] and empty.calls == 0, f"crawl([]) returned {got!r} after {empty.calls} fetch(es)"


@pytest.mark.task("results")
def test_a_limit_below_one_or_a_timeout_not_above_zero_is_rejected(exercise):
    for limit, timeout in ((0, 5), (-1, 5), (2, 0), (2, -1.5)):
        net = Net()
        assert_rejected(
            f"crawl(['a'], fetch, limit={limit}, timeout={timeout})",
            lambda: run_async(lambda: exercise.crawl(["a"], net, limit=limit, timeout=timeout), virtual_clock=True),
        )
        assert net.calls == 0, f"crawl(limit={limit}, timeout={timeout}) fetched {net.calls} URL(s) before refusing"


@pytest.mark.task("results")
@MODEL
@given(
    specs=st.lists(st.tuples(st.sampled_from("abcdef"), st.integers(1, 6), st.booleans()), max_size=10),
    limit=st.integers(1, 4),
)
def test_each_entry_is_its_own_fetch_or_none(exercise, specs, limit):
    """Against a model: an entry is None exactly when its fetch failed or ran past the timeout."""
    timeout = 3.5
    urls = [f"{name}{i}" for i, (name, _, _) in enumerate(specs)]
    net = Net({url: delay for url, (_, delay, _) in zip(urls, specs)}, {url for url, (_, _, bad) in zip(urls, specs) if bad})
    got, _ = crawl(exercise, urls, net, limit=limit, timeout=timeout)
    expected = [None if bad or delay > timeout else url for url, (_, delay, bad) in zip(urls, specs)]
    assert page_urls(got) == expected, (
        f"crawl({urls}, limit={limit}, timeout={timeout}) with delays {net.delays} and failing {sorted(net.failing)} "
        f"returned {got!r}; expected pages (None for failed or slow URLs) at {expected}"
    )
    assert net.max_inside <= limit, f"{net.max_inside} fetches were in flight at once with limit={limit}"


# ---- task: bounded -------------------------------------------------------------------


@pytest.mark.task("bounded")
def test_never_more_than_limit_fetches_in_flight(exercise):
    urls = [f"u{i}" for i in range(12)]
    net = Net()
    crawl(exercise, urls, net, limit=3, timeout=10)
    assert net.max_inside <= 3, f"crawl(12 urls, limit=3) had {net.max_inside} fetches in flight at once, expected at most 3"


@pytest.mark.task("bounded")
def test_limit_fetches_run_at_once_and_a_freed_slot_is_reused_at_once(exercise):
    urls = [f"u{i}" for i in range(7)]
    net = Net({"u0": 1, "u1": 2, "u2": 3})  # the rest take 1 s each
    got, took = crawl(exercise, urls, net, limit=3, timeout=10)
    assert net.max_inside == 3, f"crawl(7 urls, limit=3) had at most {net.max_inside} fetch(es) in flight at once, expected 3"
    firsts = sorted(times[0] for times in net.starts.values())
    # u0 ends at 1, u1 at 2, u2 at 3: each frees a slot the next URL takes at that moment.
    assert firsts == pytest.approx([0, 0, 0, 1, 2, 2, 3], abs=1e-6) and math.isclose(took, 4, abs_tol=1e-6), (
        f"with limit=3 and fetches of 1, 2, 3, 1, 1, 1, 1 s, the fetches started at {firsts} (loop time) and the crawl "
        "took {took}; expected starts at 0, 0, 0, 1, 2, 2, 3 and 4 s in all (a freed slot taken at once, not after a batch)"
    )
    assert page_urls(got) == urls, f"crawl returned {got!r}"


@pytest.mark.task("bounded")
def test_fewer_urls_than_the_limit_all_run_at_once(exercise):
    net = Net()
    _, took = crawl(exercise, ["a", "b"], net, limit=5, timeout=10)
    assert net.max_inside == 2 and math.isclose(took, 1, abs_tol=1e-6), (
        f"crawl(['a', 'b'], limit=5) with 1 s fetches had {net.max_inside} in flight at once and took {took} s, "
        "expected both at once, 1 s"
    )


# ---- task: timeouts -----------------------------------------------------------------


@pytest.mark.task("timeouts")
def test_a_slow_fetch_is_cancelled_at_its_timeout_and_gives_none(exercise):
    net = Net({"slow": 50, "a": 1, "b": 2})
    got, took = crawl(exercise, ["slow", "a", "b"], net, limit=3, timeout=4)
    assert page_urls(got) == [None, "a", "b"], (
        f"fetch('slow') takes 50 s; crawl(timeout=4) returned {got!r}, expected None for it and the other pages"
    )
    assert [url for url, _ in net.cancelled] == ["slow"] and math.isclose(net.cancelled[0][1], 4, abs_tol=1e-6), (
        f"fetch('slow') was cancelled at {net.cancelled} (loop time), expected once, at 4 s, its timeout"
    )
    assert math.isclose(took, 4, abs_tol=1e-6), f"the crawl took {took} s of loop time, expected 4 (the timeout)"


@pytest.mark.task("timeouts")
def test_the_timeout_counts_the_fetch_not_the_wait_for_a_slot(exercise):
    net = Net({"x": 3, "y": 3})
    got, took = crawl(exercise, ["x", "y"], net, limit=1, timeout=4)
    assert page_urls(got) == ["x", "y"] and not net.cancelled, (
        "with limit=1 and timeout=4, fetch('y') waited 3 s for the slot and then took 3 s; crawl returned "
        f"{got!r} and cancelled {net.cancelled}, expected both pages: the timeout starts when the fetch does"
    )
    assert math.isclose(took, 6, abs_tol=1e-6), f"the crawl took {took} s of loop time, expected 6"


@pytest.mark.task("timeouts")
def test_every_fetch_gets_its_own_timeout(exercise):
    net = Net({"a": 3, "b": 3, "c": 3, "d": 3})
    got, _ = crawl(exercise, ["a", "b", "c", "d"], net, limit=2, timeout=3.5)
    assert page_urls(got) == ["a", "b", "c", "d"] and not net.cancelled, (
        f"four 3 s fetches, limit=2, timeout=3.5: crawl returned {got!r} and cancelled {net.cancelled}, expected "
        "every page (each fetch has 3.5 s of its own, not 3.5 s for the whole crawl)"
    )


@pytest.mark.task("timeouts")
def test_a_timeout_below_one_second_works(exercise):
    net = Net({"quick": 0.25, "late": 0.75})
    got, took = crawl(exercise, ["quick", "late"], net, limit=2, timeout=0.5)
    assert page_urls(got) == ["quick", None] and math.isclose(took, 0.5, abs_tol=1e-6), (
        f"crawl(timeout=0.5) with fetches of 0.25 s and 0.75 s returned {got!r} after {took} s, expected the first "
        "page, None for the second, and 0.5 s in all"
    )


# ---- task: slots_freed ----------------------------------------------------------------


@pytest.mark.task("slots_freed")
def test_timed_out_fetches_give_their_slots_back(exercise):
    urls = ["slow1", "slow2", "f1", "f2", "f3"]
    net = Net({"slow1": 50, "slow2": 50})
    got, took = crawl(exercise, urls, net, limit=2, timeout=2)
    assert page_urls(got) == [None, None, "f1", "f2", "f3"], f"crawl({urls}, limit=2, timeout=2) returned {got!r}"
    starts = [net.starts[url][0] for url in ("f1", "f2")]
    assert starts == pytest.approx([2, 2], abs=1e-6) and math.isclose(took, 4, abs_tol=1e-6), (
        f"the two slow fetches timed out at 2 s; f1 and f2 started at {starts} and the crawl took {took} s, expected "
        "both to start at 2 s in the freed slots and the crawl to take 4 s"
    )


@pytest.mark.task("slots_freed")
def test_failed_fetches_give_their_slots_back(exercise):
    urls = ["bad1", "bad2", "f1", "f2"]
    net = Net(failing={"bad1", "bad2"})
    got, took = crawl(exercise, urls, net, limit=2, timeout=5)
    assert page_urls(got) == [None, None, "f1", "f2"] and net.max_inside == 2 and math.isclose(took, 2, abs_tol=1e-6), (
        f"two fetches failed after 1 s with limit=2; crawl returned {got!r} after {took} s with at most "
        f"{net.max_inside} in flight, expected both slots reused at 1 s and 2 s in all"
    )


@pytest.mark.task("slots_freed")
def test_a_cancelled_crawl_cancels_its_fetches_and_leaves_nothing_running(exercise):
    net = Net({url: 100 for url in ("a", "b", "c")})

    async def main():
        loop = asyncio.get_running_loop()
        before = asyncio.all_tasks()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(5):
                await exercise.crawl(["a", "b", "c"], net, limit=2, timeout=50)
        others = asyncio.all_tasks() - before
        return loop.time(), net.inside, len(others)

    now, inside, others = run_async(main, virtual_clock=True, timeout=DEADLINE, max_lag=MAX_LAG)
    assert inside == 0 and others == 0 and sorted(url for url, _ in net.cancelled) == ["a", "b"], (
        f"crawl was cancelled at 5 s (an asyncio.timeout around it): then {inside} fetch(es) were still in flight, "
        f"{others} other task(s) existed and {net.cancelled} were cancelled; expected the two running fetches "
        "cancelled and nothing left"
    )
    assert math.isclose(now, 5, abs_tol=1e-6), f"the cancelled crawl returned control at {now} s, expected 5"

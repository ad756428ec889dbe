"""Graded tests for exercises/ch02_threading/limited_fetcher.py.

The simulated download does not sleep: it enters a course.testing.Overlap
region and waits for the test to open its gate. While the gates are shut, the
number of downloads inside the region IS the number in flight, so the bound and
the parallelism are both proven by observation, never by a stopwatch:

- "at most N": with N downloads held inside, nobody else gets in for a while;
- "really N": N downloads are inside together, and when one finishes another
  takes its place while the rest are still held;
- one limit: downloads from fetch() in other threads and from other
  fetch_all() calls count against the same N.

The order of the results is checked against a sequential model with
hypothesis (a fixed profile): each call of the fake download returns a token
of its own, so a result put at the wrong index, or a URL downloaded twice or
never, shows.
"""

from __future__ import annotations

import itertools
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course.testing import Overlap, plain, wait_until
from course.testing.explore import explore, pause

MODEL = settings(
    derandomize=True,
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

HOLD_SECONDS = 5.0  # a download waits at most this long for its gate
QUIET_SECONDS = 0.4  # how long an extra download has to show up, if the bound leaks
REACH_SECONDS = 2.0  # how long the expected number of downloads has to get in flight


class DownloadError(Exception):
    pass


class Downloads:
    """A fake network: each URL's download is held until the test opens its gate."""

    def __init__(self, urls=(), failing=()):
        self.probe = Overlap()
        self.gates = {url: threading.Event() for url in urls}
        self.failing = set(failing)
        self.entered: list[str] = []
        self.finished: list[str] = []

    def __call__(self, url):
        with self.probe.region():
            self.entered.append(url)
            try:
                gate = self.gates.get(url)
                if gate is not None:
                    gate.wait(HOLD_SECONDS)
                if url in self.failing:
                    raise DownloadError(f"download of {url} failed")
                return f"<page {url}>"
            finally:
                self.finished.append(url)

    def open(self, url):
        self.gates[url].set()

    def open_all(self):
        for gate in self.gates.values():
            gate.set()

    @property
    def inside(self):
        return self.probe.inside


class Helper(threading.Thread):
    def __init__(self, name, call):
        super().__init__(name=name, daemon=True)
        self.call, self.result, self.error = call, None, None

    def run(self):
        try:
            self.result = self.call()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.error = error


def urls(n):
    return [f"https://example.test/{i}" for i in range(n)]


def new_threads(before):
    """Threads started since `before` that are still alive, other than the test's helpers."""
    return [t for t in threading.enumerate() if t not in before and t.is_alive() and not isinstance(t, Helper)]


# ---- task 1: results ---------------------------------------------------------------


@pytest.mark.task("ordered_pages")
def test_fetch_all_returns_the_pages_in_the_order_of_the_urls(exercise):
    wanted = urls(7)
    fetcher = exercise.LimitedFetcher(Downloads(), limit=3)
    got = fetcher.fetch_all(wanted)
    expected = [f"<page {url}>" for url in wanted]
    assert plain(got) == expected, f"fetch_all(7 urls) returned {got}, expected {expected}"


@pytest.mark.task("ordered_pages")
def test_fetch_returns_one_page_and_an_empty_list_fetches_nothing(exercise):
    fetcher = exercise.LimitedFetcher(Downloads(), limit=2)
    assert plain(fetcher.fetch("u")) == "<page u>", "fetch('u') should return download('u')"
    assert plain(fetcher.fetch_all([])) == [], "fetch_all([]) should return []"


@pytest.mark.task("ordered_pages")
@MODEL
@given(
    wanted=st.lists(st.sampled_from("abcde"), max_size=9),
    limit=st.integers(1, 4),
    as_tuple=st.booleans(),
)
def test_every_url_is_downloaded_once_and_its_page_lands_at_its_index(exercise, wanted, limit, as_tuple):
    tokens = itertools.count()
    calls: list[str] = []

    def download(url):
        calls.append(url)
        return f"{url}#{next(tokens)}"

    given_urls = tuple(wanted) if as_tuple else list(wanted)
    got = plain(exercise.LimitedFetcher(download, limit).fetch_all(given_urls))
    assert type(got) is list and [page.split("#")[0] for page in got] == list(wanted), (
        f"LimitedFetcher(download, limit={limit}).fetch_all({given_urls!r}) returned {got!r}, expected a list with "
        "download(url) of each url at its index"
    )
    assert len(set(got)) == len(got) and sorted(calls) == sorted(wanted), (
        f"fetch_all({given_urls!r}) called download {len(calls)} time(s) ({calls}) and returned {got!r}; expected one "
        "call per entry and each call's own result"
    )


@pytest.mark.task("ordered_pages")
def test_fetch_all_has_finished_every_thread_when_it_returns(exercise):
    before = set(threading.enumerate())
    got = exercise.LimitedFetcher(Downloads(), limit=3).fetch_all(urls(5))
    left = new_threads(before)
    assert not left, (
        f"fetch_all(5 urls) with limit=3 returned {len(plain(got))} pages while thread(s) it started were still "
        f"alive: {', '.join(t.name for t in left)}"
    )


@pytest.mark.task("ordered_pages")
def test_a_limit_below_one_is_rejected(exercise):
    for limit in (0, -2):
        with pytest.raises(ValueError):
            exercise.LimitedFetcher(Downloads(), limit=limit)


# ---- task 2: never more than the limit ------------------------------------------------


def _hold_and_count(downloads, run, limit):
    """Run `run` in a helper while every download is held; report how many got in."""
    helper = Helper("fetch-all", run)
    helper.start()
    try:
        downloads.probe.wait_for_inside(limit, timeout=REACH_SECONDS)
        too_many = downloads.probe.wait_for_inside(limit + 1, timeout=QUIET_SECONDS)
        seen = downloads.probe.max_inside
    finally:
        downloads.open_all()
        helper.join(HOLD_SECONDS * 2)
    assert not helper.is_alive(), "fetching never finished after every download was released"
    return too_many, seen, helper


@pytest.mark.task("at_most_limit")
def test_fetch_all_never_has_more_than_limit_downloads_in_flight(exercise):
    wanted = urls(10)
    downloads = Downloads(wanted)
    fetcher = exercise.LimitedFetcher(downloads, limit=3)
    too_many, seen, helper = _hold_and_count(downloads, lambda: fetcher.fetch_all(wanted), 3)
    assert not too_many and seen <= 3, (
        f"LimitedFetcher(limit=3).fetch_all(10 urls) had {seen} downloads in flight at once, expected at most 3"
    )
    assert helper.error is None, f"fetch_all raised {helper.error!r}"


@pytest.mark.task("at_most_limit")
def test_callers_in_many_threads_share_one_limit(exercise):
    wanted = urls(8)
    downloads = Downloads(wanted)
    fetcher = exercise.LimitedFetcher(downloads, limit=2)

    def callers():
        threads = [Helper(f"caller-{i}", lambda url=url: fetcher.fetch(url)) for i, url in enumerate(wanted)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(HOLD_SECONDS * 2)
        errors = [t.error for t in threads if t.error]
        if errors:
            raise errors[0]

    too_many, seen, helper = _hold_and_count(downloads, callers, 2)
    assert not too_many and seen <= 2, (
        f"8 threads each called fetch() on one LimitedFetcher(limit=2): {seen} downloads were in flight at once, "
        "expected at most 2"
    )
    assert helper.error is None, f"a fetch() raised {helper.error!r}"


def run_beside(*calls):
    """Run the calls at once, each in a helper; raise the first error any of them raised."""
    helpers = [Helper(f"call-{i}", call) for i, call in enumerate(calls)]
    for helper in helpers:
        helper.start()
    for helper in helpers:
        helper.join(HOLD_SECONDS * 2)
    errors = [h.error for h in helpers if h.error]
    if errors:
        raise errors[0]


@pytest.mark.task("at_most_limit")
def test_fetch_and_fetch_all_share_one_limit(exercise):
    wanted = urls(6)
    downloads = Downloads(wanted)
    fetcher = exercise.LimitedFetcher(downloads, limit=3)
    calls = [lambda: fetcher.fetch(wanted[0]), lambda: fetcher.fetch(wanted[1]), lambda: fetcher.fetch_all(wanted[2:])]
    too_many, seen, helper = _hold_and_count(downloads, lambda: run_beside(*calls), 3)
    assert not too_many and seen <= 3, (
        f"on one LimitedFetcher(limit=3), two threads called fetch() and a third fetch_all(4 urls): {seen} downloads "
        "were in flight at once, expected at most 3"
    )
    assert helper.error is None, f"a fetch raised {helper.error!r}"


@pytest.mark.task("at_most_limit")
def test_two_fetch_alls_share_one_limit(exercise):
    wanted = urls(8)
    downloads = Downloads(wanted)
    fetcher = exercise.LimitedFetcher(downloads, limit=2)
    calls = [lambda: fetcher.fetch_all(wanted[:4]), lambda: fetcher.fetch_all(wanted[4:])]
    too_many, seen, helper = _hold_and_count(downloads, lambda: run_beside(*calls), 2)
    assert not too_many and seen <= 2, (
        f"on one LimitedFetcher(limit=2), two threads each called fetch_all(4 urls): {seen} downloads were in "
        "flight at once, expected at most 2"
    )
    assert helper.error is None, f"a fetch_all raised {helper.error!r}"


# ---- task 3: really uses the limit ---------------------------------------------------


@pytest.mark.task("really_limit")
def test_fetch_all_keeps_limit_downloads_in_flight(exercise):
    wanted = urls(6)
    downloads = Downloads(wanted)
    fetcher = exercise.LimitedFetcher(downloads, limit=3)
    helper = Helper("fetch-all", lambda: fetcher.fetch_all(wanted))
    helper.start()
    try:
        three = downloads.probe.wait_for_inside(3, timeout=REACH_SECONDS)
        assert three, (
            f"LimitedFetcher(limit=3).fetch_all(6 urls): at most {downloads.probe.max_inside} download(s) were in "
            f"flight at once within {REACH_SECONDS:.0f} s, expected 3"
        )
        # Let one of the held downloads finish: another must take its slot while
        # the other two are still in flight (no waiting for a whole batch).
        downloads.open(downloads.entered[0])
        try:
            wait_until(
                lambda: len(downloads.entered) >= 4 and downloads.inside >= 3,
                timeout=2.0,
            )
        except AssertionError:
            pytest.fail(
                f"fetch_all(6 urls) with limit=3: one of 3 held downloads finished, and for the next 2 s "
                f"{downloads.inside} stayed in flight ({len(downloads.entered)} started so far), expected a 4th to "
                "start while the other 2 were still held",
                pytrace=False,
            )
    finally:
        downloads.open_all()
        helper.join(HOLD_SECONDS * 2)
    assert helper.error is None, f"fetch_all raised {helper.error!r}"


@pytest.mark.task("really_limit")
def test_fewer_urls_than_the_limit_all_run_at_once(exercise):
    wanted = urls(2)
    downloads = Downloads(wanted)
    fetcher = exercise.LimitedFetcher(downloads, limit=5)
    helper = Helper("fetch-all", lambda: fetcher.fetch_all(wanted))
    helper.start()
    try:
        both = downloads.probe.wait_for_inside(2, timeout=REACH_SECONDS)
    finally:
        downloads.open_all()
        helper.join(HOLD_SECONDS * 2)
    assert both, f"fetch_all(2 urls) with limit=5 ran {downloads.probe.max_inside} download(s) at once, expected 2"
    assert plain(helper.result) == [f"<page {url}>" for url in wanted], f"fetch_all returned {helper.result!r}"


# ---- task 4: failures ------------------------------------------------------------------


@pytest.mark.task("failure_frees_slot")
def test_a_failed_download_gives_its_slot_back(exercise):
    downloads = Downloads(failing={"bad-1", "bad-2"})
    fetcher = exercise.LimitedFetcher(downloads, limit=2)
    for url in ("bad-1", "bad-2"):
        with pytest.raises(DownloadError):
            fetcher.fetch(url)
    helper = Helper("fetch-after-failures", lambda: fetcher.fetch("good"))
    helper.start()
    helper.join(3)
    assert not helper.is_alive(), (
        "with limit=2, fetch('bad-1') and fetch('bad-2') raised DownloadError, and then fetch('good') was still "
        "blocked 3 s later, expected it to return at once"
    )
    assert plain(helper.result) == "<page good>", f"fetch('good') returned {helper.result!r} / raised {helper.error!r}"


@pytest.mark.task("failure_frees_slot")
def test_fetch_all_raises_the_error_of_a_failed_download(exercise):
    wanted = urls(6)
    downloads = Downloads(failing={wanted[2]})
    fetcher = exercise.LimitedFetcher(downloads, limit=3)
    helper = Helper("fetch-all", lambda: fetcher.fetch_all(wanted))
    helper.start()
    helper.join(HOLD_SECONDS)
    assert not helper.is_alive(), "fetch_all never returned after one download failed"
    assert isinstance(helper.error, DownloadError), (
        f"one of 6 downloads raised DownloadError; fetch_all returned {helper.result!r} / raised {helper.error!r}, "
        "expected it to raise that DownloadError in the caller's thread"
    )


@pytest.mark.task("failure_frees_slot")
def test_fetch_all_raises_only_after_the_other_downloads_finished(exercise):
    wanted = urls(3)
    downloads = Downloads(wanted, failing={wanted[0]})
    fetcher = exercise.LimitedFetcher(downloads, limit=3)
    before = set(threading.enumerate())
    helper = Helper("fetch-all", lambda: fetcher.fetch_all(wanted))
    helper.start()
    try:
        assert downloads.probe.wait_for_inside(3, timeout=REACH_SECONDS), (
            f"fetch_all(3 urls) with limit=3: at most {downloads.probe.max_inside} download(s) were in flight at once "
            f"within {REACH_SECONDS:.0f} s, expected 3"
        )
        downloads.open(wanted[0])
        wait_until(lambda: wanted[0] in downloads.finished, timeout=REACH_SECONDS, message=f"the download of {wanted[0]} never ended")
        helper.join(QUIET_SECONDS)
        early = not helper.is_alive()
    finally:
        downloads.open_all()
        helper.join(HOLD_SECONDS * 2)
    assert not early, (
        f"fetch_all(3 urls): the download of {wanted[0]} raised while the other two were still held; fetch_all "
        f"{'raised ' + repr(helper.error) if helper.error else 'returned ' + repr(helper.result)} before they finished, "
        "expected it to wait for them"
    )
    assert isinstance(helper.error, DownloadError), f"fetch_all returned {helper.result!r} / raised {helper.error!r}, expected the DownloadError"
    left = new_threads(before)
    assert not left, f"fetch_all raised while thread(s) it started were still alive: {', '.join(t.name for t in left)}"


@pytest.mark.task("failure_frees_slot")
def test_fetch_all_raises_the_error_of_the_first_failing_url(exercise):
    wanted = urls(4)
    downloads = Downloads(wanted[:3], failing={wanted[1], wanted[3]})
    fetcher = exercise.LimitedFetcher(downloads, limit=4)
    helper = Helper("fetch-all", lambda: fetcher.fetch_all(wanted))
    helper.start()
    try:
        wait_until(lambda: wanted[3] in downloads.finished, timeout=REACH_SECONDS, message=f"{wanted[3]} was never downloaded")
    finally:
        downloads.open_all()
        helper.join(HOLD_SECONDS * 2)
    assert not helper.is_alive(), "fetch_all never returned"
    expected = f"download of {wanted[1]} failed"
    assert isinstance(helper.error, DownloadError) and str(helper.error) == expected, (
        f"the downloads of {wanted[1]} and {wanted[3]} failed ({wanted[3]} first); fetch_all raised {helper.error!r}, "
        f"expected DownloadError({expected!r}), the error of the first failing URL in the order of the list"
    )


# ---- task 5: every schedule of a small scenario --------------------------------------
# course.testing.explore runs three fetch() calls in three threads under every order of
# their steps on the fetcher's semaphore (taking and giving back a permit) and of the
# downloads' own `pause()`, with at most two switches away from a thread that could go
# on. fetch_all is not explored: its pool's threads wait on a queue the explorer does
# not control (the other tasks test it).



class Flights:
    """Downloads that count how many are in flight; 'bad' fails, and 'outer' fetches
    'inner' through the same fetcher (so it needs two slots at once)."""

    def __init__(self):
        self.inside = self.most = 0
        self.outcomes: dict[str, str] = {}
        self.fetcher = None

    def download(self, url):
        if url == "outer":
            return self.fetcher.fetch("inner")
        self.inside += 1
        self.most = max(self.most, self.inside)
        try:
            pause(f"downloads {url}")
            if url == "bad":
                raise DownloadError(url)
            return f"<{url}>"
        finally:
            self.inside -= 1


def fetching(url):
    def work(flights):
        try:
            flights.outcomes[url] = flights.fetcher.fetch(url)
        except DownloadError:
            flights.outcomes[url] = "DownloadError"
    return (f"fetch {url}", work)


@pytest.mark.task("every_schedule")
def test_every_schedule_of_three_fetches_keeps_the_limit_and_frees_every_slot(exercise):
    def setup():
        flights = Flights()
        flights.fetcher = exercise.LimitedFetcher(flights.download, 2)
        return flights

    most = []

    def invariant(flights):
        assert flights.most <= 2, f"{flights.most} downloads were in flight at once with limit 2"
        expected = {"a": "<a>", "bad": "DownloadError", "c": "<c>"}
        assert plain(flights.outcomes) == expected, f"fetch() returned or raised {flights.outcomes}, expected {expected}"
        most.append(flights.most)
        # Both slots must be free again. This runs in the test's own thread, where a
        # fetch that finds no free slot raises RuntimeError instead of waiting forever.
        try:
            got = flights.fetcher.fetch("outer")
        except RuntimeError as error:
            raise AssertionError(f"after the three fetches (one failed) the fetcher has fewer than 2 free slots: {error}") from None
        assert got == "<inner>", f"a fetch whose download fetches again returned {got!r}, expected '<inner>'"

    result = explore(setup, [fetching("a"), fetching("bad"), fetching("c")], invariant, modules=[exercise],
                     title="three fetch() calls at once with limit 2, one of them failing", preemption_bound=2)
    assert result.schedules >= 2, f"only {result.schedules} schedule explored"
    assert max(most) == 2, "in no schedule were two downloads in flight at once with limit 2"

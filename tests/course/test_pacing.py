"""Pacing of a graded run (course.grading.pacing): a hang costs its own test only."""

from __future__ import annotations

import re
import textwrap

import pytest

from course.grading.pacing import reserve_for, share_timeout

CONFTEST = """
from course.grading.pacing import Pacing

def pytest_configure(config):
    config.pluginmanager.register(Pacing({budget}), "pacing")
"""

# `course_repeat` is the parameter the grader repeats tests with (course.grading.channel).
REPEATED = """
import threading
import pytest

@pytest.mark.task("hangs")
@pytest.mark.parametrize("course_repeat", [0, 1, 2])
def test_hangs(course_repeat):
    threading.Event().wait()

@pytest.mark.task("hangs")
@pytest.mark.parametrize("course_repeat", [0, 1, 2])
def test_same_task_other_test(course_repeat):
    pass

@pytest.mark.task("fine")
@pytest.mark.parametrize("course_repeat", [0, 1, 2])
def test_fine(course_repeat):
    pass
"""


def test_a_test_keeps_its_own_timeout_while_the_budget_allows_it():
    assert share_timeout(own=20, left=110, after=56, reserve=1.0, equal_share=1.9) == 20


def test_a_test_leaves_a_reserve_to_every_later_test_but_keeps_an_equal_share():
    assert share_timeout(own=60, left=50, after=30, reserve=1.0, equal_share=2.9) == pytest.approx(50 - 30 * 1.0)
    assert share_timeout(own=60, left=50, after=30, reserve=9.0, equal_share=1.5) == pytest.approx(50 - 30 * 1.5)
    assert share_timeout(own=60, left=10, after=30, reserve=1.0, equal_share=2.9) == 2.9


def test_the_reserve_follows_the_tests_that_passed():
    assert reserve_for([]) == 0.25
    assert reserve_for([0.01, 0.02, 0.03]) == 0.25, "many quick tests keep the first ones' full timeout"
    assert reserve_for([0.5, 1.5, 10.0]) == pytest.approx(6.0), "a few slow tests keep room for the slow ones to come"


@pytest.mark.timeout(60)
def test_a_task_that_hung_in_repeat_one_is_not_run_again(pytester):
    pytester.makeconftest(CONFTEST.format(budget=None))
    pytester.makepyfile(test_repeated=REPEATED)
    result = pytester.runpytest_subprocess("--timeout=1", "-p", "no:cacheprovider", "-rfE")
    # a failure in setup is an error to pytest, a failed test to the grader (course.grading.channel)
    result.assert_outcomes(passed=4, failed=1, errors=4)
    text = result.stdout.str()
    assert "test_hangs[0] - Failed: Timeout" in text
    for name in ("test_hangs[1]", "test_hangs[2]", "test_same_task_other_test[1]", "test_same_task_other_test[2]"):
        assert f"ERROR test_repeated.py::{name} - Failed: not run again" in text
    # the report bodies, not the summary lines (those show the message or not by terminal width)
    bodies = "\n".join(line for line in text.splitlines() if not line.startswith(("ERROR ", "FAILED ")))
    assert bodies.count("not run again: task 'hangs' already failed by a hang or timeout in repeat 1 (test_hangs[0])") == 4
    assert result.duration < 15, "only repeat 1 waited for its timeout"


@pytest.mark.timeout(60)
def test_a_later_hang_gets_only_what_the_budget_can_spare(pytester):
    pytester.makeconftest(CONFTEST.format(budget=10))
    pytester.makepyfile(test_two_hangs=textwrap.dedent("""
        import threading

        def test_first_hang():
            threading.Event().wait()

        def test_second_hang():
            threading.Event().wait()

        def test_still_runs():
            pass
    """))
    result = pytester.runpytest_subprocess("--timeout=4", "-p", "no:cacheprovider", "-rf")
    result.assert_outcomes(passed=1, failed=2)
    limits = [float(x) for x in re.findall(r"Timeout \(?>(\d+(?:\.\d+)?)s", result.stdout.str())]
    assert limits[0] == 4.0 and 2.0 <= limits[-1] < 4.0, limits


@pytest.mark.timeout(60)
def test_a_mutation_run_stops_at_the_first_failure(pytester, monkeypatch):
    monkeypatch.setenv("COURSE_STOP_AT_FIRST_FAILURE", "1")
    pytester.makeconftest(CONFTEST.format(budget=None))
    pytester.makepyfile(test_three="def test_one():\n    pass\n\ndef test_two():\n    assert False\n\ndef test_three():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)

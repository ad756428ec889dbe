"""What a learner reads after a check: tidy failures, the failing call named, plural points."""

from __future__ import annotations

from pathlib import Path

import pytest

from course.grading.report import print_exercise
from course.grading import results
from course.catalogue import Exercise, Task
from course.learner.feedback import points, tidy

ROOT = Path(__file__).resolve().parents[2]

PYTEST_MESSAGE = """AssertionError: amdahl(0.9, 4) returned 1.29, expected 3.08
assert False
 +  where False = close(1.29, 3.08)
 +    and 1.29 = amdahl(0.9, 4)"""


def test_a_tests_own_message_loses_pytests_explanation():
    assert tidy(PYTEST_MESSAGE) == "amdahl(0.9, 4) returned 1.29, expected 3.08"


def test_a_bare_assert_keeps_its_expression_but_not_the_where_lines():
    assert tidy("assert 3 == 4\n +  where 3 = total()") == "assert 3 == 4"


def test_memory_addresses_are_dropped_from_reprs():
    message = "AssertionError: got <bank_account.Account object at 0x7f3a2c1d9e50> and <function f at 0xdeadbeef>"
    assert tidy(message) == "got <bank_account.Account object> and <function f>"


@pytest.mark.parametrize("staged", [
    "/tmp/course-tree-k3j_a9/submission/",
    "/tmp/course-stage-x1y2/tree/",
    "/tmp/.course/tree/",
])
def test_staged_paths_name_the_learners_file(staged):
    message = f'File "{staged}ch02_threading/bank_account.py", line 12, in transfer'
    assert tidy(message) == 'File "exercises/ch02_threading/bank_account.py", line 12, in transfer'


def test_one_point_is_singular():
    assert (points(1), points(2), points(0)) == ("1 point", "2 points", "0 points")


def test_the_rendered_failure_is_tidy(tmp_path):
    from rich.console import Console

    task = Task(id="amdahl_speedup", number=1, title="Amdahl", points=1, hint="")
    exercise = Exercise(id="amdahl", chapter="ch01_concepts", title="Amdahl", module="amdahl", timeout=10,
                        test_timeout=5, repeats=1, tasks=(task,))
    failed = results.TestResult(id="tests/x.py::test_speedup", task="amdahl_speedup", repeat=0, passed=False, message=PYTEST_MESSAGE)
    console = Console(record=True, width=200)
    print_exercise(results.ExerciseResult(exercise, [results.TaskResult(task, [failed])]), console)
    text = console.export_text()
    assert "returned 1.29, expected 3.08" in text and "where" not in text and "assert False" not in text


DID_NOT_RAISE = '''
import pytest

class Account:
    def withdraw(self, amount):
        return amount

def test_refuses_an_overdraft():
    account = Account()
    with pytest.raises(ValueError):
        account.withdraw(
            500)
'''


@pytest.mark.timeout(60)
def test_did_not_raise_names_the_call_that_should_have_raised(pytester, monkeypatch):
    monkeypatch.setenv("COURSE_ROOT", str(ROOT))
    monkeypatch.setenv("COLUMNS", "300")  # the summary line is cut to the terminal's width
    pytester.makepyfile(test_overdraft=DID_NOT_RAISE)
    result = pytester.runpytest_subprocess("-p", "course.testing.plugin", "-p", "no:cacheprovider", "-rf", "--tb=no",
                                           "-o", "console_output_style=classic")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*DID NOT RAISE*ValueError: `account.withdraw(500)` should have raised it*"])

"""The grader against hostile and broken student code.

Each hostile file replaces `adder` in a student's tree next to a correct
`counter`: it must cost adder's points only, never raise a score, and end
within adder's time limit plus 5 seconds.
"""

import shutil
import time
from pathlib import Path

import pytest

from course import catalogue
from course.grading import grade
from course.grading.sandbox import available_tools

FIXTURE = Path(__file__).parent / "fixture_course"
HOSTILE = Path(__file__).parent / "hostile"


@pytest.fixture(scope="module")
def course():
    return catalogue.load(FIXTURE)


def student_tree(tmp_path: Path, adder_source: Path | None) -> Path:
    tree = tmp_path / "student"
    (tree / "basics").mkdir(parents=True)
    shutil.copyfile(FIXTURE / "solutions" / "basics" / "counter.py", tree / "basics" / "counter.py")
    if adder_source is not None:
        shutil.copyfile(adder_source, tree / "basics" / "adder.py")
    return tree


def grade_tree(course, tree):
    started = time.monotonic()
    report = grade(course, list(course.exercises), tree)
    return report, time.monotonic() - started, {r.exercise.id: r for r in report.results}


@pytest.mark.timeout(60)
def test_the_reference_solutions_earn_full_marks(course):
    report = grade(course, list(course.exercises), FIXTURE / "solutions")
    assert report.error == ""
    assert (report.score, report.max_score) == (6, 6), [(r.exercise.id, r.score, r.problem) for r in report.results]


@pytest.mark.timeout(60)
def test_the_stubs_earn_nothing(course):
    report = grade(course, list(course.exercises), FIXTURE / "exercises")
    assert report.score == 0


@pytest.mark.timeout(60)
def test_a_partly_right_answer_earns_only_the_tasks_it_passes(course, tmp_path):
    _, _, results = grade_tree(course, student_tree(tmp_path, HOSTILE / "partial.py"))
    assert [t.earned for t in results["adder"].tasks] == [1, 0]
    failure = results["adder"].tasks[1].failures[0].message
    assert "add(-2, -3) should be -5" in failure and "assert 5 == -5" in failure


@pytest.mark.timeout(60)
def test_a_racy_counter_loses_the_thread_safety_task(course, tmp_path):
    tree = student_tree(tmp_path, FIXTURE / "solutions" / "basics" / "adder.py")
    racy = (FIXTURE / "solutions" / "basics" / "counter.py").read_text().replace("with self._lock:", "if True:")
    (tree / "basics" / "counter.py").write_text(racy)
    _, _, results = grade_tree(course, tree)
    counter = results["counter"]
    assert [t.earned for t in counter.tasks] == [1, 0]
    assert counter.tasks[1].failed_in_every_repeat(counter.repeats)


@pytest.mark.timeout(60)
def test_a_missing_file_costs_only_its_exercise(course, tmp_path):
    _, _, results = grade_tree(course, student_tree(tmp_path, None))
    assert results["adder"].score == 0 and "no file for this exercise" in results["adder"].problem
    assert results["counter"].complete


@pytest.mark.timeout(60)
@pytest.mark.parametrize("where", ["adder.py", "exercises/basics/adder.py"], ids=["flat", "a clone"])
def test_a_flat_submission_or_a_clone_is_found(course, tmp_path, where):
    tree = tmp_path / "student"
    (tree / where).parent.mkdir(parents=True)
    shutil.copyfile(FIXTURE / "solutions" / "basics" / "adder.py", tree / where)
    _, _, results = grade_tree(course, tree)
    assert results["adder"].complete


HOSTILE_CASES = {
    "deadlock.py": "Timeout",
    "infinite_loop.py": "",
    "exit_at_import.py": "ended before its tests finished",
    "crashes_mid_test.py": "killed by SIGSEGV, a crash of the interpreter",
    "sys_exit.py": "SystemExit",
    "syntax_error.py": "SyntaxError in adder.py line 1",
    "unbounded_output.py": "",
    "memory_hog.py": "",
    "fork_bomb.py": "",
    "forged_results.py": "",
    "patched_pytest.py": "replaced what the tests use to judge it: _pytest.python.Function.runtest",
    "leaked_thread.py": "threads still running",
    "rewritten_tests.py": "rewriting __code__ of this function is not available",
    "patched_helpers.py": "replaced what the tests use to judge it: math.isclose",
    "always_equal.py": "expected plain data",
}


@pytest.mark.timeout(90)
@pytest.mark.parametrize("name", sorted(HOSTILE_CASES))
def test_hostile_code_costs_only_its_own_points(course, tmp_path, name):
    adder = course.exercise("adder")
    report, elapsed, results = grade_tree(course, student_tree(tmp_path, HOSTILE / name))
    assert report.error == ""
    assert results["adder"].score == 0, f"{name} earned {results['adder'].score} points"
    counter = results["counter"]
    assert counter.complete, f"{name} cost the next exercise points: {counter.problem} " + "; ".join(
        t.message for task in counter.tasks for t in task.failures
    ) + counter.output[-2000:]
    assert results["adder"].duration <= adder.timeout + 5, f"{name} ran {results['adder'].duration:.1f} s"
    expected = HOSTILE_CASES[name]
    shown = results["adder"].problem + "\n".join(t.message for task in results["adder"].tasks for t in task.tests)
    assert expected in shown, f"expected {expected!r} in what the student sees:\n{shown[:2000]}"


@pytest.mark.timeout(60)
def test_a_crash_names_its_signal_and_where_it_happened(course, tmp_path):
    """A segmentation fault may be the interpreter's own (3.11.2 has such bugs): the student
    is told it was a crash, not that their code ended the process, and sees where."""
    report, _, results = grade_tree(course, student_tree(tmp_path, HOSTILE / "crashes_mid_test.py"))
    problem = results["adder"].problem
    assert "killed by SIGSEGV" in problem and "the code under test ended the process" not in problem, problem
    crash_site = problem.partition("Where it crashed (innermost call first):\n")[2].splitlines()
    assert crash_site and crash_site[0].endswith('/submission/basics/adder.py", line 7 in add'), problem
    assert results["counter"].complete


@pytest.mark.timeout(60)
def test_a_fork_bomb_leaves_no_process_behind(course, tmp_path):
    import os

    def processes():
        return {p for p in os.listdir("/proc") if p.isdigit()}

    before = processes()
    grade(course, [course.exercise("adder")], student_tree(tmp_path, HOSTILE / "fork_bomb.py"))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        leftovers = []
        for pid in processes() - before:
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"course.grading.child" in cmdline:
                leftovers.append(pid)
        if not leftovers:
            break
        time.sleep(0.1)
    assert not leftovers, f"processes of the graded run still alive: {leftovers}"


@pytest.mark.timeout(60)
def test_a_timeout_shows_the_stack_of_every_thread(course, tmp_path):
    _, _, results = grade_tree(course, student_tree(tmp_path, HOSTILE / "deadlock.py"))
    message = results["adder"].tasks[0].failures[0].message
    assert "Timeout" in message and "adder.py" in message and "with _lock" in message, message


@pytest.mark.timeout(60)
@pytest.mark.skipif(not (available_tools().namespaces or available_tools().sandbox_user),
                    reason="only a root grader (CI, the classroom container) can make the course read-only")
def test_student_code_cannot_rewrite_the_graded_tests(tmp_path):
    root = tmp_path / "course"
    shutil.copytree(FIXTURE, root)
    course = catalogue.load(root)
    test_file = root / "tests" / "exercises" / "basics" / "test_counter.py"
    original = test_file.read_text()
    tree = student_tree(tmp_path, HOSTILE / "rewrites_the_course.py")
    (tree / "basics" / "counter.py").write_text((root / "exercises" / "basics" / "counter.py").read_text())
    results = {r.exercise.id: r for r in grade(course, list(course.exercises), tree).results}
    assert test_file.read_text() == original, "student code rewrote a graded test file"
    assert results["adder"].score == 0 and results["counter"].score == 0


@pytest.mark.timeout(120)
def test_a_hung_test_costs_only_itself_and_the_tests_after_it_still_run(course, tmp_path):
    """A hang the per-test timeout cannot interrupt (its alarm ignored) stalls the run; the
    grader stops it, fails that test only, and runs the rest in a fresh run."""
    from course.grading import grade_exercise, stage
    from course.grading.sandbox import Limits

    adder = course.exercise("adder")
    staged = stage(student_tree(tmp_path, HOSTILE / "hangs_beyond_reach.py"), [adder], tmp_path / "staged")
    started = time.monotonic()
    result = grade_exercise(course, adder, staged, limits=Limits(wall_clock=60, stall=3))
    assert time.monotonic() - started < 40
    positive, negative = result.tasks
    assert (positive.earned, negative.earned) == (0, 2), [(t.task.id, [x.message[:200] for x in t.failures]) for t in result.tasks]
    hung = [t for t in positive.failures if "This test hung" in t.message]
    assert hung and all("test_adds_positive_numbers" in t.id for t in hung)
    assert all(t.passed for t in positive.tests if "test_adds_fractions" in t.id)

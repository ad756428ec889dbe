"""`course mutate`: each operator's mutants, the survivors file, and the runner on the fixture course."""

from __future__ import annotations

import argparse
import ast
import json
import textwrap
from pathlib import Path

import pytest

from course import catalogue
from course.grading import mutate
from course.grading.mutation.operators import OPERATORS, Edit, apply, mutants
from course.grading.mutation.survivors import Survivor, SurvivorsError, load, match

FIXTURE = Path(__file__).parent / "fixture_course"


def made(source: str, operator: str) -> list[tuple[int, str]]:
    """(line, mutated line) of every mutant one operator makes of `source`."""
    return [(m.line, m.mutated) for m in mutants(textwrap.dedent(source), [operator])]


def bodies(source: str, operator: str) -> list[str]:
    return [m.source for m in mutants(textwrap.dedent(source), [operator])]


# ---------------------------------------------------------------- the usual operators

def test_comparison_becomes_its_boundary_and_its_opposite():
    assert made("ok = a < b\n", "comparison") == [(1, "ok = a <= b"), (1, "ok = a > b")]
    assert made("ok = a == b\n", "comparison") == [(1, "ok = a != b")]


def test_arithmetic_swaps_operators_in_expressions_and_augmented_assignments():
    assert made("x = a + b * c\n", "arithmetic") == [(1, "x = a - b * c"), (1, "x = a + b / c")]
    assert made("total += step\n", "arithmetic") == [(1, "total -= step")]


def test_constants_move_by_one_either_way_and_booleans_are_left_alone():
    assert made("limit = 10\nflag = True\n", "constant") == [(1, "limit = 11"), (1, "limit = 9")]


def test_a_deleted_statement_becomes_pass_and_names_what_it_was():
    source = '''
    def f(items):
        """Docstrings, imports and definitions are not deleted."""
        items.append(1)
        return items
    '''
    assert made(source, "delete_statement") == [(4, "pass  # was: items.append(1)"), (5, "pass  # was: return items")]


def test_return_values_become_none_and_booleans_flip():
    source = "def f(x):\n    if x:\n        return True\n    return x + 1\n"
    assert made(source, "return_value") == [(3, "return False"), (4, "return None")]


def test_and_becomes_or_and_back():
    assert made("ok = a and b\nno = c or d\n", "and_or") == [(1, "ok = a or b"), (2, "no = c and d")]


# ---------------------------------------------------------------- concurrency operators

def test_a_lock_is_removed_but_its_body_kept():
    source = """
    with self._lock:
        self.value += 1
    with first._lock, second._lock:  # in one global order
        move()
    with open(path) as handle:
        read(handle)
    """
    assert made(source, "lock_removed") == [
        (2, "if True:  # was: with self._lock:"),
        (4, "with second._lock:  # was: with first._lock, second._lock:  # in one global order"),
        (4, "with first._lock:  # was: with first._lock, second._lock:  # in one global order"),
    ]
    assert "    self.value += 1" in bodies(source, "lock_removed")[0]


def test_an_asyncio_lock_or_semaphore_is_removed_too():
    source = """
    async def acquire(self):
        async with self._turn:
            self._refill()
            if self._tokens < 1:
                await asyncio.sleep(1)
            self._tokens -= 1
        async with asyncio.timeout(5), slots:
            await fetch()
    """
    assert made(source, "lock_removed") == [
        (3, "if True:  # was: async with self._turn:"),
        (8, "async with asyncio.timeout(5):  # was: async with asyncio.timeout(5), slots:"),
    ]
    [moved] = bodies(source, "lock_after_check")
    assert "    if self._tokens < 1:\n        await asyncio.sleep(1)\n    async with self._turn:\n" in moved


def test_the_check_moves_before_the_lock_it_was_guarded_by():
    source = """
    def withdraw(self, amount):
        with self._lock:
            current = self._balance
            if amount > current:
                raise InsufficientFunds()
            self._balance = current - amount
    """
    [mutated] = bodies(source, "lock_after_check")
    assert textwrap.dedent("""
    def withdraw(self, amount):
        current = self._balance
        if amount > current:
            raise InsufficientFunds()
        with self._lock:
            self._balance = current - amount
    """) == mutated


def test_while_around_a_wait_becomes_if_but_other_loops_stay():
    source = """
    while not self._ready:
        self._cond.wait()
    while busy():
        step()
    """
    assert made(source, "while_to_if") == [(2, "if not self._ready:")]


def test_notify_all_wakes_one():
    assert made("self._cond.notify_all()\n", "notify_all_to_notify") == [(1, "self._cond.notify()")]


def test_join_shutdown_and_close_are_removed_unless_they_do_not_wait():
    source = "worker.join()\npool.shutdown(wait=True)\npool.close()\nother.shutdown(wait=False)\n"
    assert made(source, "wait_removed") == [
        (1, "pass  # was: worker.join()"), (2, "pass  # was: pool.shutdown(wait=True)"), (3, "pass  # was: pool.close()"),
    ]


def test_a_timeout_is_dropped_or_set_to_none():
    source = "done = event.wait(timeout=limit)\nthread.join(5)\ntext = ', '.join(names)\n"
    assert made(source, "timeout_dropped") == [
        (1, "done = event.wait()"), (1, "done = event.wait(timeout=None)"),
        (2, "thread.join()"), (2, "thread.join(None)"),
    ]


def test_a_finally_body_moves_after_the_try():
    source = """
    def run(self):
        try:
            work()
        finally:
            self._lock.release()
    """
    [mutated] = bodies(source, "finally_moved")
    assert "finally" not in mutated and "    work()\n    self._lock.release()\n" in mutated
    assert len(mutated.splitlines()) == len(textwrap.dedent(source).splitlines()), "later lines keep their numbers"


def test_a_release_goes_missing_on_the_error_path_only():
    source = """
    def fetch(self):
        self._slots.acquire()
        try:
            return download()
        except OSError:
            self._slots.release()
            raise
    def other(self):
        self._slots.acquire()
        try:
            log()
            return download()
        finally:
            log()
            self._slots.release()
    """
    found = bodies(source, "release_on_error")
    assert len(found) == 2
    assert "        pass  # was: self._slots.release()\n        raise" in found[0]
    assert "    finally:\n        log()\n    self._slots.release()\n" in found[1]


# ---------------------------------------------------------------- what is kept

def test_mutants_that_do_not_compile_or_change_nothing_are_dropped():
    # while -> if around a wait with a `break` inside cannot compile
    assert made("while True:\n    cond.wait()\n    break\n", "while_to_if") == []
    # deleting the only `pass`-like statement would be the original again
    assert mutants("pass\n") == []


def test_a_multi_line_expression_keeps_every_later_line_in_place():
    source = "x = compute(\n    a,\n    timeout=3,\n) + 1\ny = 2\n"
    for mutant in mutants(source, ["timeout_dropped"]):
        assert mutant.source.splitlines()[-1] == "y = 2" and len(mutant.source.splitlines()) == 5
        compile(mutant.source, "<m>", "exec")


def test_every_operator_is_known_by_name():
    with pytest.raises(ValueError, match="unknown mutation operator"):
        mutants("x = 1\n", ["no_such_operator"])
    assert set(OPERATORS) >= {"lock_removed", "while_to_if", "notify_all_to_notify", "wait_removed", "timeout_dropped",
                              "finally_moved", "release_on_error", "lock_after_check"}


def test_apply_pads_a_shorter_replacement():
    node = ast.parse("a = (1 +\n     2)\nb = 3\n").body[0]
    assert apply("a = (1 +\n     2)\nb = 3\n", Edit(node, (1, 0), (2, 7), "pass", True)) == "pass\n\nb = 3\n"


# ---------------------------------------------------------------- survivors files

def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text))
    return path


def test_a_survivors_file_is_read(tmp_path):
    path = write(tmp_path / "m.survivors.toml", """
        [[survivor]]
        operator = "delete_statement"
        line = 12
        code = "pass  # was: self._io()"
        reason = "io() is the tests' hook"
    """)
    assert load(path) == [Survivor("delete_statement", 12, "pass  # was: self._io()", "io() is the tests' hook")]
    assert load(tmp_path / "missing.survivors.toml") == []


@pytest.mark.parametrize("entry, problem", [
    ('operator = "delete_statement"\nline = 3\ncode = "pass"', "survivor 2: missing `reason`"),
    ('operator = "nope"\nline = 3\ncode = "pass"\nreason = "r"', "survivor 2: unknown operator 'nope'"),
    ('operator = "constant"\nline = "3"\ncode = "x"\nreason = "r"', "survivor 2: `line` must be a int"),
    ('operator = "constant"\nline = 3\ncode = "x"\nreason = "r"\nwhy = 1', "survivor 2: unknown field(s) why"),
    ('operator = "constant"\nline = 3\ncode = "x"\nreason = """two\nlines"""', "survivor 2: `reason` must be one"),
])
def test_a_malformed_survivors_file_names_the_file_and_the_entry(tmp_path, entry, problem):
    good = 'operator = "constant"\nline = 1\ncode = "x = 2"\nreason = "fine"'
    path = tmp_path / "m.survivors.toml"
    path.write_text(f"[[survivor]]\n{good}\n\n[[survivor]]\n{entry}\n")
    with pytest.raises(SurvivorsError) as raised:
        load(path)
    assert str(path) in str(raised.value) and problem in str(raised.value)


def test_survivors_match_on_operator_and_code_with_the_line_as_a_hint():
    source = "a = 1\nb = 1\n\n\n\nc = 1\n"
    found = mutants(source, ["delete_statement"])
    # the file moved by two lines since the entries were written: still the same two mutants
    entries = [Survivor("delete_statement", 8, "pass  # was: c = 1", "r1"), Survivor("delete_statement", 3, "pass  # was: a = 1", "r2")]
    assert {found[i].line: e.reason for i, e in match(found, entries).items()} == {6: "r1", 1: "r2"}
    assert match(found, [Survivor("constant", 1, "pass  # was: a = 1", "wrong operator")]) == {}


# ---------------------------------------------------------------- the runner on the fixture course

@pytest.fixture
def course_root(monkeypatch):
    """The fixture course itself (the sandbox sees the course root where it is, not a copy in /tmp)."""
    monkeypatch.chdir(FIXTURE)
    return FIXTURE


def mutate_command(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    mutate.add_arguments(parser)
    return mutate.run(parser.parse_args(list(argv)))


SURVIVOR = """
[[survivor]]
operator = "delete_statement"
line = 14
code = "pass  # was: self._io()"
reason = "io() is only the tests' hook into the locked update; without it the update is still atomic"
"""


@pytest.mark.timeout(240)
def test_a_removed_lock_is_killed_and_a_listed_equivalent_survivor_passes(course_root, tmp_path):
    survivors = tmp_path / "counter.survivors.toml"
    survivors.write_text(SURVIVOR)
    report = tmp_path / "mutants.json"
    status = mutate_command("counter", "--operators", "lock_removed", "delete_statement", "--survivors", str(survivors),
                            "--json", str(report), "--jobs", "1")
    data = json.loads(report.read_text())["exercises"][0]
    verdicts = {(r["operator"], r["mutated"]): r["verdict"] for r in data["results"]}
    assert verdicts[("lock_removed", "if True:  # was: with self._lock:")] == "killed"
    assert verdicts[("delete_statement", "pass  # was: self._io()")] == "accepted"
    assert list(verdicts.values()).count("accepted") == 1 and "survived" not in verdicts.values()
    assert data["score"] == 1.0 and status == 0
    lock = next(r for r in data["results"] if r["operator"] == "lock_removed")
    assert lock["lost_tasks"] == ["threads"] and lock["line"] == 11 and lock["original"] == "with self._lock:"
    assert lock["seconds"] > 0


@pytest.mark.timeout(240)
def test_an_unlisted_survivor_fails_the_command(course_root, capsys):
    status = mutate_command("counter", "--operators", "delete_statement", "--jobs", "1")
    assert status == 1
    out = capsys.readouterr().out
    assert "SURVIVED" in out and "pass  # was: self._io()" in out


def test_a_malformed_survivors_file_stops_the_command_before_grading(course_root, tmp_path, capsys):
    path = tmp_path / "counter.survivors.toml"
    path.write_text('[[survivor]]\noperator = "lock_removed"\n')
    assert mutate_command("counter", "--survivors", str(path)) == 2
    assert "counter.survivors.toml: survivor 1: missing `line`" in capsys.readouterr().err.replace("\n", "")


@pytest.mark.timeout(60)
def test_a_reference_that_loses_points_is_reported_not_mutated(course_root):
    course = catalogue.load(FIXTURE)
    wrong = "def add(a, b):\n    return abs(a) + abs(b)\n"
    report = mutate.mutate_exercise(course, course.exercise("adder"), operators=["and_or"], source=wrong)
    assert report.results == [] and not report.passed
    assert "the reference solution itself scored 1/3 (lost negative" in report.error

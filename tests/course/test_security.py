"""The grader against a hostile student who has read its source (issue 8).

Each attack in hostile/ replaces `adder` in a student's tree next to a correct
`counter`, and is graded as root, as CI and this machine grade: it must earn
no more than the stub (0), cost `counter` nothing, and leave nothing behind:
no file in /tmp, /var/tmp, /dev/shm or root's site-packages, no process, no
System V IPC object, no key in the machine's Redis. Every attack is graded
twice: with `adder` judged inside (its tests beside it, behind the audit
hook) and judged outside (its tests in a process that never imports it).
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import redis

from course import catalogue
from course.grading import grade
from course.grading.sandbox import RUN_UIDS, available_tools

FIXTURE = Path(__file__).parent / "fixture_course"
HOSTILE = Path(__file__).parent / "hostile"
MARK = "course-hostile"
REDIS_DB = 15

ATTACKS = [
    "forge_gc_key.py", "forge_frame_walk.py", "forge_traceback_frames.py", "forge_patched_json.py",
    "forge_trace_function.py", "forge_ctypes_memory.py", "copies_the_solution.py", "sinks_the_neighbour.py",
    "leaves_things_behind.py", "reaches_the_network.py", "rewrites_its_limits.py", "floods_the_result_pipe.py",
    "nests_folders.py", "forge_by_finalizer.py",
    # Issue 8, point 1: reaching pytest's session and the judge without gc or frames.
    "forge_hookwrapper.py", "forge_crafted_items.py", "forge_instance_methods.py", "forge_witness.py",
    "forge_fixture.py", "forge_by_thread_combinator.py", "forge_custom_loader.py", "forge_result_fd.py",
    "forge_parent_memory.py", "forge_reentrant_hook.py", "forge_signal_frame.py",
    # Against an exercise judged outside: lying on the wire, stopping the tests' process.
    "outside_lies_on_the_wire.py", "outside_stops_the_tests.py",
]

assert os.geteuid() == 0, "these tests check the root grader (CI and the classroom run as root)"


@pytest.fixture(scope="module")
def course():
    return catalogue.load(FIXTURE)


@pytest.fixture(scope="module")
def courses(course, tmp_path_factory):
    """The fixture course as it is (adder judged inside) and a copy with adder judged outside."""
    root = tmp_path_factory.mktemp("judged-outside") / "course"
    shutil.copytree(FIXTURE, root)
    toml = root / "course.toml"
    toml.write_text(toml.read_text().replace('module = "adder"\n', 'module = "adder"\njudged = "outside"\n', 1))
    outside = catalogue.load(root)
    assert outside.exercise("adder").judged == "outside"
    return {"inside": course, "outside": outside}


def student_tree(tmp_path: Path, adder_source: Path) -> Path:
    tree = tmp_path / "student"
    (tree / "basics").mkdir(parents=True)
    shutil.copyfile(FIXTURE / "solutions" / "basics" / "counter.py", tree / "basics" / "counter.py")
    shutil.copyfile(adder_source, tree / "basics" / "adder.py")
    return tree


def sysv_objects() -> set[tuple[str, str]]:
    found = set()
    for kind in ("shm", "sem", "msg"):
        lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()
        header = lines[0].split()
        for line in lines[1:]:
            row = dict(zip(header, line.split()))
            found.add((kind, row.get("shmid") or row.get("semid") or row.get("msqid"), row["uid"]))
    return found


def leftovers(ipc_before: set) -> list[str]:
    found = [str(p) for folder in ("/tmp", "/var/tmp", "/dev/shm") for p in Path(folder).glob(f"{MARK}*")]
    found += [str(p) for p in Path("/root").glob(f".local/lib/python*/site-packages/{MARK}*")]
    found += [f"process {p.pid}" for p in psutil.process_iter(["cmdline"]) if MARK in " ".join(p.info["cmdline"] or [])]
    found += [f"System V {kind} {ident} of uid {uid}" for kind, ident, uid in sysv_objects() - ipc_before]
    if redis.Redis(db=REDIS_DB).exists(f"{MARK}-key"):
        found.append(f"Redis key {MARK}-key in db {REDIS_DB}")
    return found


@pytest.mark.timeout(120)
@pytest.mark.parametrize("judged", ["inside", "outside"])
@pytest.mark.parametrize("attack", ATTACKS)
def test_an_attack_earns_nothing_costs_no_one_and_leaves_nothing(courses, tmp_path, attack, judged):
    course = courses[judged]
    redis.Redis(db=REDIS_DB).delete(f"{MARK}-key")
    ipc_before = sysv_objects()
    grader = psutil.Process()
    report = grade(course, list(course.exercises), student_tree(tmp_path, HOSTILE / attack))
    results = {r.exercise.id: r for r in report.results}
    assert report.error == ""
    assert results["adder"].score == 0, f"{attack} earned {results['adder'].score}: {results['adder'].problem}"
    forged = [f.message for task in results["adder"].tasks for f in task.failures if "two verdicts" in f.message]
    assert not forged, f"{attack} got a record of its own signed: {forged[:1]}"
    assert results["counter"].complete, f"{attack} cost the next exercise: {results['counter'].problem}"
    assert grader.memory_info().rss < 1024**3, "the grader grew past 1 GiB"
    if attack == "rewrites_its_limits.py":  # its 2000 threads were capped, and counted
        assert "processes and threads" in results["adder"].problem, results["adder"].problem
    deadline = time.monotonic() + 5
    while (found := leftovers(ipc_before)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not found, f"{attack} left behind: {found}"


@pytest.mark.timeout(120)
def test_an_exercise_judged_outside_never_shares_a_process_with_its_tests(courses, tmp_path):
    """The submission looks for pytest and the grader's judge in its own interpreter: judged
    outside, neither is there, and its answers are right; judged inside, both are."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import sys\n"
        "def add(a, b):\n"
        "    beside = [name for name in ('pytest', '_pytest', 'course.grading.channel') if name in sys.modules]\n"
        "    return a + b if not beside else f'beside {beside}'\n")
    scores = {}
    for judged, course in courses.items():
        results = {r.exercise.id: r for r in grade(course, list(course.exercises), student_tree(tmp_path / judged, probe)).results}
        scores[judged] = results["adder"].score
    assert scores == {"outside": 3, "inside": 0}, scores


PARAMETRISED_TEST = """

@pytest.mark.task("negative")
@pytest.mark.parametrize("a, b, expected", [(-1, -1, -2)])
def test_adds_numbers_of_either_sign(exercise, a, b, expected):
    assert plain(exercise.add(a, b)) == expected, f"add({a}, {b}) should be {expected}"
"""


@pytest.mark.timeout(120)
def test_a_test_whose_parameters_were_changed_fails(tmp_path):
    """forge_parameters.py answers the tests without parameters right and rewrites the
    parametrised ones to ask what it answers wrongly: only `positive` may score."""
    root = tmp_path / "course"
    shutil.copytree(FIXTURE, root)
    with open(root / "tests" / "exercises" / "basics" / "test_adder.py", "a") as tests:
        tests.write(PARAMETRISED_TEST)
    course = catalogue.load(root)
    results = {r.exercise.id: r for r in grade(course, list(course.exercises),
                                                student_tree(tmp_path, HOSTILE / "forge_parameters.py")).results}
    adder = results["adder"]
    assert adder.score == course.exercise("adder").task("positive").points, adder.problem
    messages = [f.message for task in adder.tasks for f in task.failures]
    assert any("the test's parameter" in m for m in messages), messages


@pytest.mark.timeout(60)
def test_the_result_pipe_is_read_up_to_its_cap_only(course, tmp_path):
    from course.grading.engine import _run
    from course.grading.sandbox import Limits

    tree = student_tree(tmp_path, HOSTILE / "floods_the_result_pipe.py")
    outcome, _ = _run(course, course.exercise("adder"), tree / "basics" / "adder.py", 1, Limits(wall_clock=20), ())
    assert len(outcome.result_data) <= Limits().result_bytes


@pytest.mark.timeout(60)
def test_student_code_runs_as_an_unprivileged_user_without_network_or_solutions(course, tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import os, socket\n"
        "def add(a, b):\n"
        "    facts = [os.getuid() != 0, not os.access(os.environ['COURSE_ROOT'] + '/solutions/basics/adder.py', os.R_OK)]\n"
        "    try:\n"
        "        socket.create_connection(('127.0.0.1', 6379), timeout=1).close(); facts.append(False)\n"
        "    except OSError:\n"
        "        facts.append(True)\n"
        "    return a + b if all(facts) else repr(facts)\n")
    results = {r.exercise.id: r for r in grade(course, list(course.exercises), student_tree(tmp_path, probe)).results}
    assert available_tools().namespaces
    assert results["adder"].complete, [t.message for task in results["adder"].tasks for t in task.failures]


CONTAINER = """
import json, os, sys
from course.grading import lockdown
lockdown._uncover([sys.base_prefix])  # what the image's readable interpreter would be
os.execvp("capsh", ["capsh", "--drop=cap_sys_admin", "--", "-c", 'exec "$0" "$@"', sys.executable, "-I", "-c", sys.argv[1], *sys.argv[2:]])
"""
GRADE = """
import json, sys
from pathlib import Path
from course import catalogue
from course.grading import grade
from course.grading.sandbox import available_tools
course = catalogue.load(Path(sys.argv[1]))
report = grade(course, [course.exercise(i) for i in sys.argv[3:]], Path(sys.argv[2]))
print(json.dumps({"tools": list(available_tools().__dict__.values()), "error": report.error,
                  "scores": {r.exercise.id: [r.score, r.max_score, r.problem] for r in report.results}}))
"""


def grade_in_a_container(root: Path, tree: Path, *exercises: str) -> dict:
    """Grade as root without CAP_SYS_ADMIN (Docker's default), with a sandbox user: no namespaces."""
    import json

    env = dict(os.environ, COURSE_SANDBOX_USER="course-sandbox")
    command = ["unshare", "--mount", "--propagation", "private", "--", sys.executable, "-I", "-c", CONTAINER,
               GRADE, str(root), str(tree), *exercises]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["tools"][:2] == [False, True], outcome  # no namespaces, capabilities dropped
    return outcome


@pytest.mark.timeout(300)
def test_the_classroom_grader_gives_the_solutions_full_marks_without_namespaces():
    root = catalogue.find_root()
    outcome = grade_in_a_container(root, root / "solutions", "amdahl", "bank_account")
    assert outcome["error"] == ""
    course = catalogue.load(root)
    full = {name: [course.exercise(name).max_points] * 2 for name in ("amdahl", "bank_account")}
    assert {k: v[:2] for k, v in outcome["scores"].items()} == full, outcome


@pytest.mark.timeout(300)
def test_without_namespaces_the_sandbox_user_leaves_nothing_behind(tmp_path):
    ipc_before = sysv_objects()
    tree = student_tree(tmp_path, HOSTILE / "leaves_things_behind.py")
    outcome = grade_in_a_container(FIXTURE, tree, "adder", "counter")
    assert outcome["scores"]["adder"][0] == 0 and outcome["scores"]["counter"][:2] == [3, 3], outcome
    assert not leftovers(ipc_before)


@pytest.mark.timeout(120)
def test_a_course_kept_under_tmp_stays_visible_to_its_runs(tmp_path):
    root = tmp_path / "course"
    shutil.copytree(FIXTURE, root)
    course = catalogue.load(root)
    report = grade(course, list(course.exercises), root / "solutions")
    assert (report.score, report.max_score) == (6, 6), [r.problem for r in report.results]


HOOKED = """
import json, os, sys
from course.grading.tamper import install_audit_hook
tree, student = sys.argv[1], sys.argv[2]
install_audit_hook(tree, (sys.prefix, sys.base_prefix, os.path.dirname(os.path.dirname(install_audit_hook.__code__.co_filename))))
namespace = {}
exec(compile(open(student).read(), student, "exec"), namespace)
print(json.dumps(namespace["outcomes"]))
"""
PROBES = """
import collections, gc, importlib, json, logging, marshal, multiprocessing, multiprocessing.sharedctypes, sys, threading, traceback
outcomes = {}
def attempt(name, action):
    try:
        action()
        outcomes[name] = "allowed"
    except Exception as error:
        outcomes[name] = type(error).__name__
def frame_from_a_traceback():
    try:
        raise RuntimeError
    except RuntimeError as error:
        return error.__traceback__.tb_frame
def printed_traceback():
    try:
        raise RuntimeError
    except RuntimeError:
        return traceback.format_exc()
def in_a_thread(action):
    box = []
    worker = threading.Thread(target=lambda: box.append(attempt("thread", action)))
    worker.start()
    worker.join()
attempt("gc", gc.get_objects)
attempt("getframe", sys._getframe)
attempt("current_frames", sys._current_frames)
attempt("settrace", lambda: sys.settrace(None))
attempt("tb_frame", frame_from_a_traceback)
attempt("ctypes", lambda: __import__("ctypes").string_at(id(1), 8))
attempt("proc_mem", lambda: open("/proc/self/mem", "rb"))
attempt("solutions", lambda: __import__("solutions.basics.adder"))
attempt("code_new", lambda: attempt.__code__.replace(co_filename="/usr/lib/python3.11/os.py"))
in_a_thread(gc.get_objects)
attempt("printed_traceback", printed_traceback)
def from_a_thread_of_c_methods(function, *args):
    import itertools
    box = []
    worker = threading.Thread(target=box.extend, args=(itertools.starmap(function, [args]),))
    worker.start()
    worker.join()
    if not box:
        raise RuntimeError("refused in the thread")
attempt("gc_in_a_thread_of_c_methods", lambda: from_a_thread_of_c_methods(gc.get_objects))
attempt("current_frames_in_a_thread_of_c_methods", lambda: from_a_thread_of_c_methods(sys._current_frames))
attempt("setattr_in_a_thread_of_c_methods", lambda: from_a_thread_of_c_methods(setattr, json.dumps, "__kwdefaults__", {}))
attempt("getframe_in_a_thread_of_c_methods", lambda: from_a_thread_of_c_methods(sys._getframe, 0))
attempt("currentframe_in_a_thread_of_c_methods", lambda: from_a_thread_of_c_methods(__import__("inspect").currentframe))
attempt("settrace_in_a_thread_of_c_methods", lambda: from_a_thread_of_c_methods(sys.settrace, None))
def tb_frame_in_a_thread_of_c_methods():
    import operator
    try:
        raise RuntimeError
    except RuntimeError as error:
        from_a_thread_of_c_methods(operator.attrgetter("tb_frame"), error.__traceback__)
attempt("tb_frame_in_a_thread_of_c_methods", tb_frame_in_a_thread_of_c_methods)
attempt("importlib_marshal", lambda: importlib._bootstrap_external._compile_bytecode(marshal.dumps(compile("", "x", "exec"))))
attempt("own_function_defaults", lambda: setattr(attempt, "__defaults__", None))
attempt("namedtuple", lambda: collections.namedtuple("Point", "x y"))
attempt("logging", lambda: logging.getLogger("course-test").warning("a warning"))
attempt("shared_numbers", lambda: (multiprocessing.Array("q", 3), multiprocessing.Value("d", 1.5)))
attempt("shared_pointer", lambda: multiprocessing.sharedctypes.RawValue(__import__("ctypes").c_void_p))
"""


@pytest.mark.timeout(60)
def test_the_audit_hook_refuses_what_forging_needs_and_allows_ordinary_code(tmp_path):
    import json

    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "student.py").write_text(PROBES)
    done = subprocess.run([sys.executable, "-I", "-c", HOOKED, str(tree), str(tree / "student.py")],
                          capture_output=True, text=True, timeout=50)
    outcomes = json.loads(done.stdout.strip().splitlines()[-1])
    refused = {name for name, outcome in outcomes.items() if outcome != "allowed"}
    assert refused == {"gc", "getframe", "current_frames", "settrace", "tb_frame", "ctypes", "proc_mem", "solutions",
                       "code_new", "thread", "gc_in_a_thread_of_c_methods", "current_frames_in_a_thread_of_c_methods",
                       "setattr_in_a_thread_of_c_methods", "importlib_marshal", "shared_pointer",
                       "getframe_in_a_thread_of_c_methods", "currentframe_in_a_thread_of_c_methods",
                       "settrace_in_a_thread_of_c_methods", "tb_frame_in_a_thread_of_c_methods"}, outcomes

"""Grade a small class with the grader service of docker-compose.yml, in Docker, and check the gradebook.

Run by .ci/docker-classroom once the course image is built:

    .venv/bin/python tests/classroom/classroom.py --image concurrency-course:ci

The `docker run` arguments come from the grader service itself (`grader_run_argv`),
so the container runs exactly as `docker compose run --rm grader` would run it:
the same user, network, environment, init, volumes and command, with no
project network for compose to create (dockerd runs with --bridge=none). A
compose key this script does not know is an error, never silently dropped.

The class, graded in this order so the hostile student runs first:

- 1-hostile: at import, takes the reference solution if it can read it, then
  attacks everyone after it (a daemon that overwrites every Python file it can
  reach, a file planted in every folder it may write, a `.pth` in the sandbox
  user's and the services' user's site-packages, /dev/shm filled, System V
  shared memory left allocated, writes into the other students' folders and the
  reports, a forged result line on every descriptor), on top of the stub's
  functions;
- 2-correct: the reference solutions of amdahl and bank_account;
- 3-stub: the untouched stubs, the baseline the hostile student may not beat;
- 4-wrong: a known-wrong amdahl variant (its LOSES tasks) and the bank_account solution.

Expected: correct has full marks, wrong loses exactly its variant's LOSES tasks,
hostile has no more than the stub on each exercise, every report agrees with the
gradebook, grade-all exits 0, and the container holds no new file (anywhere
but /proc, /sys and the two volumes), System V IPC object or process after
grade-all than before it (`audited`: the service's command runs between two
audits in the same container). Any difference exits 1 with the evidence.
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
from course.catalogue import load  # noqa: E402  (this checkout's catalogue, not an installed one)

EXERCISES = ("amdahl", "bank_account")
WRONG_VARIANT = "tests/buggy/ch01_concepts/amdahl__serial_and_parallel_swapped.py"
RUN_TIMEOUT = 900

# Compose keys of a service and what each becomes in `docker run`. Keys that only
# matter to `up` (build, restart, profiles, ...) are listed as None. Anything else
# in the grader service stops this script: it would otherwise be silently dropped.
FLAGS = {
    "network_mode": "--network", "user": "--user", "working_dir": "--workdir", "entrypoint": "--entrypoint",
    "shm_size": "--shm-size", "pids_limit": "--pids-limit", "mem_limit": "--memory", "cpus": "--cpus",
    "cap_drop": "--cap-drop", "cap_add": "--cap-add", "security_opt": "--security-opt", "tmpfs": "--tmpfs",
    "ulimits": None,  # handled below
}
SWITCHES = {"init": "--init", "read_only": "--read-only", "privileged": "--privileged"}
NOT_FOR_RUN = {"build", "image", "restart", "profiles", "stop_grace_period", "depends_on", "deploy", "healthcheck", "ports"}


def interpolate(value: str) -> str:
    """Compose's `${VAR:-default}` with the file's own defaults (CI's environment does not leak in)."""
    return re.sub(r"\$\{(\w+)(?::?-([^}]*))?\}", lambda m: m.group(2) or "", value)


def grader_run_argv(compose: dict, image: str, project_dir: Path, name: str, service: str = "grader") -> list[str]:
    """`docker run` for one compose service, as `docker compose run --rm SERVICE` runs it from `project_dir`."""
    settings = compose["services"][service]
    unknown = set(settings) - set(FLAGS) - set(SWITCHES) - NOT_FOR_RUN - {"environment", "volumes", "command"}
    if unknown:
        raise SystemExit(f"the {service} service uses compose keys this script cannot translate: {sorted(unknown)}")
    argv = ["docker", "run", "--rm", "--name", name]
    for key, flag in SWITCHES.items():
        if settings.get(key):
            argv.append(flag)
    for key, flag in FLAGS.items():
        if key not in settings:
            continue
        value = settings[key]
        if key == "ulimits":
            for limit, spec in value.items():
                spec = f"{spec['soft']}:{spec['hard']}" if isinstance(spec, dict) else spec
                argv += ["--ulimit", f"{limit}={spec}"]
            continue
        for item in value if isinstance(value, list) else [value]:
            argv += [flag, interpolate(str(item))]
    environment = settings.get("environment") or {}
    if isinstance(environment, dict):
        environment = [f"{k}={'' if v is None else v}" for k, v in environment.items()]
    for entry in environment:
        argv += ["--env", interpolate(str(entry))]
    for volume in settings.get("volumes") or []:
        source, target, *mode = interpolate(str(volume)).split(":")
        if source.startswith("."):
            source = str((project_dir / source).resolve())
        argv += ["--volume", ":".join([source, target, *mode])]
    command = settings.get("command") or []
    if not isinstance(command, list):
        raise SystemExit(f"write the {service} command as a list (exec form), not {command!r}")
    return [*argv, image, *(interpolate(str(part)) for part in command)]


# What the container holds before and after grade-all, printed as one JSON line each:
# files where a run could leave them, System V IPC objects, live processes. Written
# without single quotes: it travels inside the `sh -c` script below.
AUDIT = """
import json, os
files = []
for folder, folders, names in os.walk("/"):
    if folder in ("/proc", "/sys", "/results", "/submissions"):
        folders.clear()
        continue
    files += [os.path.join(folder, name) for name in names]
ipc = []
for kind in ("shm", "sem", "msg"):
    try:
        ipc += [kind + ": " + line.strip() for line in open("/proc/sysvipc/" + kind).read().splitlines()[1:]]
    except OSError:
        pass
mine = {os.getpid(), os.getppid()}
processes = []
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        state = open("/proc/" + pid + "/stat").read().rsplit(")", 1)[1].split()[0]
        command = open("/proc/" + pid + "/cmdline", "rb").read().replace(bytes(1), b" ").decode(errors="replace").strip()
    except OSError:
        continue
    if int(pid) not in mine and int(pid) != 1:
        processes.append(pid + " " + state + " " + command)
print("AUDIT", json.dumps({"files": sorted(files), "ipc": ipc, "processes": processes}))
"""
AUDITED = 'python3 -I -c "$AUDIT" && course "$@"; status=$?; python3 -I -c "$AUDIT"; exit $status'


def audited(argv: list[str], image: str) -> list[str]:
    """The same `docker run`, with the service's command run by a shell between two audits.

    The container's user, network, environment and volumes are untouched; only the
    entrypoint becomes `sh`, which runs `course COMMAND...` exactly as the image would.
    """
    at = argv.index(image)
    if "--entrypoint" in argv[:at]:
        raise SystemExit("the grader service sets its own entrypoint: the audit would replace it (teach `audited` to run it)")
    return [*argv[:at], "--entrypoint", "/bin/sh", image, "-c", AUDITED.replace("$AUDIT", AUDIT.replace('"', "'")),
            "sh", *argv[at + 1:]]


def leftovers(output: str) -> list[str]:
    """What grade-all left in the container: the difference between the two audit lines."""
    audits = [json.loads(line.split(" ", 1)[1]) for line in output.splitlines() if line.startswith("AUDIT {")]
    if len(audits) != 2:
        return [f"expected an audit before and after grade-all, found {len(audits)}"]
    before, after = audits
    problems = [f"left behind: {kind} {item}" for kind in ("files", "ipc") for item in sorted(set(after[kind]) - set(before[kind]))]
    problems += [f"still running after grade-all: {process}" for process in after["processes"]]
    return problems


HOSTILE = r'''
# A hostile submission: the stub's functions, then attacks at import. Each attack
# is on its own: one the grader refuses (an audit hook raising) does not spare the rest.
import json, os, time

def _write(path, text):
    with open(path, "w") as handle:
        handle.write(text)

def _plant_files():  # in every folder it may write, wherever it is
    for folder, folders, _ in os.walk("/"):
        if folder in ("/proc", "/sys"):
            folders.clear()
        elif os.access(folder, os.W_OK):
            try:
                _write(os.path.join(folder, "hostile-left-this"), "x")
            except OSError:
                pass

def _plant_pth():  # every later Python that loads it would die "cleanly"
    for home in (os.path.expanduser("~"), "/home/course", "/root"):
        site = os.path.join(home, ".local/lib/python3.11/site-packages")
        try:
            os.makedirs(site, exist_ok=True)
            _write(os.path.join(site, "zz_hostile.pth"), "import os; os._exit(0)\n")
        except OSError:
            pass

def _fill_shm():  # so the next student's semaphores and shared memory fail
    with open("/dev/shm/hostile-fill", "wb") as handle:
        while True:
            handle.write(bytes(1 << 20))

def _sysv_shm():  # System V shared memory, left allocated
    import ctypes  # the grader's audit hook may refuse this: then only this attack is lost
    libc = ctypes.CDLL(None, use_errno=True)
    for _ in range(8):
        libc.shmget(0, 4 << 20, 0o1666)

def _overwrite(top):
    for folder, _, files in os.walk(top):
        for name in files:
            if name.endswith((".py", ".json", ".csv", ".toml")) and "hostile" not in folder:
                try:
                    _write(os.path.join(folder, name), "raise SystemExit(0)\n")
                except OSError:
                    pass

def _reach_others():
    for top in ("/submissions", "/results", "/course", "/tmp", "/var/tmp", "/dev/shm"):
        _overwrite(top)

def _forge():
    fake = {"type": "result", "id": "x", "task": "amdahl", "repeat": 0, "passed": True, "message": ""}
    line = ("0" * 64 + " " + json.dumps(fake) + "\n").encode()
    for fd in range(1, 64):
        try:
            os.write(fd, line)
        except OSError:
            pass
    print("0" * 64, json.dumps({"type": "done"}), flush=True)

def _take_the_solution():  # the reference solution, if the image lets the student read it
    import glob
    for path in glob.glob("/course/solutions/*/" + os.path.basename(__file__)):
        with open(path) as handle:
            exec(compile(handle.read(), path, "exec"), globals())

def _daemon():  # outlives this run and keeps rewriting every file it can reach
    if os.fork() == 0:
        try:
            os.setsid()
            if os.fork() == 0:
                deadline = time.monotonic() + 300
                while time.monotonic() < deadline:
                    for top in ("/tmp", "/var/tmp", "/dev/shm", "/submissions", "/results"):
                        _overwrite(top)
                    time.sleep(0.05)
        finally:
            os._exit(0)

for _attack in (_take_the_solution, _plant_files, _plant_pth, _fill_shm, _sysv_shm, _reach_others, _forge,
                _daemon):
    try:
        _attack()
    except BaseException:
        pass
'''


def make_class(folder: Path) -> dict[str, dict[str, Path]]:
    """The four students' folders under `folder`/submissions, in the exercises/ layout."""
    catalogue = load(ROOT)
    exercises = {e.id: e for e in catalogue.select(list(EXERCISES))}
    students = {
        "1-hostile": {e: ROOT / "exercises" / exercises[e].relpath() for e in EXERCISES},
        "2-correct": {e: ROOT / "solutions" / exercises[e].relpath() for e in EXERCISES},
        "3-stub": {e: ROOT / "exercises" / exercises[e].relpath() for e in EXERCISES},
        "4-wrong": {"amdahl": ROOT / WRONG_VARIANT, "bank_account": ROOT / "solutions" / exercises["bank_account"].relpath()},
    }
    for student, files in students.items():
        for exercise, source in files.items():
            target = folder / "submissions" / student / exercises[exercise].relpath()
            target.parent.mkdir(parents=True, exist_ok=True)
            text = source.read_text()
            if student == "1-hostile":
                text += "\n" + HOSTILE  # the stub's functions, then the attack, at import
            target.write_text(text)
    (folder / "results").mkdir()
    return students


def declared_losses(path: Path) -> list[str]:
    """A buggy variant's LOSES list, read without running it."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "LOSES" for t in node.targets):
            return list(ast.literal_eval(node.value))
    raise SystemExit(f"{path} declares no LOSES")


def check(results: Path) -> list[str]:
    """Every way the gradebook and the reports differ from what the class deserves."""
    catalogue = load(ROOT)
    exercises = {e.id: e for e in catalogue.select(list(EXERCISES))}
    problems = []
    gradebook_file = next(iter(results.rglob("gradebook.csv")), None)
    if gradebook_file is None:
        return [f"no gradebook.csv under {results}: {sorted(str(p.relative_to(results)) for p in results.rglob('*'))}"]
    rows = {row["student"]: row for row in csv.DictReader(gradebook_file.open())}
    if set(rows) != {"1-hostile", "2-correct", "3-stub", "4-wrong"}:
        problems.append(f"gradebook students: {sorted(rows)}")
        return problems

    def score(student, exercise):
        return int(rows[student].get(exercise) or 0)

    full = {e: exercises[e].max_points for e in EXERCISES}
    for exercise in EXERCISES:
        if score("2-correct", exercise) != full[exercise]:
            problems.append(f"2-correct: {exercise} scored {score('2-correct', exercise)}/{full[exercise]}, expected full marks")
        if score("1-hostile", exercise) > score("3-stub", exercise):
            problems.append(f"1-hostile: {exercise} scored {score('1-hostile', exercise)}, more than the stub's {score('3-stub', exercise)}")
    lost = sum(t.points for t in exercises["amdahl"].tasks if t.id in declared_losses(ROOT / WRONG_VARIANT))
    if score("4-wrong", "amdahl") != full["amdahl"] - lost:
        problems.append(f"4-wrong: amdahl scored {score('4-wrong', 'amdahl')}, expected {full['amdahl'] - lost} (its LOSES tasks lost)")
    if score("4-wrong", "bank_account") != full["bank_account"]:
        problems.append(f"4-wrong: bank_account (the reference) scored {score('4-wrong', 'bank_account')}/{full['bank_account']}")
    for student in ("2-correct", "4-wrong"):
        if rows[student].get("error"):
            problems.append(f"{student}: the gradebook records a grader error: {rows[student]['error']}")

    for student, row in rows.items():  # each student's report (Gradescope's results.json format) agrees
        report_file = gradebook_file.parent / f"{student}.json"
        if not report_file.is_file():
            problems.append(f"{student}: no report {report_file.name} next to the gradebook")
            continue
        try:
            report = json.loads(report_file.read_text())
        except ValueError as error:
            problems.append(f"{student}: report is not JSON ({error}): {report_file.read_text()[:200]!r}")
            continue
        total = sum(test.get("score", 0) for test in report.get("tests", []))
        if report.get("score") != int(row["total"]) or total != int(row["total"]):
            problems.append(f"{student}: report says {report.get('score')} (tests sum to {total}), gradebook says {row['total']}")
    return problems


def explain(results: Path) -> str:
    """What to read when a check fails: the gradebook and every message of the losing students' reports."""
    lines = []
    for path in sorted(results.rglob("*")):
        if path.name == "gradebook.csv":
            lines += ["gradebook.csv:", path.read_text()]
        elif path.suffix == ".json":
            try:
                report = json.loads(path.read_text())
            except ValueError:
                continue
            lines.append(f"{path.name}: {report.get('score')} points; {str(report.get('output', ''))[:600]}")
            for test in report.get("tests", []):
                graded = str(test.get("name", "")).startswith(tuple(f"{e}:" for e in EXERCISES))
                if graded and test.get("score") != test.get("max_score"):
                    lines.append(f"  {test.get('name')}: {test.get('score')}/{test.get('max_score')}: {str(test.get('output', ''))[:400]}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image", required=True, help="the course image built from ./Dockerfile")
    parser.add_argument("--keep", action="store_true", help="keep the class folder for inspection")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="course-classroom-"))
    try:
        make_class(folder)
        name = f"course-classroom-{uuid.uuid4().hex[:8]}"
        service = grader_run_argv(yaml.safe_load((ROOT / "docker-compose.yml").read_text()), args.image, folder, name)
        print("$", " ".join(service), "  (its command between two audits of the container)", flush=True)
        argv = audited(service, args.image)
        started = time.monotonic()
        try:
            run = subprocess.run(argv, capture_output=True, text=True, timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            subprocess.run(["docker", "kill", name], capture_output=True)
            print(f"FAIL: the grader container ran past {RUN_TIMEOUT} s")
            return 1
        print(f"grade-all in the container: exit {run.returncode} after {time.monotonic() - started:.1f} s")
        print("\n".join(line for line in run.stdout.splitlines() if not line.startswith("AUDIT {"))[-4000:],
              run.stderr[-4000:], sep="\n", flush=True)
        problems = [] if run.returncode == 0 else [f"grade-all exited {run.returncode}"]
        problems += leftovers(run.stdout)
        problems += check(folder / "results")
        if problems:
            print("FAIL: the classroom grader in Docker:", *problems, "", explain(folder / "results"), sep="\n")
            return 1
        print("OK: correct full marks, wrong lost its LOSES tasks, hostile no more than the stub, reports agree,"
              " no file, IPC object or process left in the container")
        return 0
    finally:
        if args.keep:
            print(f"class folder kept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

"""`course gradescope OUT.zip [--chapters ...]`: an autograder package in Gradescope's format.

Gradescope unpacks the zip into /autograder/source, runs `setup.sh` there once (as
root, when it builds the autograder's image) and, for every submission, runs
`run_autograder` (copied to /autograder/run_autograder) as root with the student's
files in /autograder/submission; the score is what /autograder/results/results.json
says. The zip holds:

    setup.sh          finds (or installs) Python 3.11+, makes course/.venv, installs the course
    run_autograder    `course grade --against SUBMISSION --format gradescope --output results.json`
    course/           the student release of the chosen chapters, without its book: the
                      toolkit, the catalogue, the stubs and the graded tests; never the
                      solutions or the buggy variants (student code runs in this container)

The results file is rendered by course.grading.report.as_gradescope, the model every
report comes from. Student code runs under the grader's own confinement (the README's
threat model): as root in a container that allows namespaces it gets fresh ones and a
uid of its own; without CAP_SYS_ADMIN (Gradescope's usual container) it runs as the
sandbox user with no capabilities. setup.sh makes the course readable by that user.

AUTOGRADER_ROOT (default /autograder) moves the whole layout: the tests run the
package in a folder of their own, and an instructor can try a submission the same way.
"""

from __future__ import annotations

import argparse
import tempfile
import zipfile
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from course import catalogue as catalogue_module
from course.instructor.release import ReleaseError, build_release

console = Console(highlight=False)
COURSE_FOLDER = "course"

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, in /autograder/source (where the zip was unpacked).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
course="$here/course"

python=""
for candidate in python3.13 python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null &&
     "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    python="$candidate"; break
  fi
done
if [ -z "$python" ]; then  # Ubuntu 22.04, Gradescope's usual base, has 3.10: add 3.11
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.11 python3.11-venv
  python=python3.11
fi

"$python" -m venv "$course/.venv"
"$course/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$course"
touch "$course/.venv/.installed"
# Student code runs as an unprivileged user when the container has no namespaces:
# it must read the toolkit, the graded tests and the interpreter, and write none of them.
chmod -R a+rX,go-w "$course"
chmod a+x "$here" "$(dirname "$here")"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this as root for every submission; the score is results/results.json.
# The grader confines the student's code itself (namespaces and a uid of its own, or
# the sandbox user where the container allows no namespaces).
set -uo pipefail
root="${AUTOGRADER_ROOT:-/autograder}"
course="$root/source/course"
submission="$root/submission"
results="$root/results/results.json"
# A whole repository handed in (a GitHub upload): grade its exercises/ folder.
if [ -d "$submission/exercises" ]; then submission="$submission/exercises"; fi
mkdir -p "$(dirname "$results")"
cd "$course"
COURSE_ROOT="$course" "$course/.venv/bin/course" grade --against "$submission" \\
  --format gradescope --output "$results"
status=$?
if [ ! -s "$results" ]; then  # the toolkit could not even start: never a silent zero
  printf '{"score": 0, "output": "The autograder failed before grading (exit %s): tell your instructor.", ' "$status" >"$results"
  printf '"visibility": "visible", "tests": []}\\n' >>"$results"
fi
exit 0
"""


def build_package(root: Path, zip_path: Path, chapters: list[str] | None = None) -> list[str]:
    """Write the autograder zip for `chapters` (default: all); return the exercise ids it grades."""
    zip_path = zip_path.resolve()
    if zip_path.suffix != ".zip":
        raise ReleaseError(f"{zip_path} does not end in .zip: Gradescope takes a zip file")
    with tempfile.TemporaryDirectory(prefix="course-gradescope-") as folder:
        course = Path(folder) / COURSE_FOLDER
        release = build_release(root, course, chapters, book=False, git=False)
        zip_path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
            _add(archive, "setup.sh", SETUP_SH, 0o755)
            _add(archive, "run_autograder", RUN_AUTOGRADER, 0o755)
            for path in sorted(course.rglob("*")):
                if path.is_file():
                    mode = path.stat().st_mode & 0o777
                    _add(archive, path.relative_to(folder).as_posix(), path.read_bytes(), mode)
    return [e.id for e in release.exercises]


def _add(archive: zipfile.ZipFile, name: str, data: str | bytes, mode: int) -> None:
    """A file with its Unix permissions (Gradescope runs setup.sh and run_autograder as they are)."""
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.external_attr = (0o100000 | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", help="the zip to write, e.g. autograder.zip")
    parser.add_argument("--chapters", nargs="+", metavar="CHAPTER", help="only these chapters (default: all)")


def run(args: argparse.Namespace) -> int:
    try:
        graded = build_package(catalogue_module.find_root(), Path(args.out), args.chapters)
    except ReleaseError as error:
        console.print(f"[red]error:[/] {escape(str(error))}", soft_wrap=True)
        return 1
    console.print(f"Wrote {Path(args.out).resolve()}: a Gradescope autograder for {', '.join(graded)}. "
                  "Upload it as the assignment's autograder (zip file).", soft_wrap=True)
    return 0

"""The toolkit's tests grade a tiny fixture course; its graded tests are not part of this suite."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

collect_ignore = ["fixture_course", "hostile"]


def _student_venv(course: Path) -> Path:
    """`course/.venv` as `make setup` leaves it, in a second, from this environment's packages.

    The packages are linked into the new venv's own site-packages, not added by a path
    entry: the grader trusts code only from its interpreter's prefix, the toolkit and
    the course's tests, so borrowed packages must live (as paths) inside that prefix.
    The course's own toolkit comes from course/src, as the editable install would.
    """
    venv = course / ".venv"
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True, timeout=60).stdout.strip())
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith(("__editable__", "course-", "__pycache__")):
            (purelib / entry.name).symlink_to(entry)
    (purelib / "course_src.pth").write_text(f"{course / 'src'}\n")
    script = venv / "bin" / "course"
    script.write_text(f"#!{python}\nimport sys\nfrom course.cli import main\nsys.exit(main())\n")
    script.chmod(0o755)
    (venv / ".installed").touch()  # the Makefile's stamp: `make setup` has nothing left to do
    return venv


@pytest.fixture(scope="session")
def student_venv():
    """Make a course folder's .venv quickly (see _student_venv)."""
    return _student_venv

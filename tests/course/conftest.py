"""The toolkit's tests grade a tiny fixture course; its graded tests are not part of this suite."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

collect_ignore = ["fixture_course", "hostile"]


def _student_venv(course: Path) -> Path:
    """`course/.venv` as `make setup` leaves it, in a second, from this environment's packages.

    The packages are hard-linked into the new venv's own site-packages, not added by a
    path entry: the grader trusts code only from its interpreter's prefix, the toolkit
    and the course's tests, so borrowed packages must live inside that prefix. Not
    symbolic links: the confined run sees the course's folder but not where a link
    points (a clone under /tmp gets a private /tmp there). The course's own toolkit
    comes from course/src, as the editable install would.
    """
    venv = course / ".venv"
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True, timeout=60).stdout.strip())
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith(("__editable__", "course-", "__pycache__")):
            _link_tree(entry, purelib / entry.name)
    (purelib / "course_src.pth").write_text(f"{course / 'src'}\n")
    script = venv / "bin" / "course"
    script.write_text(f"#!{python}\nimport sys\nfrom course.cli import main\nsys.exit(main())\n")
    script.chmod(0o755)
    (venv / ".installed").touch()  # the Makefile's stamp: `make setup` has nothing left to do
    return venv


def _link(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system
        shutil.copy2(source, target)


def _link_tree(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target, symlinks=True, copy_function=_link)
    else:
        _link(source, target)


@pytest.fixture(scope="session")
def student_venv():
    """Make a course folder's .venv quickly (see _student_venv)."""
    return _student_venv

"""Where graded code is imported from: `submission.<chapter>.<module>`, pointing at one tree.

Kept apart from the pytest plugin so a process that only runs the code under
test (course.grading.subject) can use it without importing pytest.
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
from pathlib import Path
from types import ModuleType

SUBMISSION_PACKAGE = "submission"


def expose_tree(tree: Path) -> None:
    """Make `submission.<chapter>.<module>` import from `tree`.

    A folder holding one symlink goes first on sys.path and PYTHONPATH, so the
    name resolves the same way in this process, in spawn and forkserver
    children, and in worker processes the tests start. Only that one name is
    added: files in the tree (a stray `pytest.py`) cannot shadow anything else.
    """
    holder = Path(tempfile.mkdtemp(prefix="course-tree-"))
    (holder / SUBMISSION_PACKAGE).symlink_to(tree.resolve(), target_is_directory=True)
    sys.path.insert(0, str(holder))
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(holder), os.environ.get("PYTHONPATH")]))
    os.environ["COURSE_TREE"] = str(tree.resolve())


def load_exercise(chapter: str, module: str) -> ModuleType:
    return importlib.import_module(f"{SUBMISSION_PACKAGE}.{chapter}.{module}")

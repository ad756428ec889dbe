"""`course reset ID`: give the learner the stub back, keeping their version.

The stub comes from the pristine copy installed with the toolkit
(course/learner/pristine/, made from exercises/ by setup.py at install time),
so a reset needs no git checkout and gives back the stub as last shipped,
fixes included. The learner's file is copied to .course/backups/ first and
the exercise's recorded score is cleared: nothing is lost, nothing stale shown.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from course.catalogue import Catalogue, CatalogueError, Exercise
from course.learner import progress

SHIPPED = Path(__file__).parent / "pristine"
BACKUPS = Path(".course") / "backups"


def pristine_folder() -> Path:
    """$COURSE_PRISTINE (another course's stubs, e.g. the toolkit's own tests), else the shipped copy."""
    return Path(os.environ.get("COURSE_PRISTINE") or SHIPPED)


def pristine_stub(exercise: Exercise) -> Path:
    path = pristine_folder() / exercise.relpath()
    if not path.is_file():
        raise CatalogueError(
            f"no pristine copy of {exercise.relpath()} in {pristine_folder()}: reinstall the toolkit "
            f"(make setup, or pip install -e .) so it ships the stubs again"
        )
    return path


def reset(catalogue: Catalogue, exercise: Exercise) -> Path | None:
    """Restore the stub; returns where the learner's version was saved (None if there was none)."""
    stub = pristine_stub(exercise)
    target = catalogue.tree("exercises") / exercise.relpath()
    backup = None
    if target.exists():
        backup = catalogue.root / BACKUPS / f"{exercise.id}-{time.strftime('%Y%m%d-%H%M%S')}.py"
        backup.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(target, backup)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(stub, target)
    progress.forget(catalogue, exercise)
    return backup

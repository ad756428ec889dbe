"""The learner's progress: a small git-ignored JSON file, written atomically.

Progress is a convenience (what to do next), never a grade: instructors grade
with `course grade`, which re-runs the tests.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from course.catalogue import Catalogue, Exercise

STATE_FILE = Path(".course") / "progress.json"


def _path(catalogue: Catalogue) -> Path:
    return catalogue.root / STATE_FILE


def load(catalogue: Catalogue) -> dict[str, dict]:
    try:
        data = json.loads(_path(catalogue).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record(catalogue: Catalogue, exercise: Exercise, score: int, failed_tasks: list[str]) -> None:
    """The result of a check; `failed_tasks` are task ids (stable when tasks are reordered)."""
    state = load(catalogue)
    state[exercise.id] = {"score": score, "max": exercise.max_points, "failed_tasks": failed_tasks, "when": time.strftime("%Y-%m-%dT%H:%M:%S")}
    _save(catalogue, state)


def forget(catalogue: Catalogue, exercise: Exercise) -> None:
    """Drop the exercise's recorded score (after `course reset`, the stub has earned nothing)."""
    state = load(catalogue)
    if state.pop(exercise.id, None) is not None:
        _save(catalogue, state)


def _save(catalogue: Catalogue, state: dict[str, dict]) -> None:
    """Atomically: a crash mid-write never leaves half a progress file."""
    path = _path(catalogue)
    path.parent.mkdir(exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix="progress-")
    with os.fdopen(fd, "w") as handle:
        json.dump(state, handle, indent=2)
    os.replace(temporary, path)


def earned(state: dict[str, dict], exercise: Exercise) -> int:
    entry = state.get(exercise.id, {})
    return int(entry.get("score", 0)) if entry.get("max") == exercise.max_points else 0


def next_exercise(catalogue: Catalogue, state: dict[str, dict]) -> Exercise | None:
    """The first exercise, in catalogue order, without full marks."""
    for exercise in catalogue.exercises:
        if earned(state, exercise) < exercise.max_points:
            return exercise
    return None

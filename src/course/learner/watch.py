"""`course watch`: re-check an exercise each time its file is saved.

watchfiles uses the operating system's file events; where those do not work
(network drives, some containers) it falls back to polling, which is slower
but always works.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from rich.console import Console

from course.learner import progress
from course.catalogue import Catalogue, Exercise


def _exercise_for(catalogue: Catalogue, changed: Path) -> Exercise | None:
    for exercise in catalogue.exercises:
        if changed.resolve() == (catalogue.root / "exercises" / exercise.relpath()).resolve():
            return exercise
    return None


def watch(catalogue: Catalogue, only: str | None, check: Callable[..., bool], console: Console) -> int:
    import watchfiles

    focus = catalogue.exercise(only) if only else None
    first = focus or progress.next_exercise(catalogue, progress.load(catalogue))
    folder = catalogue.root / "exercises"
    if first is not None:
        check(catalogue, first)
    console.print(f"[dim]Watching {folder} (Ctrl-C to stop)...[/]")

    def changes(force_polling: bool):
        for batch in watchfiles.watch(folder, force_polling=force_polling, debounce=300,
                                      watch_filter=lambda _, path: path.endswith(".py")):
            yield batch

    try:
        try:
            batches = changes(force_polling=False)
            batch = next(batches)
        except (OSError, RuntimeError) as error:
            console.print(f"[yellow]file events unavailable ({error}); polling instead[/]")
            batches = changes(force_polling=True)
            batch = next(batches)
        while True:
            changed = {_exercise_for(catalogue, Path(path)) for _, path in batch} - {None}
            for exercise in sorted(changed, key=lambda e: e.id):
                if focus is None or exercise == focus:
                    console.rule(exercise.id)
                    check(catalogue, exercise)
            batch = next(batches)
    except KeyboardInterrupt:
        return 0

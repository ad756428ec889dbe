"""Ship a pristine copy of every exercise stub with the toolkit (course/learner/pristine/).

`course reset ID` restores a stub from that copy: no git, no network, and the
copy is remade from exercises/ each time the toolkit is installed, so a fixed
stub is what a later reset gives back. In a git checkout the committed stub is
copied, not the file on disk: a reinstall after the learner has edited a stub
(a `git pull` that changed pyproject.toml) must not make their edits pristine.
An editable install (`make setup`) writes the copy into the source tree, where
the package is imported from.
"""

import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).parent
PRISTINE = Path("course") / "learner" / "pristine"


class build_py_with_stubs(build_py):
    def run(self):
        super().run()
        target = HERE / "src" / PRISTINE if self.editable_mode else Path(self.build_lib) / PRISTINE
        shutil.rmtree(target, ignore_errors=True)
        for stub in sorted((HERE / "exercises").glob("*/*.py")):
            copy = target / stub.relative_to(HERE / "exercises")
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(committed(stub) or stub.read_bytes())


def committed(stub: Path) -> bytes | None:
    """The stub as committed at HEAD, or None outside a git checkout or for an untracked file."""
    relative = stub.relative_to(HERE).as_posix()
    try:
        shown = subprocess.run(["git", "-C", str(HERE), "show", f"HEAD:{relative}"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return shown.stdout if shown.returncode == 0 else None


setup(cmdclass={"build_py": build_py_with_stubs})

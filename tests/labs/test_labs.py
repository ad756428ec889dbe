"""Every lab runs as `python -m labs.CHAPTER.NAME` and exits 0 in reasonable time."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LABS = sorted(
    f"labs.{path.parent.name}.{path.stem}"
    for path in (ROOT / "labs").glob("ch*/*.py")
    if path.stem != "__init__" and not path.stem.startswith("_")
)


def test_there_are_labs_to_run():
    assert len(LABS) >= 3, f"found only {LABS}"


@pytest.mark.timeout(120)
@pytest.mark.parametrize("module", LABS)
def test_the_lab_runs_and_exits_0(module, tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run([sys.executable, "-m", module], cwd=ROOT, env=env, capture_output=True, text=True, timeout=110)
    assert result.returncode == 0, f"{module} exited {result.returncode}\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    assert result.stdout.strip(), f"{module} printed nothing: a lab should say what to notice"

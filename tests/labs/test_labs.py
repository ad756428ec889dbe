"""Every lab runs as `python -m labs.CHAPTER.NAME`, exits 0 in reasonable time, prints
what to notice, and leaves no process of its own running (clusters, pools, servers)."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from course.testing import wait_until

ROOT = Path(__file__).resolve().parents[2]
LABS = sorted(
    f"labs.{path.parent.name}.{path.stem}"
    for path in (ROOT / "labs").glob("ch*/*.py")
    if path.stem != "__init__" and not path.stem.startswith("_")
)


def test_there_are_labs_to_run():
    assert len(LABS) >= 3, f"found only {LABS}"
    capstone = [lab for lab in LABS if lab.startswith("labs.ch07_capstone.")]
    assert len(capstone) >= 2, f"the capstone needs at least two labs, found {capstone}"


def left_running(session: int) -> list[psutil.Process]:
    """Processes still alive in the lab's session (it ran as the leader of a new one)."""
    found = []
    for process in psutil.process_iter(["status"]):
        try:
            if os.getsid(process.pid) == session and process.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(process)
        except (ProcessLookupError, PermissionError, psutil.Error):
            continue
    return found


@pytest.mark.timeout(120)
@pytest.mark.parametrize("module", LABS)
def test_the_lab_runs_and_exits_0(module, tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    lab = subprocess.Popen([sys.executable, "-m", module], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = lab.communicate(timeout=110)
    except subprocess.TimeoutExpired:
        os.killpg(lab.pid, signal.SIGKILL)  # the lab and everything it started
        lab.communicate()
        raise
    assert lab.returncode == 0, f"{module} exited {lab.returncode}\n{stdout[-2000:]}\n{stderr[-3000:]}"
    assert stdout.strip(), f"{module} printed nothing: a lab should say what to notice"
    try:
        wait_until(lambda: not left_running(lab.pid), timeout=5)
    except AssertionError:
        leftovers = left_running(lab.pid)
        for process in leftovers:  # never leave them to the next test
            process.kill()
        names = ", ".join(f"{process.name()} (pid {process.pid})" for process in leftovers)
        pytest.fail(f"{module} exited but left running: {names}")

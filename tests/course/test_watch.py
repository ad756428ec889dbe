"""`course watch` re-checks an exercise when its file is saved, with file events or by polling."""

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixture_course"


def read_lines(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)


def wait_for_line(lines: queue.Queue, text: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            break
        seen.append(line)
        if text in line:
            return line
    raise AssertionError(f"{text!r} not printed within {timeout} s; output so far:\n{''.join(seen)}")


@pytest.mark.timeout(90)
@pytest.mark.parametrize("polling", [False, True], ids=["file-events", "polling"])
def test_saving_the_file_triggers_a_new_check(tmp_path, polling):
    root = tmp_path / "course"
    shutil.copytree(FIXTURE, root)
    env = {**os.environ, "COURSE_ROOT": str(root), "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    if polling:
        env["WATCHFILES_FORCE_POLLING"] = "1"
    watcher = subprocess.Popen([sys.executable, "-m", "course.cli", "watch", "adder"], cwd=root, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=read_lines, args=(watcher.stdout, lines), daemon=True)
    reader.start()
    try:
        wait_for_line(lines, "0/3 points", timeout=30)
        wait_for_line(lines, "Watching", timeout=10)
        # The watcher starts listening a moment after it says so: save again until it reacts.
        deadline = time.monotonic() + 40
        while True:
            solution = (root / "solutions" / "basics" / "adder.py").read_text()
            (root / "exercises" / "basics" / "adder.py").write_text(solution + f"\n# saved at {time.time()}\n")
            try:
                wait_for_line(lines, "3/3 points", timeout=2)
                break
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
    finally:
        watcher.send_signal(signal.SIGINT)
        try:
            watcher.wait(timeout=10)
        except subprocess.TimeoutExpired:
            watcher.kill()
            watcher.wait()
        reader.join(timeout=5)

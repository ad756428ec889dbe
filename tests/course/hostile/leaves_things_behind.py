"""Leaves files in /tmp, /var/tmp and /dev/shm, fills /dev/shm, allocates System V shared
memory, starts a daemon, and writes a .pth into root's user site-packages."""
import os
import subprocess
import sys

for folder in ("/tmp", "/var/tmp", "/dev/shm"):
    try:
        with open(os.path.join(folder, "course-hostile-leftover"), "wb") as handle:
            handle.write(b"x" * 1024)
    except OSError:
        pass
try:
    with open("/dev/shm/course-hostile-fill", "wb") as handle:
        for _ in range(512):
            handle.write(b"\0" * 2**20)
except OSError:
    pass
try:
    subprocess.run(["ipcmk", "-M", "1048576"], capture_output=True, timeout=5)
except Exception:
    pass
for site in ("/root/.local/lib/python3.11/site-packages", os.path.expanduser("~/.local/lib/python3.11/site-packages")):
    try:
        os.makedirs(site, exist_ok=True)
        with open(os.path.join(site, "course-hostile.pth"), "w") as handle:
            handle.write("import os; os.environ['COURSE_HOSTILE'] = '1'\n")
    except OSError:
        pass
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "300", "course-hostile-daemon"])
    os._exit(0)


def add(a, b):
    raise NotImplementedError

"""Set up one grading run's private world, then become the sandbox user.

`python -I -S .../lockdown.py SPEC -- COMMAND...` runs as root as the
first process of fresh PID, mount, IPC and network namespaces (the grader
starts it under `unshare`). Before it execs COMMAND as an unprivileged user it:

- makes every mount read-only (`/`, `/sys/fs/cgroup` and the rest), so the
  run can change no file outside its own scratch space, even files its user
  would own;
- gives the run fresh size-limited tmpfs on /tmp, /var/tmp and /dev/shm, which
  vanish with the namespace: nothing the run writes there outlives it or is
  seen by another run;
- hides solutions/, tests/buggy/, .git and the grader's other folders under
  empty read-only tmpfs;
- shows the staged tree read-only at a fixed place (`TREE`), and keeps the
  interpreter readable when it lives below a folder only root may enter
  (/root/.pyenv): a tmpfs covers that folder and only what the run needs is
  bound back, read-only, so root's other files stay out of sight;
- brings up loopback, the only network interface the namespace has;
- joins the run's pids cgroup (which counts threads too);
- drops to the sandbox uid/gid, no supplementary groups, no capabilities
  (bounding set too) and no_new_privs, in that order and in one `setpriv`.
Anything that fails here is the grader's problem: it exits with `FAILED`.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import socket
import struct
import sys

TREE = "/tmp/.course/tree"  # the staged submission, read-only
HOME = "/tmp/.course/run"  # the run's working folder, HOME and TMPDIR
PYCACHE = "/tmp/.course/pycache"  # PYTHONPYCACHEPREFIX: planted .pyc files are never read
SCRATCH = ("/tmp", "/var/tmp", "/dev/shm")
FAILED = 121  # exit status meaning "the grader could not set the run up"

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
_SKIP_READ_ONLY = ("proc",)  # a fresh /proc, mounted by unshare for this PID namespace
_libc = ctypes.CDLL(None, use_errno=True)


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    if _libc.mount(source.encode(), target.encode(), fstype.encode() if fstype else None, flags,
                   data.encode() if data else None) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"mount {source} on {target}: {os.strerror(error)}")


def _tmpfs(target: str, size: int, mode: str = "1777", read_only: bool = False) -> None:
    _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | (MS_RDONLY if read_only else 0), f"size={size},mode={mode}")


def _bind_read_only(source: str, target: str) -> None:
    _mount(source, target, None, MS_BIND | MS_REC)
    _mount("none", target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _mount_points() -> list[tuple[str, str]]:
    """(mount point, filesystem type) of every mount in this namespace, outermost first."""
    points = []
    with open("/proc/self/mountinfo") as handle:
        for line in handle:
            fields = line.split()
            fstype = fields[fields.index("-") + 1]
            points.append((fields[4].encode().decode("unicode_escape"), fstype))
    return sorted(set(points), key=lambda p: p[0].count("/"))


def _read_only_everywhere() -> None:
    for point, fstype in _mount_points():
        if fstype not in _SKIP_READ_ONLY:
            try:
                _mount("none", point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID)
            except OSError:
                # A mount that cannot be remounted (already read-only, or locked by an
                # outer namespace) is left as it is; / itself must succeed.
                if point == "/":
                    raise


def _closed_ancestor(path: str) -> str | None:
    """The outermost folder above `path` that other users may not enter, if any."""
    parts = os.path.abspath(path).split("/")[1:]
    for depth in range(1, len(parts) + 1):
        folder = "/" + "/".join(parts[:depth])
        if not os.stat(folder).st_mode & 0o001:
            return folder
    return None


def _uncover(needed: list[str]) -> None:
    """Make each needed folder readable without loosening the folder that closes it."""
    closed: dict[str, list[str]] = {}
    for path in needed:
        if (ancestor := _closed_ancestor(path)) is not None and ancestor != path:
            closed.setdefault(ancestor, []).append(path)
    for ancestor, paths in closed.items():
        handles = {path: os.open(path, os.O_PATH | os.O_DIRECTORY) for path in paths}
        _tmpfs(ancestor, 1 << 20, mode="0755")
        for path, handle in handles.items():
            os.makedirs(path, mode=0o755, exist_ok=True)
            _bind_read_only(f"/proc/self/fd/{handle}", path)
            os.close(handle)
        _mount("none", ancestor, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _loopback_up() -> None:
    SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(sock, SIOCGIFFLAGS, request)[:18])[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH", b"lo", flags | IFF_UP))


def set_up(spec: dict) -> None:
    uid, gid = spec["uid"], spec["gid"]
    _mount("none", "/", None, MS_REC | MS_PRIVATE)
    if spec.get("cgroup"):
        with open(os.path.join(spec["cgroup"], "cgroup.procs"), "w") as handle:
            handle.write("0")
    tree = os.open(spec["tree"], os.O_PATH | os.O_DIRECTORY)
    _uncover(spec["need"])
    _read_only_everywhere()
    # Needed folders below a scratch folder (a course copied under /tmp) come back read-only.
    below = {path: os.open(path, os.O_PATH | os.O_DIRECTORY) for path in spec["need"]
             if any(path.startswith(folder + "/") for folder in SCRATCH)}
    for folder in SCRATCH:
        if os.path.isdir(folder):
            _tmpfs(folder, spec["scratch_bytes"])
    for path, handle in sorted(below.items()):
        os.makedirs(path, mode=0o755, exist_ok=True)
        _bind_read_only(f"/proc/self/fd/{handle}", path)
        os.close(handle)
    for folder in (TREE, HOME, PYCACHE):
        os.makedirs(folder, mode=0o755)
    for folder in (HOME, PYCACHE):
        os.chown(folder, uid, gid)
        os.chmod(folder, 0o700)
    _bind_read_only(f"/proc/self/fd/{tree}", TREE)
    os.close(tree)
    for folder in spec["hide"]:
        if os.path.isdir(folder):
            _tmpfs(folder, 4096, mode="0000", read_only=True)
    _loopback_up()
    os.chdir(HOME)


def main(argv: list[str]) -> None:
    try:
        split = argv.index("--")
        spec = json.loads(argv[split - 1])
        set_up(spec)
        command = ["setpriv", f"--reuid={spec['uid']}", f"--regid={spec['gid']}", "--clear-groups",
                   "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--", *argv[split + 1:]]
        os.execvp(command[0], command)
    except BaseException as error:  # anything: the grader must know it was its own failure
        sys.stderr.write(f"course: the grader could not set up the sandbox: {type(error).__name__}: {error}\n")
        sys.stderr.flush()
        os._exit(FAILED)


if __name__ == "__main__":
    main(sys.argv[1:])

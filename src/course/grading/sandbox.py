"""Run untrusted code under limits, and make sure all of it dies afterwards.

A student's exercise may deadlock, loop forever, print without end, allocate
until the machine swaps, fork without end or call `os._exit` at import. Each
run gets:

- its own session and process group, and when the grader is root and
  `unshare` exists, its own PID namespace: killing the namespace's first
  process kills every process inside, grandchildren that called setsid too;
- a pids cgroup when one is writable (root); otherwise RLIMIT_NPROC, which the
  kernel ignores for root, so a watchdog thread also counts the run's
  processes and kills the run past the cap;
- RLIMIT_AS (memory per process) and a watchdog on the run's total resident memory;
- a wall-clock limit: past it the child is asked for every thread's stack
  (SIGUSR1, faulthandler) and then everything is killed;
- captured output truncated to a fixed size (the rest is read and dropped,
  so a chatty child never blocks on a full pipe).

What only a container or a VM stops (network access, reading files the
grader's user can read, attacks on the kernel) is listed in the README.
"""

from __future__ import annotations

import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
WATCH_INTERVAL = 0.05
STACK_DUMP_GRACE = 0.7


@dataclass(frozen=True)
class Limits:
    wall_clock: float = 60.0
    memory_bytes: int = 2 * 1024**3  # per process (RLIMIT_AS) and for the run's total RSS
    max_processes: int = 64
    output_bytes: int = 64 * 1024


@dataclass
class Outcome:
    exit_code: int | None
    output: str
    result_data: bytes
    duration: float
    stopped_because: str = ""  # empty when the run ended on its own


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _pids_cgroup() -> Path | None:
    """A fresh pids cgroup if this process may create one (cgroup v1, or v2 with pids delegated)."""
    v1, v2 = Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup")
    if (v1 / "pids.max").exists() or (v1 / "cgroup.procs").exists():
        base = v1
    elif "pids" in _read(v2 / "cgroup.subtree_control"):
        base = v2
    else:
        return None
    group = base / f"course-{uuid.uuid4().hex[:12]}"
    try:
        group.mkdir()
    except OSError:
        return None
    return group


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _start_time(pid: int) -> str | None:
    """The kernel's start time of a process: with the pid, it names one process for good."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    return fields[19].decode() if fields[0] != b"Z" else None


def _process_table() -> dict[int, int]:
    """pid -> parent pid for every process on the machine."""
    table = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    table[int(entry)] = int(handle.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    return table


def _descendants(root_pid: int) -> set[int]:
    table = _process_table()
    children: dict[int, list[int]] = {}
    for pid, parent in table.items():
        children.setdefault(parent, []).append(pid)
    found, stack = set(), [root_pid]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def _processes_of_user(uid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/status") as handle:
                    for line in handle:
                        if line.startswith("Uid:"):
                            if int(line.split()[1]) == uid:
                                found.append(int(entry))
                            break
            except (OSError, ValueError, IndexError):
                pass
    return found


def _rss_bytes(pids: set[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as handle:
                total += int(handle.read().split()[1]) * PAGE_SIZE
        except (OSError, IndexError, ValueError):
            pass
    return total


class _Output:
    """Keeps the head and the tail of a stream up to a byte budget."""

    def __init__(self, budget: int):
        self.half = budget // 2
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped = 0

    def add(self, chunk: bytes) -> None:
        room = self.half - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        self.tail += chunk
        if len(self.tail) > self.half:
            self.dropped += len(self.tail) - self.half
            del self.tail[: len(self.tail) - self.half]

    def text(self) -> str:
        cut = f"\n[... {self.dropped} bytes of output cut ...]\n" if self.dropped else ""
        return (bytes(self.head) + cut.encode() + bytes(self.tail)).decode(errors="replace")


_BIND_READ_ONLY = 'while [ "$1" != -- ]; do mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" || exit 97; shift; done; shift; exec "$@"'


def _works(command: list[str]) -> bool:
    try:
        return subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@dataclass(frozen=True)
class Tools:
    """Which confinement tools work here, probed once: a container may have the
    binaries but not the privileges (unshare needs CAP_SYS_ADMIN)."""

    namespaces: bool  # own PID and mount namespace, read-only course files
    drop_capabilities: bool
    sandbox_user: tuple[int, int] | None  # (uid, gid) student code runs as, if configured and usable


@functools.cache
def available_tools() -> Tools:
    if not (_is_root() and sys.platform.startswith("linux")):
        return Tools(False, False, None)
    namespaces = bool(shutil.which("unshare")) and _works(
        ["unshare", "--pid", "--mount", "--mount-proc", "--fork", "--kill-child", "--propagation", "private", "--",
         "sh", "-c", _BIND_READ_ONLY, "probe", sys.prefix, "--", "true"])
    drop = bool(shutil.which("setpriv")) and _works(["setpriv", "--inh-caps=-all", "--bounding-set=-all", "--", "true"])
    user = None
    if name := os.environ.get("COURSE_SANDBOX_USER"):
        import pwd

        try:
            entry = pwd.getpwnam(name) if not name.isdigit() else pwd.getpwuid(int(name))
        except KeyError:
            raise RuntimeError(f"COURSE_SANDBOX_USER={name}: no such user") from None
        ids = (entry.pw_uid, entry.pw_gid)
        if not _works(["setpriv", f"--reuid={ids[0]}", f"--regid={ids[1]}", "--clear-groups", "--", sys.executable, "-c", "pass"]):
            raise RuntimeError(f"COURSE_SANDBOX_USER={name}: cannot run {sys.executable} as that user")
        user = ids
    return Tools(namespaces, drop, user)


class ConfinedRun:
    """One confined process tree; `run()` waits for it and cleans up."""

    def __init__(self, argv: list[str], *, env: dict[str, str], cwd: Path, limits: Limits, stdin_data: bytes,
                 read_only: tuple[Path, ...] = ()):
        self.argv = argv
        self.env = env
        self.cwd = cwd
        self.limits = limits
        self.stdin_data = stdin_data
        self.read_only = read_only
        self.tools = available_tools()
        self.stopped_because = ""
        self.cgroup = _pids_cgroup() if sys.platform.startswith("linux") and _is_root() else None
        self._seen: dict[int, str] = {}  # pid -> start time, for every process of the run seen

    def _command(self, result_fd: int) -> list[str]:
        command = [arg.replace("{result_fd}", str(result_fd)) for arg in self.argv]
        if self.tools.sandbox_user:
            uid, gid = self.tools.sandbox_user
            command = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--", *command]
        if self.tools.drop_capabilities:
            # Without capabilities, root code cannot lift the limits set below.
            command = ["setpriv", "--inh-caps=-all", "--bounding-set=-all", "--", *command]
        if self.tools.namespaces:
            # Its own PID namespace and /proc: it cannot see or signal the grader, and all of it dies
            # with its first process. Its own mount namespace: the course's files, the
            # interpreter and the grader's outputs are read-only inside it.
            folders = sorted({str(p.resolve()) for p in self.read_only if p.is_dir()})
            command = ["unshare", "--pid", "--mount", "--mount-proc", "--fork", "--kill-child", "--propagation", "private", "--",
                       "sh", "-c", _BIND_READ_ONLY, "course-sandbox", *folders, "--", *command]
        return command

    def _limit_child(self) -> None:
        """Runs in the child between fork and exec: only async-signal-safe-ish calls."""
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_AS, (self.limits.memory_bytes, self.limits.memory_bytes))
        if self.tools.sandbox_user:
            # Counted per user: the sandbox user runs nothing else, so the cap is exact.
            resource.setrlimit(resource.RLIMIT_NPROC, (self.limits.max_processes, self.limits.max_processes))
        elif not _is_root():
            running = len(_process_table()) or 512
            cap = running + self.limits.max_processes
            resource.setrlimit(resource.RLIMIT_NPROC, (cap, cap))
        if self.cgroup is not None:
            with open(self.cgroup / "cgroup.procs", "w") as handle:
                handle.write("0")

    def _members(self, leader: int) -> set[int]:
        members = _descendants(leader) | {leader}
        if self.cgroup is not None:
            try:
                members |= {int(p) for p in (self.cgroup / "cgroup.procs").read_text().split()}
            except OSError:
                pass
        for pid in members:
            if pid not in self._seen and (started := _start_time(pid)):
                self._seen[pid] = started
        return members

    def _kill_all(self, leader: int) -> None:
        """Kill the leader, its group, and every process of the run still alive.

        A pid seen earlier is killed only if it still has the start time it had
        then: after it exits its number may belong to someone else's process.
        """
        for _ in range(5):
            self._members(leader)
            survivors = [pid for pid, started in self._seen.items() if _start_time(pid) == started]
            if self.tools.sandbox_user:  # a dedicated user: whatever it still runs is ours
                survivors += _processes_of_user(self.tools.sandbox_user[0])
            if not survivors:
                break
            for pid in survivors:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            try:
                os.killpg(leader, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            time.sleep(0.05)

    def _python_child(self, leader: int) -> int:
        """The interpreter itself (inside unshare and setpriv, which exec or fork)."""
        deadline = time.monotonic() + 0.2
        while time.monotonic() < deadline:
            for pid in sorted(_descendants(leader) | {leader}):
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as handle:
                        if b"course.grading.child" in handle.read():
                            return pid
                except OSError:
                    continue
            time.sleep(0.02)
        return leader

    def run(self) -> Outcome:
        read_fd, write_fd = os.pipe()
        started = time.monotonic()
        command = self._command(write_fd)
        if self.cgroup is not None:
            # A little headroom over the cap, so the watchdog sees the cap reached and stops the run.
            (self.cgroup / "pids.max").write_text(str(self.limits.max_processes + 4))
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=self.cwd,
            env=self.env,
            pass_fds=(write_fd,),
            start_new_session=True,
            preexec_fn=self._limit_child,
        )
        os.close(write_fd)
        output = _Output(self.limits.output_bytes)
        results = bytearray()
        readers = [
            threading.Thread(target=_drain, args=(process.stdout.fileno(), output.add), daemon=True),
            threading.Thread(target=_drain, args=(read_fd, results.extend), daemon=True),
        ]
        for reader in readers:
            reader.start()
        try:
            process.stdin.write(self.stdin_data)
            process.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        self._watch(process, started)
        for reader in readers:
            reader.join(timeout=2.0)
        os.close(read_fd)
        process.stdout.close()
        if self.cgroup is not None:
            try:
                self.cgroup.rmdir()
            except OSError:
                pass
        return Outcome(
            exit_code=process.returncode,
            output=output.text(),
            result_data=bytes(results),
            duration=time.monotonic() - started,
            stopped_because=self.stopped_because,
        )

    def _watch(self, process: subprocess.Popen, started: float) -> None:
        deadline = started + self.limits.wall_clock
        while process.poll() is None:
            members = self._members(process.pid)
            if len(members) >= self.limits.max_processes:
                self.stopped_because = f"it started more than {self.limits.max_processes} processes (a fork bomb?)"
            elif _rss_bytes(members) > self.limits.memory_bytes:
                self.stopped_because = f"its processes used more than {self.limits.memory_bytes // 2**20} MiB of memory"
            elif time.monotonic() > deadline:
                self.stopped_because = f"it ran past its time limit of {self.limits.wall_clock:g} s"
                try:
                    os.kill(self._python_child(process.pid), signal.SIGUSR1)
                except (ProcessLookupError, PermissionError):
                    pass
                time.sleep(STACK_DUMP_GRACE)
            if self.stopped_because:
                self._kill_all(process.pid)
                break
            time.sleep(WATCH_INTERVAL)
        process.wait()
        # The leader may have ended while others it started live on: they die with it.
        self._kill_all(process.pid)


def _drain(fd: int, sink) -> None:
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return
        if not chunk:
            return
        sink(chunk)

"""Run untrusted code under limits, and make sure all of it dies afterwards.

A student's exercise may deadlock, loop forever, print without end, allocate
until the machine swaps, fork without end, call `os._exit` at import, or
attack the grader, the machine or the next student. What each run gets
depends on where the grader runs (the README's threat model says what each
path stops and what it does not):

- root with namespaces (CI, this machine): fresh PID, mount, IPC and network
  namespaces set up by `course.grading.lockdown`, a fresh unprivileged uid of
  its own, everything read-only but private tmpfs scratch space, a pids
  cgroup; all of it dies with the namespace's first process;
- root without CAP_SYS_ADMIN (the classroom container): a sandbox user
  (`COURSE_SANDBOX_USER`, else `course-sandbox`, created if missing) without
  capabilities; after the run every process, file in /tmp, /var/tmp and
  /dev/shm and System V IPC object of that user is removed;
- an ordinary user (a laptop): its own session and process group only.

On every path: rlimits set by the child before any student code runs
(memory, file size, processes), and a watchdog thread that counts the run's
processes *and threads*, sums their memory, enforces the wall clock (asking
for every thread's stack first) and kills the whole tree; output is captured
and truncated, and the results pipe is read up to a cap and no further.
"""

from __future__ import annotations

import functools
import json
import os
import pwd
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import psutil

from course.grading import lockdown

WATCH_INTERVAL = 0.05
STACK_DUMP_GRACE = 0.7
SANDBOX_USER = "course-sandbox"
RUN_UIDS = range(2_100_000_000, 2_140_000_000)  # a fresh uid per namespaced run: no passwd entry needed
SYSV_IPC = {"shm": "-m", "sem": "-s", "msg": "-q"}


@dataclass(frozen=True)
class Limits:
    wall_clock: float = 60.0
    memory_bytes: int = 2 * 1024**3  # per process (RLIMIT_AS) and for the run's total RSS
    max_processes: int = 128  # processes and threads together, as the kernel counts them
    output_bytes: int = 64 * 1024
    result_bytes: int = 4 * 1024**2  # the results pipe: what lies beyond is never read
    file_bytes: int = 64 * 1024**2  # RLIMIT_FSIZE, and the size of each private tmpfs
    stall: float | None = None  # stop a run whose results pipe stayed silent this long (a hung test)


def stall_message(seconds: float) -> str:
    return f"no test finished for {seconds:g} s: a test hung"


@dataclass
class Outcome:
    exit_code: int | None
    output: str
    result_data: bytes
    duration: float
    stopped_because: str = ""  # empty when the run ended on its own
    grader_failed: bool = False  # the sandbox could not be set up: not the student's doing


@dataclass(frozen=True)
class Place:
    """Where the run finds things, as seen from inside it."""

    result_fd: int
    tree: Path
    home: Path
    pycache: Path
    rlimits: tuple[str, ...] = ()  # NAME=VALUE, set by the child itself before any student code runs


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _pids_cgroup() -> Path | None:
    """A fresh pids cgroup if this process may create one (cgroup v1, or v2 with pids delegated).
    The pids controller counts threads as well as processes."""
    v1, v2 = Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup")
    if (v1 / "cgroup.procs").exists():
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


class _Capped:
    """Keeps the first `budget` bytes of a stream; the rest is read and dropped."""

    def __init__(self, budget: int):
        self.budget = budget
        self.data = bytearray()
        self.last_activity = time.monotonic()  # a run that reports nothing for long has hung

    def add(self, chunk: bytes) -> None:
        self.last_activity = time.monotonic()
        room = self.budget - len(self.data)
        if room > 0:
            self.data += chunk[:room]


def _works(command: list[str]) -> bool:
    try:
        return subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


NAMESPACES = ["unshare", "--pid", "--mount", "--ipc", "--net", "--uts", "--mount-proc", "--fork", "--kill-child",
              "--propagation", "private", "--"]


@dataclass(frozen=True)
class Tools:
    """Which confinement tools work here, probed once: a container may have the
    binaries but not the privileges (unshare needs CAP_SYS_ADMIN)."""

    namespaces: bool  # own PID, mount, IPC and network namespaces (course.grading.lockdown)
    drop_capabilities: bool
    sandbox_user: tuple[int, int] | None  # (uid, gid) student code runs as without namespaces


def _sandbox_user() -> tuple[int, int]:
    """COURSE_SANDBOX_USER, else `course-sandbox`, created (no home, no shell) if missing."""
    name = os.environ.get("COURSE_SANDBOX_USER") or SANDBOX_USER
    try:
        entry = pwd.getpwnam(name) if not name.isdigit() else pwd.getpwuid(int(name))
    except KeyError:
        if name != SANDBOX_USER or not _works(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                                                "--user-group", SANDBOX_USER]):
            raise RuntimeError(f"sandbox user {name}: no such user, and it could not be created") from None
        entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


def _privileges_dropped(uid: int, gid: int) -> list[str]:
    """One setpriv: ids and groups first (that needs CAP_SETUID), then capabilities and
    the bounding set, and no_new_privs so no setuid program gives them back."""
    return ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
            "--no-new-privs", "--"]


@functools.cache
def available_tools() -> Tools:
    if not (_is_root() and sys.platform.startswith("linux")):
        return Tools(False, False, None)
    namespaces = bool(shutil.which("unshare")) and _works([*NAMESPACES, "true"])
    drop = bool(shutil.which("setpriv")) and _works(_privileges_dropped(0, 0) + ["true"])
    user = None
    if not namespaces:
        user = _sandbox_user()
        # The interpreter must be the same one for that user (a folder it may not enter
        # would make Python fall back to another standard library, or fail).
        probe = [*_privileges_dropped(*user), sys.executable, "-I", "-c", "import sys; print(sys.base_prefix)"]
        try:
            seen = subprocess.run(probe, capture_output=True, text=True, timeout=10, cwd="/").stdout.strip()
        except (OSError, subprocess.SubprocessError) as error:
            seen = str(error)
        if seen != sys.base_prefix:
            raise RuntimeError(f"the sandbox user (uid {user[0]}) cannot run {sys.executable} as the grader does "
                               f"(it sees {seen or 'nothing'!r}, not {sys.base_prefix!r}): make the interpreter readable by it")
    return Tools(namespaces, drop, user)


class ConfinedRun:
    """One confined process tree; `run()` waits for it and cleans up.

    `command(place)` builds the child's argv once the results pipe exists and the
    run's paths are known; `tree` is shown to the run read-only; `hide` lists
    folders the run must not see (where namespaces allow), `need` folders it must read.
    """

    def __init__(self, command: Callable[[Place], list[str]], *, env: dict[str, str], workdir: Path, limits: Limits,
                 stdin_data: bytes, tree: Path, hide: tuple[Path, ...] = (), need: tuple[Path, ...] = ()):
        self.command = command
        self.env = env
        self.workdir = workdir
        self.limits = limits
        self.stdin_data = stdin_data
        self.tree = tree
        self.hide = hide
        self.need = need
        self.tools = available_tools()
        self.stopped_because = ""
        self.uid: int | None = None
        self._seen: dict[int, psutil.Process] = {}

    # -- starting -------------------------------------------------------------------------

    def _rlimits(self) -> tuple[str, ...]:
        """Hard and soft at once: without CAP_SYS_RESOURCE they cannot be raised again."""
        limits = [f"AS={self.limits.memory_bytes}", f"FSIZE={self.limits.file_bytes}", "CORE=0"]
        if self.tools.namespaces or self.tools.sandbox_user:
            # Counted per user, threads included: the run's uid runs nothing else.
            limits.append(f"NPROC={self.limits.max_processes}")
        elif not _is_root():
            # Counted per user: on a laptop, on top of what that user already runs.
            limits.append(f"NPROC={_tasks_of_user(os.getuid()) + self.limits.max_processes}")
        return tuple(limits)

    def _place(self, result_fd: int) -> Place:
        if self.tools.namespaces:
            return Place(result_fd, Path(lockdown.TREE), Path(lockdown.HOME), Path(lockdown.PYCACHE), self._rlimits())
        pycache = self.workdir / "pycache"
        pycache.mkdir()
        return Place(result_fd, self.tree, self.workdir, pycache, self._rlimits())

    def _argv(self, place: Place, cgroup: Path | None) -> list[str]:
        argv = self.command(place)
        if self.tools.namespaces:
            self.uid = RUN_UIDS.start + uuid.uuid4().int % len(RUN_UIDS)
            need = sorted({str(p.resolve()) for p in self.need if p.is_dir()})
            hidden = sorted({str(p.resolve()) for p in self.hide if p.is_dir()})
            # Never hide a folder the run needs, or one that holds something it needs.
            hidden = [h for h in hidden if not any(n == h or n.startswith(h + os.sep) for n in need)]
            spec = {"uid": self.uid, "gid": self.uid, "tree": str(self.tree.resolve()), "need": need, "hide": hidden,
                    "cgroup": str(cgroup) if cgroup else None, "scratch_bytes": self.limits.file_bytes}
            # Run by path, not `-m`: importing the course package would cost more than the whole set-up.
            return [*NAMESPACES, sys.executable, "-I", "-S", lockdown.__file__, json.dumps(spec), "--", *argv]
        if self.tools.sandbox_user:
            self.uid = self.tools.sandbox_user[0]
            return [*_privileges_dropped(*self.tools.sandbox_user), *argv]
        return argv

    def _prepare_workdir(self) -> None:
        if self.tools.sandbox_user:
            uid, gid = self.tools.sandbox_user
            for folder in (self.workdir, self.workdir / "pycache"):
                os.chown(folder, uid, gid)
            os.chmod(self.workdir, 0o700)

    def run(self) -> Outcome:
        read_fd, write_fd = os.pipe()
        started = time.monotonic()
        cgroup = _pids_cgroup() if _is_root() and sys.platform.startswith("linux") else None
        place = self._place(write_fd)
        self._prepare_workdir()
        env = self.env | {"HOME": str(place.home), "TMPDIR": str(place.home), "PYTHONPYCACHEPREFIX": str(place.pycache)}
        if cgroup is not None:
            # A little headroom over the cap, so the watchdog sees the cap reached and stops the run.
            (cgroup / "pids.max").write_text(str(self.limits.max_processes + 4))
        try:
            process = subprocess.Popen(self._argv(place, cgroup), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, cwd=self.workdir, env=env, pass_fds=(write_fd,),
                                       start_new_session=True)
        except BaseException:
            os.close(read_fd)
            os.close(write_fd)
            _remove_cgroup(cgroup)
            raise
        os.close(write_fd)
        if cgroup is not None and not self.tools.namespaces:
            # Without namespaces the grader moves the child in: it is still setpriv or
            # the interpreter starting up, long before any student code runs.
            _write(cgroup / "cgroup.procs", str(process.pid))
        output = _Output(self.limits.output_bytes)
        results = _Capped(self.limits.result_bytes)
        readers = [
            threading.Thread(target=_drain, args=(process.stdout.fileno(), output.add), daemon=True),
            threading.Thread(target=_drain, args=(read_fd, results.add), daemon=True),
        ]
        for reader in readers:
            reader.start()
        try:
            process.stdin.write(self.stdin_data)
            process.stdin.close()
        except OSError:
            pass
        self._results = results
        try:
            self._watch(process, started, cgroup)
        finally:
            for reader in readers:
                reader.join(timeout=2.0)
            os.close(read_fd)
            process.stdout.close()
            self._clean_up()
            _remove_cgroup(cgroup)
        return Outcome(
            exit_code=process.returncode,
            output=output.text(),
            result_data=bytes(results.data),
            duration=time.monotonic() - started,
            stopped_because=self.stopped_because,
            grader_failed=process.returncode == lockdown.FAILED,
        )

    # -- watching -------------------------------------------------------------------------

    def _members(self, leader: int, cgroup: Path | None) -> list[psutil.Process]:
        """Every live process of the run: the leader's descendants, the cgroup's members,
        and (a dedicated user's) every process of the sandbox user."""
        pids = set()
        try:
            root = psutil.Process(leader)
            pids = {root.pid} | {child.pid for child in root.children(recursive=True)}
        except psutil.Error:
            pass
        if cgroup is not None:
            pids |= {int(p) for p in _read(cgroup / "cgroup.procs").split()}
        if self.tools.sandbox_user:
            pids |= {p.pid for p in psutil.process_iter(["uids"]) if p.info["uids"] and p.info["uids"].real == self.uid}
        for pid in pids - self._seen.keys():
            try:
                self._seen[pid] = psutil.Process(pid)  # remembers its start time: safe against pid reuse
            except psutil.Error:
                pass
        return [self._seen[pid] for pid in pids if pid in self._seen]

    def _kill_all(self, leader: int, cgroup: Path | None) -> None:
        """Kill every process of the run ever seen and still the same process."""
        for _ in range(5):
            self._members(leader, cgroup)
            alive = [p for p in self._seen.values() if _running(p)]
            if not alive:
                return
            for process in alive:
                try:
                    process.kill()
                except psutil.Error:
                    pass
            psutil.wait_procs(alive, timeout=0.2)

    def _interpreter(self, leader: int) -> int:
        """The pid of the child interpreter: under unshare it is unshare's only child
        (lockdown execs setpriv, which execs Python, all in one process)."""
        if not self.tools.namespaces:
            return leader
        try:
            children = psutil.Process(leader).children()
        except psutil.Error:
            return leader
        return children[0].pid if children else leader

    def _stalled(self) -> bool:
        results = getattr(self, "_results", None)
        return bool(self.limits.stall and results and time.monotonic() - results.last_activity > self.limits.stall)

    def _watch(self, process: subprocess.Popen, started: float, cgroup: Path | None) -> None:
        deadline = started + self.limits.wall_clock
        while process.poll() is None:
            members = self._members(process.pid, cgroup)
            tasks, memory = _tasks_and_memory(members)
            if tasks >= self.limits.max_processes:
                self.stopped_because = f"it started more than {self.limits.max_processes} processes and threads (a fork bomb?)"
            elif memory > self.limits.memory_bytes:
                self.stopped_because = f"its processes used more than {self.limits.memory_bytes // 2**20} MiB of memory"
            elif time.monotonic() > deadline or self._stalled():
                self.stopped_because = (f"it ran past its time limit of {self.limits.wall_clock:g} s"
                                        if time.monotonic() > deadline else stall_message(self.limits.stall))
                try:
                    os.kill(self._interpreter(process.pid), signal.SIGUSR1)
                except OSError:
                    pass
                time.sleep(STACK_DUMP_GRACE)
            if self.stopped_because:
                self._kill_all(process.pid, cgroup)
                break
            time.sleep(WATCH_INTERVAL)
        process.wait()
        # The leader may have ended while others it started live on: they die with it.
        self._kill_all(process.pid, cgroup)

    # -- cleaning up ----------------------------------------------------------------------

    def _clean_up(self) -> None:
        """Without namespaces, what the sandbox user left in shared places goes. Never raises."""
        if not self.tools.sandbox_user or self.uid is None:
            return
        for folder in _shared_writable_folders():
            _remove_owned(folder, self.uid)
        _remove_ipc(self.uid)


def _running(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _tasks_of_user(uid: int) -> int:
    mine = [p for p in psutil.process_iter(["uids"]) if p.info["uids"] and p.info["uids"].real == uid]
    return _tasks_and_memory(mine)[0]


def _tasks_and_memory(members: list[psutil.Process]) -> tuple[int, int]:
    tasks = memory = 0
    for process in members:
        try:
            with process.oneshot():
                tasks += process.num_threads()
                memory += process.memory_info().rss
        except psutil.Error:
            pass
    return tasks, memory


def remove_tree(path: Path) -> None:
    """Remove a folder whatever is in it; never raises. shutil.rmtree recurses in Python
    and gives up on thousands of nested folders; `rm -rf` does not."""
    try:
        shutil.rmtree(path)
    except BaseException:
        try:
            subprocess.run(["rm", "-rf", "--one-file-system", "--", str(path)], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=120, check=False)
        except (OSError, subprocess.SubprocessError):
            pass


@functools.cache
def _shared_writable_folders(depth: int = 4) -> tuple[Path, ...]:
    """Every folder anyone may write into (/tmp, /var/tmp, /dev/shm, /dev/mqueue, /run/lock
    and whatever else this machine opens to everyone): the only places a user without a home
    or files of its own can leave something behind. Found once, by a walk of the system's
    folders a few levels deep (a fixed list misses what a given image opens to everyone;
    the course's own trees and /proc, /sys are not system folders and are skipped)."""
    skip = {"/proc", "/sys", "/work", "/home", "/root", "/course", "/opt", "/usr", "/snap"}
    found, frontier = [], [Path("/")]
    for _ in range(depth):
        deeper = []
        for folder in frontier:
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                try:
                    if entry.path in skip or not entry.is_dir(follow_symlinks=False):
                        continue
                    if entry.stat(follow_symlinks=False).st_mode & stat.S_IWOTH:
                        found.append(Path(entry.path))  # what it holds is removed by owner
                    else:
                        deeper.append(Path(entry.path))
                except OSError:
                    continue
        frontier = deeper
    return tuple(found)


def _remove_owned(folder: Path, uid: int, depth: int = 3) -> None:
    """Remove what `uid` owns in `folder`, and in the folders there that everyone may write
    into (a root-owned /tmp/.X11-unix holds a user's files too). Never raises."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
            is_folder = stat.S_ISDIR(info.st_mode)
            if info.st_uid != uid:
                if is_folder and info.st_mode & stat.S_IWOTH and depth > 0:
                    _remove_owned(Path(entry.path), uid, depth - 1)
                continue
            if is_folder:
                remove_tree(Path(entry.path))
            else:
                os.unlink(entry.path)
        except OSError:
            pass


def _remove_ipc(uid: int) -> None:
    """System V shared memory, semaphores and queues owned by `uid` (/proc/sysvipc lists them). Never raises."""
    for kind, flag in SYSV_IPC.items():
        try:
            lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()
        except OSError:
            continue
        header = lines[0].split() if lines else []
        for line in lines[1:]:
            row = dict(zip(header, line.split()))
            if not row.get("gid", "").isdigit():
                continue
            if row.get("uid") == str(uid) and (ident := row.get("shmid") or row.get("semid") or row.get("msqid")):
                # As the owner: without CAP_SYS_ADMIN (a container) root may not remove another user's objects.
                subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={row.get('gid', uid)}", "--clear-groups", "--",
                                "ipcrm", flag, ident], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text)
    except OSError:
        pass


def _remove_cgroup(cgroup: Path | None) -> None:
    if cgroup is not None:
        try:
            cgroup.rmdir()
        except OSError:
            pass


def _drain(fd: int, sink) -> None:
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return
        if not chunk:
            return
        sink(chunk)

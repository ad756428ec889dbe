"""docker-compose.yml runs the course's own commands, and those commands work here without Docker.

No Docker engine is needed: each course service's command is checked against the
real CLI parser, and the long-running ones (the Pyro name server, the Pyro workers,
the Celery workers) are started natively, as `course <command> ...` with the
addresses translated to 127.0.0.1, free ports and a local broker. Each must become
ready before a deadline (a ready file it writes, never a fixed sleep), do its job
(workers answer a map), and exit 0 on SIGTERM before a deadline, leaving no
process of its group behind.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml

from course.catalogue import find_root
from course.testing import wait_until

ROOT = find_root(Path(__file__).parent)
COMPOSE = ROOT / "docker-compose.yml"
LONG_RUNNING = {"pyro-nameserver", "pyro-worker", "celery-worker"}
INFRASTRUCTURE = {"redis": "redis:", "rabbitmq": "rabbitmq:"}  # official images, not the course's
READY_DEADLINE = 30.0
STOP_DEADLINE = 15.0  # below the compose file's stop_grace_period
REDIS = "redis://127.0.0.1:6379"


def load_compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def interpolate(value: str) -> str:
    """Compose's `${VAR:-default}` / `${VAR}`, with the file's defaults: the test ignores the caller's environment."""
    return re.sub(r"\$\{(\w+)(?::?-([^}]*))?\}", lambda m: m.group(2) or "", value)


def course_services() -> dict[str, dict]:
    return {name: service for name, service in load_compose()["services"].items() if name not in INFRASTRUCTURE}


def command_of(service: dict) -> list[str]:
    command = service["command"]
    assert isinstance(command, list), f"write commands as lists (exec form), not {command!r}"
    return [interpolate(str(part)) for part in command]


def course_executable() -> list[str]:
    """`course` as the console script next to this interpreter (what the image's entrypoint runs)."""
    script = Path(sys.executable).with_name("course")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from course.cli import main; sys.exit(main())"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def set_option(argv: list[str], option: str, value: str) -> list[str]:
    """argv with `option`'s value replaced (or the option added)."""
    argv = list(argv)
    if option in argv:
        argv[argv.index(option) + 1] = value
    else:
        argv += [option, value]
    return argv


def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class Native:
    """One compose command run here: `course CMD ...` in its own session, with a ready file."""

    def __init__(self, argv: list[str], folder: Path, env: dict[str, str] | None = None):
        self.ready_file = folder / f"{argv[0]}-{uuid.uuid4().hex[:8]}.ready.json"
        self.log_file = self.ready_file.with_suffix(".log")
        self.argv = [*course_executable(), *argv, "--ready-file", str(self.ready_file)]
        with open(self.log_file, "wb") as log:
            self.process = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})}, start_new_session=True, cwd=ROOT,
            )

    def log(self) -> str:
        return self.log_file.read_text(errors="replace")[-3000:]

    def wait_ready(self) -> dict:
        def ready():
            if self.process.poll() is not None:
                pytest.fail(f"`{' '.join(self.argv)}` exited with {self.process.returncode} before it was ready:\n{self.log()}")
            return self.ready_file.exists()

        wait_until(ready, READY_DEADLINE, f"`{' '.join(self.argv)}` not ready within {READY_DEADLINE} s:\n{self.log()}")
        return json.loads(self.ready_file.read_text())

    def group_alive(self) -> list[int]:
        """Live (not zombie) processes still in this service's process group."""
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z" and int(fields[2]) == self.process.pid:
                found.append(int(entry))
        return found

    def terminate_and_check(self) -> None:
        """SIGTERM; the service must exit 0 within the deadline, and its whole group with it."""
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(STOP_DEADLINE)
        except subprocess.TimeoutExpired:
            pytest.fail(f"`{' '.join(self.argv)}` still running {STOP_DEADLINE} s after SIGTERM:\n{self.log()}")
        assert code == 0, f"`{' '.join(self.argv)}` exited with {code} after SIGTERM, expected 0:\n{self.log()}"
        wait_until(lambda: not self.group_alive(), STOP_DEADLINE,
                   f"processes of `{self.argv[1]}` outlived it after SIGTERM: {self.group_alive()}")

    def kill(self) -> None:
        """Cleanup after a failed test: nothing may outlive it."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait()


@pytest.fixture
def natives():
    started: list[Native] = []
    yield started
    for native in started:
        if native.process.poll() is None or native.group_alive():
            native.kill()


# --------------------------------------------------------------------------- the file itself


def test_compose_file_has_the_classroom_services():
    services = load_compose()["services"]
    commands = {name: command_of(s)[0] for name, s in services.items() if name not in INFRASTRUCTURE}
    assert set(commands.values()) >= {"celery-worker", "pyro-nameserver", "pyro-worker", "book", "grade-all"}, commands
    assert "redis" in services and "rabbitmq" in services
    assert services["rabbitmq"].get("profiles"), "rabbitmq is optional: it belongs under a compose profile"
    for name, prefix in INFRASTRUCTURE.items():
        assert services[name]["image"].startswith(prefix), f"{name} should use the official {prefix} image"


def test_the_file_has_no_top_level_name_which_debian_compose_v1_rejects():
    assert "name" not in load_compose(), "docker-compose 1.29 (Debian's) refuses a top-level `name:`; use -p instead"


@pytest.mark.parametrize("name", sorted(course_services()))
def test_every_course_service_uses_the_course_image(name):
    service = course_services()[name]
    assert service.get("build") == ".", f"{name} must build the one image from ./Dockerfile, not {service.get('build')!r}"
    assert service.get("image") == "concurrency-course:latest", f"{name} uses image {service.get('image')!r}"


@pytest.mark.parametrize("name", sorted(course_services()))
def test_every_course_service_command_parses_as_a_course_subcommand(name):
    """The CLI's own parser accepts the command: the subcommand exists and every option and value is valid."""
    from course.cli import COMMANDS, _resolve, build_parser

    command = command_of(course_services()[name])
    try:
        args = build_parser(command[0]).parse_args(command)
    except SystemExit as exit:
        pytest.fail(f"service {name}: `course {' '.join(command)}` is not a valid course command (argparse exit {exit.code})")
    assert args.command == command[0], f"service {name}: parsed as `course {args.command}`"
    assert callable(_resolve(COMMANDS[args.command].run)), f"service {name}: `course {command[0]}` has nothing to run"


@pytest.mark.parametrize("name", sorted(n for n, s in course_services().items() if command_of(s)[0] not in LONG_RUNNING))
def test_the_one_shot_and_book_commands_answer_help_through_the_console_script(name):
    command = command_of(course_services()[name])
    result = subprocess.run([*course_executable(), command[0], "--help"], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, f"`course {command[0]} --help` exited {result.returncode}:\n{result.stderr[-2000:]}"
    for option in (part for part in command if part.startswith("--")):
        assert option in result.stdout, f"`course {command[0]} --help` does not mention {option}, used by service {name}"


def test_the_dockerfile_builds_one_image_with_the_course_cli_as_entrypoint():
    """The official Python image by default; any base through BASE (CI builds a Debian one: .ci/docker-classroom)."""
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^ARG BASE=python:3\.11-slim$", text, re.M) and re.search(r"^FROM \$\{BASE\}$", text, re.M), \
        "the image starts from python:3.11-slim unless BASE says otherwise"
    assert re.search(r"^RUN pip install --no-deps \.", text, re.M), "the toolkit is installed from this checkout"
    assert re.search(r'^ENTRYPOINT \["course"\]', text, re.M), "the course CLI is the entrypoint"
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored and ".git" in ignored, "the build context must not carry the venv or the git history"


# --------------------------------------------------------------------------- long-running services, natively


def compose_argv(name: str) -> list[str]:
    return command_of(course_services()[name])


def services_running(command: str) -> list[str]:
    return sorted(n for n, s in course_services().items() if command_of(s)[0] == command and not s.get("profiles"))


def test_the_pyro_name_server_and_workers_start_serve_a_map_and_stop_on_sigterm(tmp_path, natives):
    from course.capstone import cluster
    from course.capstone.services import WORKER_PREFIX, locate_ns
    from course.bench import import_dmap
    from course.workloads import square

    dmap = import_dmap()

    ns_port = free_port()
    argv = set_option(set_option(compose_argv("pyro-nameserver"), "--host", "127.0.0.1"), "--port", str(ns_port))
    nameserver = Native(argv, tmp_path)
    natives.append(nameserver)
    info = nameserver.wait_ready()
    assert info["port"] == ns_port, f"the name server says it listens on {info}, expected port {ns_port}"
    with locate_ns("127.0.0.1", ns_port, timeout=5) as ns:
        ns.ping()

    workers = []
    for name in services_running("pyro-worker"):
        argv = compose_argv(name)
        for option, value in (("--host", "127.0.0.1"), ("--port", "0"), ("--ns-host", "127.0.0.1"), ("--ns-port", str(ns_port))):
            argv = set_option(argv, option, value)
        if "--name" in argv:  # compose names them; a test run gets names of its own
            argv = set_option(argv, "--name", f"{WORKER_PREFIX}test-{uuid.uuid4().hex[:8]}")
        workers.append(Native(argv, tmp_path))
    assert len(workers) >= 2, f"compose should run at least two Pyro workers, found {len(workers)}"
    natives.extend(workers)
    names = {worker.wait_ready()["name"] for worker in workers}
    with locate_ns("127.0.0.1", ns_port, timeout=5) as ns:
        listed = set(ns.list(prefix=WORKER_PREFIX))
    assert names <= listed, f"registered workers {sorted(listed)}, expected {sorted(names)}"

    with cluster("pyro", ns_host="127.0.0.1", ns_port=ns_port) as backend:
        assert dmap(square, range(200), backend=backend) == [x * x for x in range(200)]

    for worker in workers:
        worker.terminate_and_check()
    with locate_ns("127.0.0.1", ns_port, timeout=5) as ns:
        left = set(ns.list(prefix=WORKER_PREFIX)) & names
    assert not left, f"workers stopped by SIGTERM are still listed in the name server: {sorted(left)}"
    nameserver.terminate_and_check()


# A learner's laptop may have no Redis, and that is not the learner's bug; CI starts
# Redis before `make test`, so there a missing server fails the test below.
NO_LOCAL_REDIS = pytest.mark.skipif(not os.environ.get("CI") and not redis_up(), reason="no Redis on 127.0.0.1:6379")


@pytest.mark.parametrize("broker", ["embedded", pytest.param("redis", marks=NO_LOCAL_REDIS)])
def test_the_celery_worker_starts_runs_a_chunk_and_stops_on_sigterm(tmp_path, natives, broker):
    from course.capstone import celery_app

    names = services_running("celery-worker")
    assert names, "compose should run a Celery worker"
    queue = f"course-compose-test-{uuid.uuid4().hex[:8]}"
    argv = set_option(set_option(compose_argv(names[0]), "--queue", queue), "--concurrency", "2")
    if broker == "embedded":
        env = {"COURSE_BROKER_URL": "", "COURSE_RESULT_BACKEND": "", "COURSE_CELERY_QUEUE": queue}
        argv = set_option(set_option(argv, "--data-folder", str(tmp_path / "celery")), "--broker", "filesystem://")
        app = celery_app.make_app("filesystem://", None, queue, tmp_path / "celery")
    else:
        assert redis_up(), "no Redis on 127.0.0.1:6379 in CI: .ci/run should have started it"
        # The compose file talks to redis://redis:6379/N; here the same databases on this machine, a private queue.
        compose_env = {k: interpolate(str(v)) for k, v in course_services()[names[0]].get("environment", {}).items()}
        env = {key: value.replace("redis://redis:", "redis://127.0.0.1:") for key, value in compose_env.items()}
        env["COURSE_CELERY_QUEUE"] = queue
        app = celery_app.make_app(env["COURSE_BROKER_URL"], env["COURSE_RESULT_BACKEND"], queue)
    worker = Native(argv, tmp_path, env)
    natives.append(worker)
    info = worker.wait_ready()
    assert info["queue"] == queue, f"the worker consumes {info['queue']!r}, expected {queue!r}"

    try:
        result = app.send_task(celery_app.TASK_NAME, args=["course.workloads", "square", [1, 2, 3]], queue=queue)
        outcome = result.get(timeout=READY_DEADLINE)
        result.forget()
    finally:
        if broker == "redis":
            with app.connection_for_write() as connection:
                connection.default_channel.queue_delete(queue)
        app.close()
    assert outcome == {"ok": True, "results": [1, 4, 9]}, f"the worker answered {outcome}"
    worker.terminate_and_check()

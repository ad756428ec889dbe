"""The `docker run` that CI grades the class with is the grader service of docker-compose.yml.

No Docker here: .ci/docker-classroom runs the container for real. This checks the
translation from the compose file, so the container CI runs cannot drift from the
one `docker compose run --rm grader` starts, and that a setting the translation
does not know stops it instead of being dropped.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


def load_classroom():
    spec = importlib.util.spec_from_file_location("classroom_under_test", HERE / "classroom.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def option_values(argv: list[str], option: str) -> list[str]:
    return [argv[i + 1] for i, part in enumerate(argv[:-1]) if part == option]


def test_the_grader_runs_as_the_issue_requires_sandbox_user_no_network_root_only_to_drop(tmp_path):
    classroom = load_classroom()
    argv = classroom.grader_run_argv(compose(), "img:test", tmp_path, "run-1")
    options = argv[: argv.index("img:test")]
    assert option_values(options, "--network") == ["none"], argv
    assert option_values(options, "--user") == ["root"], argv
    assert "COURSE_SANDBOX_USER=course-sandbox" in option_values(options, "--env"), argv
    assert "--init" in options and "--rm" in options, argv


def test_the_sandbox_user_is_made_in_the_image_with_no_home_and_no_shell():
    """Not `course`, the services' user: a home would keep a student's files (a `.pth`) for later runs."""
    user = compose()["services"]["grader"]["environment"]["COURSE_SANDBOX_USER"]
    dockerfile = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    made = [line for line in dockerfile.split("&&") if "useradd" in line and line.split()[-1] == user]
    assert made, f"the Dockerfile does not create the sandbox user {user!r}"
    assert "--no-create-home" in made[0] and "/usr/sbin/nologin" in made[0], made[0]


def test_volumes_resolve_against_the_project_folder_and_the_command_follows_the_image(tmp_path):
    classroom = load_classroom()
    service = compose()["services"]["grader"]
    argv = classroom.grader_run_argv(compose(), "img:test", tmp_path, "run-1")
    volumes = option_values(argv, "--volume")
    assert len(volumes) == len(service["volumes"]), argv
    for volume in volumes:
        assert volume.startswith(str(tmp_path) + "/"), f"{volume} is not under the project folder {tmp_path}"
    assert f"{tmp_path}/submissions:/submissions:ro" in volumes, "the submissions must be mounted read-only"
    assert argv[argv.index("img:test") + 1:] == [str(part) for part in service["command"]]


def test_a_compose_setting_the_translation_does_not_know_stops_it(tmp_path):
    classroom = load_classroom()
    changed = compose()
    changed["services"]["grader"]["sysctls"] = {"net.ipv4.ip_forward": 1}
    with pytest.raises(SystemExit, match="sysctls"):
        classroom.grader_run_argv(changed, "img:test", tmp_path, "run-1")


def test_known_hardening_keys_become_docker_run_options(tmp_path):
    classroom = load_classroom()
    changed = compose()
    changed["services"]["grader"] |= {"cap_drop": ["NET_RAW"], "pids_limit": 256, "read_only": True,
                                      "ulimits": {"nofile": {"soft": 1024, "hard": 2048}}}
    argv = classroom.grader_run_argv(changed, "img:test", tmp_path, "run-1")
    assert option_values(argv, "--cap-drop") == ["NET_RAW"]
    assert option_values(argv, "--pids-limit") == ["256"]
    assert option_values(argv, "--ulimit") == ["nofile=1024:2048"]
    assert "--read-only" in argv


def test_leftovers_are_what_the_second_audit_adds_to_the_first():
    classroom = load_classroom()
    before = {"files": ["/home/course/.bashrc"], "ipc": [], "processes": []}
    after = {"files": ["/home/course/.bashrc", "/tmp/left"], "ipc": ["shm: 0 0 666"], "processes": ["12 S sleep 1000"]}
    output = "\n".join(["[1/1] someone", "AUDIT " + json.dumps(before), "AUDIT " + json.dumps(after)])
    assert classroom.leftovers(output) == ["left behind: files /tmp/left", "left behind: ipc shm: 0 0 666",
                                           "still running after grade-all: 12 S sleep 1000"]
    same = "\n".join(["AUDIT " + json.dumps(before)] * 2)
    assert classroom.leftovers(same) == []
    assert classroom.leftovers("AUDIT " + json.dumps(before)) != [], "a missing audit must not pass as a clean one"


def test_the_audited_run_keeps_every_setting_and_runs_the_service_command_through_course(tmp_path):
    classroom = load_classroom()
    argv = classroom.grader_run_argv(compose(), "img:test", tmp_path, "run-1")
    wrapped = classroom.audited(argv, "img:test")
    at = wrapped.index("img:test")
    assert wrapped[:at] == [*argv[:argv.index("img:test")], "--entrypoint", "/bin/sh"]
    assert wrapped[at + 1] == "-c" and 'course "$@"' in wrapped[at + 2]
    assert wrapped[at + 3:] == ["sh", *argv[argv.index("img:test") + 1:]]

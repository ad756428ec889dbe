"""The capstone's backend registry and what backends report about their workers."""

from __future__ import annotations

import pytest

from course import catalogue, workloads
from course.capstone import BACKENDS, Backend, backend_class, check_callable, cluster


def module_level(x):
    return x


@pytest.mark.parametrize("name", BACKENDS)
def test_every_backend_name_finds_its_class_without_starting_anything(name):
    kind = backend_class(name)
    assert issubclass(kind, Backend) and kind.name == name


def test_an_unknown_backend_name_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="serial"):
        backend_class("carrier-pigeon")


@pytest.mark.parametrize("name", BACKENDS)
def test_check_callable_follows_each_backends_own_by_reference_flag(name):
    lambda_fn = lambda x: x  # noqa: E731 - the point of the test
    if backend_class(name).by_reference:
        with pytest.raises(TypeError, match="lambda"):
            check_callable(lambda_fn, name)
    else:
        check_callable(lambda_fn, name)
    check_callable(module_level, name)


def test_check_callable_knows_no_backend_by_name_only_by_its_class():
    class Remote(Backend):
        name = "remote-for-this-test"
        by_reference = True

    with pytest.raises(TypeError, match="lambda"):
        check_callable(lambda x: x, Remote())
    with pytest.raises(TypeError, match="not callable"):
        check_callable(42, "threads")


@pytest.mark.timeout(120)
def test_celery_worker_pids_are_the_processes_that_run_the_chunks(tmp_path, monkeypatch):
    for name in ("COURSE_BROKER_URL", "COURSE_RESULT_BACKEND", "COURSE_CELERY_QUEUE"):
        monkeypatch.delenv(name, raising=False)  # the embedded broker: nothing shared, nothing remote
    loaded = catalogue.load()
    dmap = loaded.import_module(loaded.exercise("dmap"), "solutions").dmap
    items = [[x, str(tmp_path), 1, 10.0] for x in range(6)]
    with cluster("celery", workers=2) as backend:
        worker_pids = set(backend.worker_pids)
        assert dmap(workloads.overlap_probe, items, backend=backend, chunksize=1) == list(range(6))
    _, ran_in = workloads.overlap_report(tmp_path)
    assert len(worker_pids) == 2, f"2 pool processes expected, worker_pids gave {sorted(worker_pids)}"
    assert ran_in and ran_in <= worker_pids, f"chunks ran in {sorted(ran_in)}, worker_pids named {sorted(worker_pids)}"

"""The capstone's Celery backend against the broker CI names, or the embedded one.

CI runs this file three times:

    (nothing set)                                   embedded filesystem broker + file:// results
    COURSE_BROKER_URL=redis://127.0.0.1:6379/N      COURSE_RESULT_BACKEND=redis://127.0.0.1:6379/N
    COURSE_BROKER_URL=amqp://guest:guest@127.0.0.1:5672//   COURSE_RESULT_BACKEND=redis://127.0.0.1:6379/N

A configured server that does not answer is a failure with the URL in the
message, never a skip: a skip would turn "RabbitMQ is down in CI" into green.
Each cluster consumes a queue of its own and deletes it afterwards, so runs
sharing one Redis or RabbitMQ cannot answer each other's tasks.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

import pytest

from course import workloads
from course.capstone import ItemError, cluster
from course.capstone.backends.celery import BrokerUnreachable
from course.catalogue import find_root

ROOT = find_root(Path(__file__).parent)
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from solutions.ch07_capstone.dmap import dmap  # noqa: E402  (the reference map, not the student's)

BROKER = os.environ.get("COURSE_BROKER_URL")
RESULTS = os.environ.get("COURSE_RESULT_BACKEND")


@pytest.fixture
def celery_cluster():
    """A 2-process Celery cluster on the configured broker; unreachable means FAIL, with the URL."""
    if BROKER and not RESULTS:
        pytest.fail("COURSE_BROKER_URL is set but COURSE_RESULT_BACKEND is not: set both (e.g. redis://127.0.0.1:6379/1)")
    try:
        with cluster("celery", workers=2) as backend:
            yield backend
    except BrokerUnreachable as error:
        pytest.fail(f"the configured Celery server is not reachable (COURSE_BROKER_URL={BROKER!r}, "
                    f"COURSE_RESULT_BACKEND={RESULTS!r}): {error}", pytrace=False)


def test_the_celery_backend_maps_on_the_configured_broker(celery_cluster):
    expected_broker = BROKER.split("://")[0] if BROKER else "filesystem"
    assert expected_broker in celery_cluster.broker_url, f"the cluster uses {celery_cluster.broker_url}, not {expected_broker}"
    got = dmap(workloads.square, range(60), backend=celery_cluster, chunksize=6)
    assert got == [x * x for x in range(60)], f"dmap(square, range(60)) on {celery_cluster.description} returned {got}"
    with pytest.raises(ItemError) as caught:
        dmap(workloads.fail_on, [[x, 17] for x in range(30)], backend=celery_cluster, chunksize=4)
    assert (caught.value.index, caught.value.exc_type) == (17, "ValueError"), f"got {caught.value!r}"


def test_a_chunk_whose_pool_process_died_is_redelivered_and_counted_once(celery_cluster, tmp_path):
    workloads.mark_survivors(tmp_path, [x for x in range(16) if x not in (4, 9)])
    items = [[x, str(tmp_path)] for x in range(16)]
    got = dmap(workloads.crash_once, items, backend=celery_cluster, chunksize=2, ordered=False, timeout=90)
    expected = Counter(x * x for x in range(16))
    assert Counter(got) == expected, (
        f"on {celery_cluster.description}: missing {sorted((expected - Counter(got)).elements())}, "
        f"duplicated {sorted((Counter(got) - expected).elements())}"
    )
    assert sorted(workloads.crashed(tmp_path)) == [4, 9], "items 4 and 9 should each have killed one pool process"


def test_a_broker_that_cannot_be_reached_is_an_error_naming_it():
    with pytest.raises(BrokerUnreachable, match="127.0.0.1:1"):
        with cluster("celery", workers=1, broker_url="redis://127.0.0.1:1/0", result_backend="redis://127.0.0.1:1/0"):
            pass

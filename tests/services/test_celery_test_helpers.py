"""course.testing.celery on the broker CI names (see test_celery_brokers.py): the chapter 6
tests' worker really runs tasks there, and leaves no queue, key or folder behind."""

from __future__ import annotations

import os
from pathlib import Path

from celery import chord

from course.testing.celery import finished, isolated_app, leftover_keys, running_worker


def test_an_isolated_app_runs_a_chord_and_leaves_nothing_behind():
    with isolated_app() as app:
        @app.task
        def double(x):
            return 2 * x

        @app.task
        def total(xs):
            return sum(xs)

        folder = app.conf.broker_transport_options.get("data_folder_in")
        with running_worker(app):
            got = finished(chord([double.s(x) for x in range(6)], total.s()).apply_async(), 20, "the chord")
        assert got == 30, f"the chord returned {got}"
        broker = app.conf.broker_url
    if os.environ.get("COURSE_BROKER_URL"):
        assert broker.split("://")[0] == os.environ["COURSE_BROKER_URL"].split("://")[0]
        assert leftover_keys(app) == [], f"keys left on Redis: {leftover_keys(app)}"
    else:
        assert folder and not Path(folder).exists(), f"the embedded broker's folder {folder} is still there"

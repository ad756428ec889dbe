"""The capstone runtime: backends that run chunks of a map, and clusters that own them.

    core.py        the backend contract, function references, run_chunk, the backend registry
    errors.py      ItemError (an item's exception) and WorkerLost (a dead worker)
    backends/      local.py (serial, threads, asyncio, processes), pyro.py, celery.py
    services.py    the long-running processes: Pyro name server and worker, Celery worker
    celery_app.py  the Celery app and its one task

Backends and services import the core; the core imports a backend's module
only when that backend is asked for (see `core.BACKEND_CLASSES`).
"""

from course.capstone.core import (
    BACKENDS,
    Backend,
    FunctionRef,
    backend_class,
    check_callable,
    cluster,
    default_workers,
    function_ref,
    make_backend,
    open_backend,
    resolve,
    run_chunk,
)
from course.capstone.errors import ItemError, WorkerLost

__all__ = [
    "BACKENDS", "Backend", "FunctionRef", "backend_class", "ItemError", "WorkerLost", "check_callable", "cluster",
    "default_workers", "function_ref", "make_backend", "open_backend", "resolve", "run_chunk",
]

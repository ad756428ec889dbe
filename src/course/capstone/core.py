"""The capstone's plumbing: backends that run one chunk somewhere, and clusters that own them.

The distributed map (exercises/ch07_capstone/dmap.py) is written against one
small interface, whatever runs the work:

    with cluster("processes", workers=4) as backend:
        task = backend.prepare(fn)             # TypeError for a lambda on a remote backend
        future = backend.submit(task, chunk)   # a concurrent.futures.Future
        outcome = future.result()              # {"ok": True, "results": [...]} or
                                               # {"ok": False, "offset": i, "type": ..., "message": ...,
                                               #  "traceback": ..., "results": [results before item i]}

A future fails with `WorkerLost` when the process running the chunk died
(killed, `os._exit`, out of memory): the chunk may be submitted again. An
exception raised by `fn` is *not* a lost worker: it comes back as an error
outcome naming the offset of the failing item in the chunk, the exception's
type and message, so the map can raise `ItemError` with the item's index.

Backends: `serial`, `threads`, `asyncio`, `processes` (backends/local.py),
`pyro` (backends/pyro.py) and `celery` (backends/celery.py). With
nothing configured, `pyro` and `celery` start a private cluster on 127.0.0.1
(name server, workers, an embedded broker in a temp folder) and leaving the
`cluster(...)` block stops all of it. With an address configured they use an
existing cluster and start nothing:

    COURSE_PYRO_NS_HOST, COURSE_PYRO_NS_PORT   an existing Pyro name server; its
                                               `course.worker.*` entries are the workers
    COURSE_BROKER_URL, COURSE_RESULT_BACKEND   Celery broker and result backend; local
                                               workers are started on a private queue ...
    COURSE_CELERY_QUEUE                        ... unless this names the queue that
                                               existing workers consume (docker compose)

Functions cross process boundaries by reference (module + qualified name),
never pickled, and items and results must be plain data (numbers, strings,
lists, dicts): that is what a name server, a broker or a machine on the other
side of the room can carry.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import traceback
from concurrent.futures import Future
from typing import Any, Callable, Iterator, NamedTuple

MAX_TRACEBACK = 4000

# Where each backend's class lives. The core imports a backend's module only
# when that backend is asked for, so the backends (which import the core) never
# form a circle with it, and `course check` never pays for Celery or Pyro5.
BACKEND_CLASSES = {
    "serial": "course.capstone.backends.local:SerialBackend",
    "threads": "course.capstone.backends.local:ThreadBackend",
    "asyncio": "course.capstone.backends.local:AsyncioBackend",
    "processes": "course.capstone.backends.local:ProcessBackend",
    "pyro": "course.capstone.backends.pyro:PyroBackend",
    "celery": "course.capstone.backends.celery:CeleryBackend",
}
BACKENDS = tuple(BACKEND_CLASSES)


class FunctionRef(NamedTuple):
    """A function named so that another process can import it: `module` + `qualname`."""

    module: str
    qualname: str


def function_ref(fn: Callable) -> FunctionRef:
    """Name `fn` so another process can find it, or say clearly why it cannot be named.

    A lambda, a closure, a function defined inside another function or in
    `__main__` has no name another process can import; pickling it would
    only move the failure to the worker, where the message is worse.
    """
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None)
    what = getattr(fn, "__name__", repr(fn))
    if not callable(fn) or module is None or qualname is None:
        raise TypeError(f"{fn!r} cannot be sent to a worker: pass a function defined at module level")
    if qualname == "<lambda>" or "<lambda>" in qualname:
        raise TypeError(
            "a lambda cannot be sent to a worker (it has no importable name): "
            "define it with `def` at module level in an importable module"
        )
    if "<locals>" in qualname:
        raise TypeError(
            f"{qualname} is defined inside another function (a closure) and cannot be sent "
            f"to a worker by name: move it to module level in an importable module"
        )
    if module == "__main__":
        raise TypeError(
            f"{qualname} is defined in __main__, which a worker process cannot import: "
            f"move it to a module the workers can import (e.g. mypackage.work)"
        )
    try:
        found = resolve(module, qualname)
    except (ImportError, AttributeError) as error:
        raise TypeError(f"{module}.{qualname} cannot be imported by name ({error}), so it cannot be sent to a worker") from None
    if found is not fn and getattr(found, "__wrapped__", None) is not fn:
        raise TypeError(f"{module}.{qualname} names a different object than the function given; pass the module-level function")
    return FunctionRef(module, qualname)


def resolve(module: str, qualname: str) -> Callable:
    """The function a `FunctionRef` names, imported in this process."""
    found: Any = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


def error_outcome(offset: int, error: BaseException, results: list | None = None) -> dict:
    """An exception as plain data (survives pickle, JSON and serpent), with the results before it."""
    kind = type(error)
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    text = "".join(traceback.format_exception(error))[-MAX_TRACEBACK:]
    return {"ok": False, "offset": offset, "type": name, "message": str(error), "traceback": text,
            "results": results or []}


def run_chunk(fn: Callable, chunk: list) -> dict:
    """Apply `fn` to each item; stop at the first exception and report where it happened.

    The error outcome keeps the results computed before the failing item, so
    an ordered map can hand them over first, as the builtin `map` would.
    """
    results = []
    for offset, item in enumerate(chunk):
        try:
            results.append(fn(item))
        except Exception as error:
            return error_outcome(offset, error, results)
    return {"ok": True, "results": results}


def run_chunk_by_ref(module: str, qualname: str, chunk: list) -> dict:
    """What every remote worker runs: import the function by name, then `run_chunk`."""
    try:
        fn = resolve(module, qualname)
    except Exception as error:  # an unknown module is the caller's error, not a lost worker
        return error_outcome(0, error)
    return run_chunk(fn, list(chunk))


class Backend:
    """Runs chunks somewhere; see the module docstring for the contract.

    Subclasses set `name`, `workers` (how many chunks can run at once),
    `default_chunksize` (for inputs of unknown length) and `chunk_cost` (the
    messaging cost of one chunk, in seconds: a Celery task ~3 ms, a Pyro call
    ~0.4 ms, a process-pool task ~50 us), and implement `submit`.
    """

    name = "backend"
    by_reference = False  # True: fn crosses a process boundary by name
    default_chunksize = 1
    chunk_cost = 0.0
    workers = 1

    def prepare(self, fn: Callable) -> Any:
        """What `submit` takes for `fn`; raises TypeError if this backend cannot run it."""
        return _sendable(fn, self.by_reference)

    def submit(self, task: Any, chunk: list) -> Future:
        raise NotImplementedError

    def abort(self) -> None:
        """Stop every chunk running now (after a timeout): no worker may stay busy."""

    def close(self) -> None:
        """Stop everything this backend started."""

    @property
    def worker_pids(self) -> list[int]:
        return [os.getpid()]

    @property
    def description(self) -> str:
        return f"{self.name} x{self.workers}"

    def __enter__(self) -> "Backend":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.description}>"


def default_workers() -> int:
    return os.cpu_count() or 2


def backend_class(name: str) -> type[Backend]:
    """The class of the backend called `name`, its module imported now."""
    if name not in BACKEND_CLASSES:
        raise ValueError(f"unknown backend {name!r}: choose one of {', '.join(BACKENDS)}")
    module, _, qualname = BACKEND_CLASSES[name].partition(":")
    return getattr(importlib.import_module(module), qualname)


def make_backend(name: str, workers: int | None = None, **options) -> Backend:
    """A started backend by name; the caller must `close()` it (or use `cluster`)."""
    kind = backend_class(name)
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    return kind(workers, **options)


@contextlib.contextmanager
def cluster(name: str, workers: int | None = None, **options) -> Iterator[Backend]:
    """A warm backend for several maps; leaving the block stops everything it started.

    Options: `mp_context` (processes: a context or a start method name),
    `ns_host`/`ns_port` (pyro: an existing name server), `broker_url`,
    `result_backend`, `queue` (celery). Unset options come from the
    environment (see the module docstring), then from the embedded defaults.
    """
    backend = make_backend(name, workers, **options)
    try:
        yield backend
    finally:
        backend.close()


@contextlib.contextmanager
def open_backend(backend: "str | Backend", workers: int | None = None, **options) -> Iterator[Backend]:
    """A backend for one map: a name starts one (and stops it afterwards); an object is used as is.

    `options` go to `cluster` when a name starts one (the bench's Celery on Redis, for one).
    """
    if isinstance(backend, Backend):
        yield backend
        return
    if not isinstance(backend, str):
        raise TypeError(f"backend must be a name ({', '.join(BACKENDS)}) or a cluster(...) object, not {backend!r}")
    with cluster(backend, workers, **options) as started:
        yield started


def check_callable(fn: Callable, backend: "str | Backend") -> None:
    """Fail early (before any item is read, before any backend starts) when `fn` cannot run on `backend`."""
    kind = backend if isinstance(backend, Backend) else backend_class(backend)
    _sendable(fn, kind.by_reference)


def _sendable(fn: Callable, by_reference: bool) -> Any:
    """`fn` as a backend sends it: by name (a FunctionRef) across processes, else as is."""
    if by_reference:
        return function_ref(fn)
    if not callable(fn):
        raise TypeError(f"{fn!r} is not callable")
    return fn

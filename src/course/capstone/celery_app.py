"""The Celery app and the one task the capstone's workers run: `course.map_chunk`.

Configuration, in order: the arguments of `make_app`, then the environment
(`COURSE_BROKER_URL`, `COURSE_RESULT_BACKEND`), then the embedded broker,
which needs no server: kombu's filesystem transport and the `file://` result
backend in one shared folder, polled every 0.1 s (at kombu's default of 1 s a
map of short tasks spends most of its time waiting for the poll).

Delivery guarantees, and why each setting is here:

- `task_acks_late` + `task_reject_on_worker_lost`: the message is
  acknowledged only after the task finished, and a pool process that dies
  mid-task (killed, `os._exit`) sends its message back to the queue, so
  another process runs the chunk. With early acknowledgement the chunk is
  simply gone (`WorkerLostError`, no retry).
- `worker_prefetch_multiplier = 1`: a worker holds one message per process,
  not four; otherwise an idle process can sit next to a busy one's backlog.
- `worker_lost_wait = 1`: how long the pool waits for a dead process's
  result before declaring it lost (10 s by default; the redelivery waits for it).
- JSON only: items and results are plain data, and the function travels by
  name (module, qualname), never as a pickle that a worker would execute.
- The embedded broker is kombu's filesystem transport with one fix
  (`course-filesystem://`): kombu writes a message file in place, so a
  consumer polling at that instant can move and read it still empty, and the
  message is lost (found by reading kombu's code; not yet seen in a run). Here
  the message is written aside and renamed into the folder, atomically.

`celery -A course.capstone.celery_app worker` also works: the module-level `app` is
configured from the environment when first used.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import time
import uuid

import kombu.transport
from celery import Celery
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

from course.capstone.core import run_chunk_by_ref

TASK_NAME = "course.map_chunk"
DEFAULT_QUEUE = "course"
DEFAULT_FOLDER = os.path.join(tempfile.gettempdir(), "course-celery")
POLLING_INTERVAL = 0.1


class AtomicFilesystemChannel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        """Write the message under a name the consumer skips, then rename it into place."""
        name = f"{int(round(time.monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        aside = os.path.join(self.data_folder_out, f".{name}.part")  # not "<queue>.msg": never read
        with open(aside, "wb") as handle:
            handle.write(str_to_bytes(dumps(payload)))
        os.replace(aside, final)


class AtomicFilesystemTransport(filesystem.Transport):
    Channel = AtomicFilesystemChannel


EMBEDDED_SCHEME = "course-filesystem"
kombu.transport.TRANSPORT_ALIASES[EMBEDDED_SCHEME] = f"{__name__}:AtomicFilesystemTransport"


def map_chunk(module: str, qualname: str, chunk: list) -> dict:
    """Import `module.qualname` and apply it to each item; errors come back as data (see run_chunk)."""
    return run_chunk_by_ref(module, qualname, chunk)


def embedded_urls(folder: str | os.PathLike) -> tuple[str, str, dict]:
    """Broker URL, result backend URL and transport options for the embedded broker in `folder`."""
    folder = Path(folder)
    for part in ("broker", "control", "results"):
        (folder / part).mkdir(parents=True, exist_ok=True)
    options = {
        "data_folder_in": str(folder / "broker"),
        "data_folder_out": str(folder / "broker"),
        "control_folder": str(folder / "control"),
        "polling_interval": POLLING_INTERVAL,
    }
    return f"{EMBEDDED_SCHEME}://", f"file://{folder / 'results'}", options


def make_app(
    broker_url: str | None = None,
    result_backend: str | None = None,
    queue: str = DEFAULT_QUEUE,
    folder: str | os.PathLike | None = None,
) -> Celery:
    """A Celery app with the map task, sending to and consuming from `queue`."""
    broker_url = broker_url or os.environ.get("COURSE_BROKER_URL")
    result_backend = result_backend or os.environ.get("COURSE_RESULT_BACKEND")
    transport_options: dict = {}
    if not broker_url or broker_url.startswith(("filesystem", EMBEDDED_SCHEME)):
        broker_url, embedded_results, transport_options = embedded_urls(folder or DEFAULT_FOLDER)
        result_backend = result_backend or embedded_results
    if not result_backend:
        raise ValueError(
            f"COURSE_BROKER_URL is {redact(broker_url)} but no result backend is set: "
            f"set COURSE_RESULT_BACKEND (e.g. redis://127.0.0.1:6379/0)"
        )
    app = Celery("course", set_as_current=False)
    app.conf.update(
        broker_url=broker_url,
        result_backend=result_backend,
        broker_transport_options=transport_options,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=3,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_default_queue=queue,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_lost_wait=1.0,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        worker_enable_remote_control=False,  # no pidbox queues left on a shared broker; we never broadcast
        task_send_sent_event=False,
        result_expires=3600,
        result_extended=False,
    )
    app.task(name=TASK_NAME, acks_late=True, reject_on_worker_lost=True)(map_chunk)
    return app


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def __getattr__(name: str):
    if name == "app":  # `celery -A course.capstone.celery_app worker`: configured on first use, not at import
        globals()["app"] = make_app()
        return globals()["app"]
    raise AttributeError(name)

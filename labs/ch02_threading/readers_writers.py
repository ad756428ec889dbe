"""Lab: readers and writers, and a writer that starves.

A routing table, a cache, a configuration: read all the time, written rarely.
Three locks guard the same table here, with the classic constructions of Allen
Downey's *Little Book of Semaphores* (built on Semaphores and Locks):

- a plain Lock: correct, but readers wait for each other (one inside at a time);
- a reader-preferring lock, the "lightswitch": the first reader in locks the
  writers out, the last reader out lets them in. Readers share the table, but
  while readers keep overlapping the count never drops to zero and a writer
  waits until every reader has stopped: the writer *starves*;
- the same with a turnstile: a writer that arrives takes the turnstile, so readers
  that arrive after it queue behind it. The readers already inside finish, the
  writer writes, then the readers go on.

Each reader loops for `duration` seconds; a read sleeps a few milliseconds,
standing for a slow lookup. The writer arrives once the readers are busy (an
Event, set after the first reads) and records how long it waited and how many
reads started while it waited.

Run: python -m labs.ch02_threading.readers_writers
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass
from typing import Iterator

from course.tracing import Timeline, now


class PlainLock:
    """One Lock for readers and writers alike: safe, and readers queue one by one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def read(self) -> Iterator[None]:
        with self._lock:
            yield

    write = read


class Lightswitch:
    """The first thread in takes `room`; the last one out gives it back."""

    def __init__(self) -> None:
        self._inside = 0
        self._mutex = threading.Lock()  # guards the count, not the room

    def enter(self, room: threading.Semaphore) -> None:
        with self._mutex:
            self._inside += 1
            if self._inside == 1:
                room.acquire()  # the first reader waits for a writer to leave

    def leave(self, room: threading.Semaphore) -> None:
        with self._mutex:
            self._inside -= 1
            if self._inside == 0:
                room.release()  # the last reader out lets a writer in


class ReaderPreferring:
    """Readers share the room; a writer needs it empty. Writers can starve."""

    def __init__(self) -> None:
        # A Semaphore, not a Lock held by one thread: the last reader out
        # releases what the first reader in acquired, often in another thread.
        self._room = threading.Semaphore(1)
        self._readers = Lightswitch()

    @contextlib.contextmanager
    def read(self) -> Iterator[None]:
        self._readers.enter(self._room)
        try:
            yield
        finally:
            self._readers.leave(self._room)

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        with self._room:
            yield


class WithTurnstile(ReaderPreferring):
    """The lightswitch plus a turnstile that a waiting writer holds shut."""

    def __init__(self) -> None:
        super().__init__()
        self._turnstile = threading.Lock()

    @contextlib.contextmanager
    def read(self) -> Iterator[None]:
        with self._turnstile:  # pass through; blocks while a writer holds it
            pass
        with super().read():
            yield

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        with self._turnstile:  # readers arriving from now on wait here
            with self._room:  # readers already inside finish first
                yield


@dataclass
class Outcome:
    timeline: Timeline
    reads: int
    most_readers: int
    writer_waited: float
    reads_while_waiting: int


def run(
    lock, readers: int = 4, read_seconds: float = 0.004, duration: float = 0.3
) -> Outcome:
    """Readers loop on `lock` for `duration` s; one writer arrives once they are busy."""
    timeline = Timeline()
    busy = threading.Event()
    deadline = now() + duration
    reads: list[float] = []  # start time of every read
    counted = threading.Lock()
    waited: list[tuple[float, float]] = []

    def reader() -> None:
        lane = threading.current_thread().name
        while now() < deadline:
            with lock.read():
                started = now()
                time.sleep(read_seconds)  # a slow lookup; releases the GIL
                timeline.add(lane, "read", started, now())
            with counted:
                reads.append(started)
                if len(reads) == 2 * readers:
                    busy.set()

    def writer() -> None:
        busy.wait()
        asked = now()
        with lock.write():
            got = now()
            time.sleep(read_seconds)
            timeline.add("writer", "write", got, now())
        timeline.add("writer", "writer waits", asked, got)
        waited.append((asked, got))

    threads = [
        threading.Thread(target=reader, name=f"reader {i + 1}") for i in range(readers)
    ]
    threads.append(threading.Thread(target=writer, name="writer"))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    asked, got = waited[0]
    read_spans = Timeline()
    read_spans.spans = [s for s in timeline.spans if s.label == "read"]
    return Outcome(
        timeline=timeline,
        reads=len(reads),
        most_readers=read_spans.max_overlap(),
        writer_waited=got - asked,
        reads_while_waiting=sum(asked < start < got for start in reads),
    )


LOCKS = {
    "plain Lock": PlainLock,
    "reader-preferring": ReaderPreferring,
    "with a turnstile": WithTurnstile,
}


def run_all(**options) -> dict[str, Outcome]:
    return {name: run(kind(), **options) for name, kind in LOCKS.items()}


def main() -> int:
    print("4 readers loop for 0.3 s (each read takes 4 ms); one writer arrives.\n")
    print(f"{'lock':<20}{'reads':>7}{'readers at once':>17}{'writer waited':>15}")
    for name, outcome in run_all().items():
        print(
            f"{name:<20}{outcome.reads:>7}{outcome.most_readers:>17}"
            f"{outcome.writer_waited:>13.3f} s"
            f"   ({outcome.reads_while_waiting} reads started while it waited)"
        )
    print(
        "\nWhat to notice:\n"
        "  - the plain Lock never lets two readers in: a quarter of the reads;\n"
        "  - the reader-preferring lock lets readers share, but the writer waits\n"
        "    until the readers stop: new readers keep walking past it;\n"
        "  - with the turnstile, readers still share, and the writer waits only for\n"
        "    the readers already inside."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Lab: a producer/consumer pipeline with queue.Queue, shut down by sentinels.

    reader --> [queue: urls, max 4] --> 3 downloaders --> [queue: pages] --> writer

- Bounded queues give backpressure: when the downloaders fall behind, the
  reader's `put` blocks instead of filling memory.
- Shutdown: a consumer cannot tell "the queue is empty for now" from "no more
  work will ever come". The producer says it explicitly by putting one sentinel
  (`STOP`) per consumer after the last item; each consumer exits when it takes
  one. The last downloader to stop passes a sentinel on to the writer.
- Every thread is joined: the program ends because the work is done, not
  because daemon threads were killed mid-write.

The downloads are simulated by `time.sleep` (an I/O wait: it releases the GIL,
so three downloaders really wait at the same time). Every stage records its
spans on a course.tracing.Timeline, which the book draws.

Run: python -m labs.ch02_threading.pipeline
"""

from __future__ import annotations

import queue
import threading
import time

from course.tracing import Timeline

STOP = object()  # the sentinel: identity, not equality, marks the end


def run_pipeline(
    items: int = 12,
    downloaders: int = 3,
    download_seconds: float = 0.06,
    write_seconds: float = 0.01,
    queue_size: int = 4,
) -> tuple[list[str], Timeline]:
    """Push `items` URLs through the pipeline; return what was written, the timeline."""
    timeline = Timeline()
    urls: queue.Queue = queue.Queue(maxsize=queue_size)
    pages: queue.Queue = queue.Queue(maxsize=queue_size)
    written: list[str] = []
    stopped = 0
    stopped_lock = threading.Lock()

    def reader() -> None:
        for n in range(items):
            with timeline.span("put (blocks when full)"):
                urls.put(f"https://example.test/{n}")
        for _ in range(downloaders):
            urls.put(STOP)  # one sentinel per consumer

    def downloader() -> None:
        nonlocal stopped
        while True:
            url = urls.get()
            if url is STOP:
                break
            with timeline.span("download"):
                time.sleep(download_seconds)  # simulated network wait, releases the GIL
            pages.put(f"<page {url}>")
        with stopped_lock:
            stopped += 1
            last = stopped == downloaders
        if last:
            pages.put(STOP)  # the writer has one producer stage: one sentinel

    def writer() -> None:
        while (page := pages.get()) is not STOP:
            with timeline.span("write"):
                time.sleep(write_seconds)
                written.append(page)

    threads = [threading.Thread(target=reader, name="reader")]
    threads += [
        threading.Thread(target=downloader, name=f"downloader-{i}")
        for i in range(downloaders)
    ]
    threads += [threading.Thread(target=writer, name="writer")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return written, timeline


def main() -> int:
    items, downloaders, seconds = 12, 3, 0.06
    started = time.perf_counter()
    written, timeline = run_pipeline(items, downloaders, seconds)
    elapsed = time.perf_counter() - started
    print(
        f"{len(written)} of {items} pages written in {elapsed:.2f} s by {downloaders} downloaders"
    )
    print(f"one downloader would need at least {items * seconds:.2f} s of waiting")
    print(f"most spans in progress at once: {timeline.max_overlap()}")
    print(f"threads still running besides main: {threading.active_count() - 1}")
    print(
        "\nWhat to notice:\n"
        "  - the downloads overlap: sleeping (like socket I/O) releases the GIL;\n"
        "  - the reader blocks on put() when the queue is full: backpressure, not unbounded memory;\n"
        "  - one STOP per downloader, then one for the writer: every thread ends and is joined."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

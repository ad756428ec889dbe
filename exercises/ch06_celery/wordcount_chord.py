"""Exercise: a word count as a map-reduce, with a chord.

MapReduce in two task types: a map task counts the words of one document, a
reduce task merges the partial counts. A chord runs the header (the map tasks,
all at once, on any workers) and, when every one of them has finished, calls
its body with the list of their results. Build:

- `register(app, tokenize)`: registers and returns the tasks `(count, merge)`:
  `count(text)` returns {word: how often} for `tokenize(text)`; `merge(partials)`
  takes a list of such dicts and returns their sum as one dict.
- `word_count_job(count, merge, documents)`: the whole job as ONE signature
  that the caller starts with `.apply_async()` and whose result is the word
  count of all the documents together: one `count` task per document, run in
  parallel, their results handed to one `merge`. No documents: {}.

`words(text)` is the default tokenizer, given. The tests hand you a tokenizer of
their own: call the `tokenize` you were given, once per document, in the map task.

Hazards: a header task whose result is not stored (`ignore_result=True`):
the chord waits for it forever; `.si` (immutable) where the body needs the
header's results; "parallel" work sent one task after another.
"""

from __future__ import annotations

from typing import Any, Callable


def words(text: str) -> list[str]:
    """The words of a text: split on whitespace, lower-cased."""
    return text.lower().split()


def register(app: Any, tokenize: Callable[[str], list[str]] = words) -> tuple[Any, Any]:
    """Register and return the tasks (count, merge) on `app`."""
    raise NotImplementedError("TODO: two @app.task functions, count(text) and merge(partials)")


def word_count_job(count: Any, merge: Any, documents: list[str]) -> Any:
    """The whole job as one signature: a chord of `count` per document, `merge` as its body."""
    raise NotImplementedError("TODO: celery.chord(header, body)")

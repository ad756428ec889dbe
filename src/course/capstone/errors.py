"""The capstone's two errors: an item's exception (`ItemError`) and a dead worker (`WorkerLost`)."""

from __future__ import annotations


class ItemError(Exception):
    """`fn` raised on one item; the map stops and raises this in the caller.

    The original exception may have happened in another process or on another
    machine, so it travels as data and is re-raised as this one type:

    - `index`: the position of the failing item in the input
    - `exc_type`: the exception's type name (`"ValueError"`, or `"pkg.mod.MyError"`)
    - `message`: `str()` of the exception
    - `remote_traceback`: the traceback where it happened, as text
    """

    def __init__(self, index: int, exc_type: str, message: str, remote_traceback: str = ""):
        super().__init__(index, exc_type, message)
        self.index = index
        self.exc_type = exc_type
        self.message = message
        self.remote_traceback = remote_traceback

    def __str__(self) -> str:
        return f"item {self.index} raised {self.exc_type}: {self.message}"


class WorkerLost(Exception):
    """The process running a chunk died before answering; the chunk may be retried.

    The map raises it to the caller (with `index`, the chunk's first item)
    only when a chunk has been lost more than `retries` times: a poison item
    that kills every worker it touches must end in an error, not a loop.
    """

    def __init__(self, message: str, index: int | None = None):
        super().__init__(message)
        self.index = index

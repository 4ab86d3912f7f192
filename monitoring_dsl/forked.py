"""Work done in a forked child process, its result sent back through a pipe: the one place that forks.

A forked child starts as a copy of the parent, so it sees the loaded project and every cached query fact
without pickling them, and its model objects sit at the same addresses (`id()`) as the parent's. Only the
result travels, pickled. The child never returns into the caller's stack: it writes its result and leaves
with `os._exit`, so no `finally`, atexit handler or buffered output of the parent runs twice.

A child that fails in any way (an exception, a signal, a result that cannot be pickled) makes `result()` raise
`ChildFailed`; callers then do the work themselves, so forking only ever changes how long a run takes.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class ChildFailed(Exception):
    """The child did not deliver a result."""


def available() -> bool:
    """Whether this platform can fork (not Windows)."""
    return hasattr(os, "fork")


class Child(Generic[T]):
    """A forked child computing one value. Call `result()` once, or `stop()` when it is no longer wanted."""

    def __init__(self, pid: int, pipe: int):
        self._pid = pid
        self._pipe = pipe
        self._done = False

    def result(self) -> T:
        """The child's value, waiting for it; `ChildFailed` when there is none."""
        chunks = []
        try:
            while chunk := os.read(self._pipe, 1 << 20):
                chunks.append(chunk)
        except BaseException:  # interrupted while waiting: the child's result is no longer wanted
            self.stop()
            raise
        os.close(self._pipe)
        _, status = os.waitpid(self._pid, 0)
        self._done = True
        if status != 0 or not chunks:
            raise ChildFailed(f"child process {self._pid} ended with status {status}")
        try:
            value: T = pickle.loads(b"".join(chunks))
        except Exception as error:
            raise ChildFailed(f"child process {self._pid} sent an unreadable result: {error}") from error
        return value

    def stop(self) -> None:
        """Kill and reap the child if its result was never collected (the parent failed or was interrupted)."""
        if self._done:
            return
        self._done = True
        with contextlib.suppress(ProcessLookupError):
            os.kill(self._pid, signal.SIGKILL)
        os.close(self._pipe)
        os.waitpid(self._pid, 0)


def start(work: Callable[[], T]) -> Child[T]:
    """Fork a child that computes `work()` and sends it back. Raises OSError when the fork itself fails."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # what is buffered now would otherwise be written by both processes
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        status = 1
        try:
            os.close(read_end)
            payload = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
            view = memoryview(payload)
            while view:
                view = view[os.write(write_end, view) :]
            status = 0
        except BaseException:  # the parent sees ChildFailed and does the work itself
            pass
        finally:
            os._exit(status)
    os.close(write_end)
    return Child(pid, read_end)

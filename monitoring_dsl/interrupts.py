"""Signals that stop a run (Ctrl-C, SIGTERM), as an exception raised where the process is, so cleanup runs.

The command line installs the handlers; the loader lets `Interrupted` through while it turns everything a spec
raises itself (even `KeyboardInterrupt` or `SystemExit`) into a diagnostic.
"""

from __future__ import annotations

import signal
from types import FrameType


class Interrupted(BaseException):
    """A signal asked the process to stop. `exit_code` is what a shell reports for it (130 for Ctrl-C)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


def install() -> None:
    """Make SIGINT and SIGTERM raise `Interrupted`."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _raise)


def ignore() -> None:
    """Ignore further SIGINT and SIGTERM (while reporting the first one)."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)

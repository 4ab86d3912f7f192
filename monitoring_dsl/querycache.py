"""What was learnt of each query kept between runs: a build after an edit parses, analyses and infers labels
only for the queries whose text, or whose series' labels, are new.

Parsing a query and computing its facts depend on its text alone; the labels of its result, its groupings and
its binary operators depend besides only on the labels its series can carry (promql/remembered.py says what
is kept). On workload L, parsing and analysing took 4.2 s of every build and lint before the checks could be
shared between processes, and label inference 2.1 s of the checks, for 22,550 distinct texts of which an edit
changes a handful. The next run takes them back (still encoded: a fact is decoded when a check first asks for
it), builds the native tree of an admitted text only if something asks for it, and computes only what it has
not seen.

Two files in `.monitoring-dsl-cache/`: `queries.bin` (verdicts and facts, known before the checks run) and
`labels.bin` (the labelled facts, which the checks compute in every process). Each holds a magic line, the
fingerprint of the code that wrote it (this package's promql sources, the promql-parser build, the Python
version), the sha256 of the data, and the data as `marshal` wrote it. Anything else (another fingerprint, a
damaged or unreadable file) is ignored, and the run computes what it needs. A file is rewritten, atomically,
only when a run learnt enough to be worth it (REWRITE_SHARE); what it held for texts the run did not meet is
kept, up to as many again as the run met, so checking one module does not throw away the rest of the project's.
"""

from __future__ import annotations

import functools
import hashlib
import marshal
import sys
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import attrs

from monitoring_dsl import cachefile
from monitoring_dsl.promql import remembered

MAGIC = b"monitoring-dsl query facts\n"
FILENAME = "queries.bin"
LABELS_FILENAME = "labels.bin"
_SPARE = 1024  # unused texts kept beyond as many as the run met


@functools.cache
def fingerprint() -> bytes:
    """What the kept data depends on besides the query texts: the code computing it, the data's format."""
    digest = hashlib.sha256(MAGIC)
    digest.update(f"{sys.version}\0{marshal.version}\0".encode())
    digest.update(remembered.identity())
    return digest.digest()


def _stamp(path: Path) -> tuple[str, int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (str(path), stat.st_mtime_ns, stat.st_size)


def recall(directory: Path) -> bool:
    """Take back what the files in `directory` hold; False when there is no valid verdicts-and-facts file."""
    found = _recall(directory / FILENAME, remembered.recalled_from, remembered.recall)
    _recall(directory / LABELS_FILENAME, remembered.labelled_recalled_from, remembered.recall_labelled)
    return found


def _recall(path: Path, recalled_from: Callable[[], object], take: Callable[[Any, object], bool]) -> bool:
    stamp = _stamp(path)  # (path, mtime_ns, size): when what is recalled came from it, it is in memory
    if stamp is None:
        return False
    if stamp == recalled_from():
        return True
    data = _read(path)
    return data is not None and take(data, stamp)


def _read(path: Path) -> Any:
    """The data in the file `path`, None unless this code wrote it whole."""
    return cachefile.read(path, MAGIC, fingerprint())


def _write(directory: Path, name: str, data: Any) -> None:
    cachefile.write(directory, name, MAGIC, fingerprint(), data)


@attrs.frozen
class Keeper:
    """Keeps what one run learnt of its queries (`texts`) in `directory`.

    The verdicts and facts are all known once the queries are analysed, before the checks run: `queries()`
    writes them (a forked child does, while its parent checks). The labelled facts are learnt by the checks in
    every process: each forked child hands its parent `learnt()`, the parent `take()`s it, and `labelled()`
    writes them all once every process is done."""

    directory: Path
    texts: frozenset[str]

    def keep(self) -> frozenset[str]:
        """The recalled texts to keep beside this run's: all of them, unless they outnumber this run's by more
        than as many again (a project that lost most of its queries)."""
        recalled = remembered.recalled()
        unused = len(recalled - self.texts)
        return recalled if unused <= len(self.texts) + _SPARE else frozenset()

    def pending(self) -> bool:
        """Whether `queries()` has something worth writing (see `_worth`)."""
        return _worth(remembered.new(self.texts), len(remembered.recalled()))

    @staticmethod
    def labels_recalled() -> bool:
        """Whether the labelled facts of an earlier run were taken back."""
        return remembered.labelled_recalled_from() is not None

    def queries(self) -> bool:
        """Write the verdicts and facts when any was not recalled; True when it wrote."""
        if not self.pending():
            return False
        _write(self.directory, FILENAME, remembered.known(self.texts, self.keep()))
        return True

    def labelled(self) -> bool:
        """Write the labelled facts when any was computed rather than recalled; True when it wrote."""
        texts = self.texts | self.keep()
        if not _worth(remembered.new_labelled(texts), remembered.recalled_labelled()):
            return False
        _write(self.directory, LABELS_FILENAME, remembered.known_labelled(texts))
        return True

    @staticmethod
    def learnt() -> dict[str, Any]:
        """The labelled facts this process computed, for `take` in its parent."""
        return remembered.learnt_labelled()

    @staticmethod
    def take(learnt: dict[str, Any]) -> None:
        remembered.take_labelled(learnt)


# A file is rewritten when a run learnt something and nothing was recalled, or when what it learnt is at least
# this share of what was recalled. What is not written is learnt again by the next runs (the few texts an edit
# changed, well under a millisecond each); writing it after every edit rewrote 7 MB and 4.6 MB on workload L
# (0.4 s in the child, 0.2 s in the parent at the end of each run).
REWRITE_SHARE = 0.005


def _worth(new: int, recalled: int) -> bool:
    return new > 0 and (recalled == 0 or new >= REWRITE_SHARE * recalled)


def save(directory: Path, texts: Collection[str]) -> bool:
    """Write everything known of `texts` that was not recalled, in this one process; True when it wrote."""
    keeper = Keeper(directory, frozenset(texts))
    wrote = keeper.queries()
    return keeper.labelled() or wrote

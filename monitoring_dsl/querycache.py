"""What was learnt of each query text kept between runs: a build after an edit parses and analyses only the
queries whose text is new.

Parsing a query and computing its facts depend on its text alone (promql/remembered.py says what is kept). On
workload L they took about 3.5 s of every build and lint, before the checks could be shared between
processes, for 22,550 distinct texts of which an edit changes a handful. The next run takes the verdicts and
facts back (still encoded: a fact is decoded when a check first asks for it), hands an admitted text straight
to the native parser, and analyses only texts it has not seen.

One file, `.monitoring-dsl-cache/queries.bin`: a magic line, the fingerprint of the code that wrote it (this
package's promql sources, the promql-parser build, the Python version), the sha256 of the data, and the data
as `marshal` wrote it. Anything else (another fingerprint, a damaged or unreadable file) is ignored, and the
run computes what it needs. The file is rewritten only when a run learnt something, atomically; what it held
for texts the run did not meet is kept, up to as many again as the run met, so checking one module does not
throw away the rest of the project's.
"""

from __future__ import annotations

import functools
import hashlib
import marshal
import sys
from collections.abc import Collection
from pathlib import Path

from monitoring_dsl.load.bytecode import write_in_cache
from monitoring_dsl.promql import remembered

MAGIC = b"monitoring-dsl query facts\n"
FILENAME = "queries.bin"
_DIGEST = 32  # sha256
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
    """Take back what the file in `directory` holds; False when there is nothing valid to take."""
    path = directory / FILENAME
    stamp = _stamp(path)  # (path, mtime_ns, size): when what is recalled came from it, it is in memory
    if stamp is None:
        return False
    if stamp == remembered.recalled_from():
        return True
    try:
        data = path.read_bytes()
    except OSError:
        return False
    head = len(MAGIC) + 2 * _DIGEST
    if data[: len(MAGIC)] != MAGIC or data[len(MAGIC) : len(MAGIC) + _DIGEST] != fingerprint():
        return False
    payload = memoryview(data)[head:]
    if hashlib.sha256(payload).digest() != data[len(MAGIC) + _DIGEST : head]:
        return False
    try:
        known = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return False
    return remembered.recall(known, source=stamp)


def save(directory: Path, texts: Collection[str]) -> bool:
    """Write what is known of `texts`, the queries of this run, when any of it was not recalled; True when
    it wrote."""
    if not remembered.new(texts):
        return False
    recalled = remembered.recalled()
    unused = len(recalled) - len(recalled & set(texts))
    keep = recalled if unused <= len(texts) + _SPARE else frozenset()
    payload = marshal.dumps(remembered.known(texts, keep))
    path = directory / FILENAME
    write_in_cache(directory, path, MAGIC + fingerprint() + hashlib.sha256(payload).digest() + payload)
    return True

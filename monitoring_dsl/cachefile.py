"""The one layout of the files `.monitoring-dsl-cache/` keeps data in (querycache.py, checkcache.py,
outputcache.py): a magic line naming what the file holds, the fingerprint of the code that wrote it, the
sha256 of the data, and the data as `marshal` wrote it. A file that does not match in every part is read as
nothing, so a damaged, foreign or stale file costs the work it would have saved and no more."""

from __future__ import annotations

import functools
import hashlib
import marshal
from pathlib import Path
from typing import Any

from monitoring_dsl.load.bytecode import write_in_cache

_DIGEST = 32  # sha256
_PACKAGE = Path(__file__).resolve().parent


@functools.cache
def package_digest() -> bytes:
    """The sha256 of every source file of this package, with its path: what a kept file was computed by."""
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        digest.update(str(path.relative_to(_PACKAGE)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.digest()


def read(path: Path, magic: bytes, fingerprint: bytes) -> Any:
    """The data in the file `path`, None unless code with `fingerprint` wrote it whole."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head = len(magic) + 2 * _DIGEST
    if data[: len(magic)] != magic or data[len(magic) : len(magic) + _DIGEST] != fingerprint:
        return None
    payload = memoryview(data)[head:]
    if hashlib.sha256(payload).digest() != data[len(magic) + _DIGEST : head]:
        return None
    try:
        return marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return None


def write(directory: Path, name: str, magic: bytes, fingerprint: bytes, data: Any) -> None:
    """Write `data` into `directory`/`name`, atomically; a cache that cannot be written is skipped."""
    payload = marshal.dumps(data)
    write_in_cache(directory, directory / name, magic + fingerprint + hashlib.sha256(payload).digest() + payload)

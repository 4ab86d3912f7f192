"""Compiled spec modules kept between runs, so that a build after an edit compiles only the modules that changed.

The loader executes spec modules from source it reads itself (load/specs.py), so Python's own `__pycache__` never
serves them: on workload L, compiling 51 modules of 11.8 MB took 0.75 s of every build and lint. With a
directory (`.monitoring-dsl-cache/bytecode/` beside pyproject.toml, given by `build` and `lint` unless
`--no-cache`), each module's code object is kept in one file per spec path, with a key in front of it: the
interpreter's bytecode magic number, the optimisation level, the name the code reports (its path as shown) and
the sha256 of the source bytes. Any difference, a damaged file or an unreadable directory means a compile, as
without the cache; writing is atomic (a temporary file renamed over the entry) and a failure to write is
ignored, so a read-only checkout still builds.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import marshal
import os
import sys
import tempfile
import types
from pathlib import Path

CACHE_DIR = ".monitoring-dsl-cache"  # beside pyproject.toml; the build and lint caches (buildcache.py) live there too
GITIGNORE = b"# written by monitoring-dsl: a cache, never commit it\n*\n"
_KEY_SIZE = 32  # a sha256 digest


def _key(filename: str, data: bytes) -> bytes:
    digest = hashlib.sha256(importlib.util.MAGIC_NUMBER)
    digest.update(f"{sys.flags.optimize}\0{filename}\0".encode("utf-8", "surrogateescape"))
    digest.update(data)
    return digest.digest()


class CodeCache:
    """Compiles spec sources, through the cache in `directory` when there is one."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    def compile(self, data: bytes, source: str, filename: str) -> types.CodeType:
        """The code object of `source` (decoded from `data`), named `filename`; raises what compile() raises."""
        if self.directory is None:
            return compile(source, filename, "exec", dont_inherit=True)
        key = _key(filename, data)
        entry = self.directory / "bytecode" / (hashlib.sha256(os.fsencode(filename)).hexdigest()[:24] + ".bin")
        code = self._read(entry, key)
        if code is None:
            code = compile(source, filename, "exec", dont_inherit=True)
            self._write(entry, key + marshal.dumps(code))
        return code

    @staticmethod
    def _read(entry: Path, key: bytes) -> types.CodeType | None:
        try:
            with open(entry, "rb") as handle:
                if handle.read(_KEY_SIZE) != key:
                    return None
                code = marshal.loads(handle.read())
        except (OSError, ValueError, EOFError, TypeError):
            return None
        return code if isinstance(code, types.CodeType) else None

    def _write(self, entry: Path, data: bytes) -> None:
        assert self.directory is not None
        write_in_cache(self.directory, entry, data)


def write_in_cache(directory: Path, entry: Path, data: bytes) -> None:
    """Replace `entry`, a file under the cache `directory`, with `data` at once (readers see the old file or the
    new one), creating the directory ignored by git; a failure to write is ignored: a cache is optional."""
    with contextlib.suppress(OSError):
        entry.parent.mkdir(parents=True, exist_ok=True)
        ignore = directory / ".gitignore"
        if not ignore.exists():
            _replace(ignore, GITIGNORE)
        _replace(entry, data)


def _replace(target: Path, data: bytes) -> None:
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise

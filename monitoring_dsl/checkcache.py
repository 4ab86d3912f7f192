"""The local checks' findings about each spec module, kept in `.monitoring-dsl-cache/findings.bin` between
runs (checks/kept.py says what is kept and when it still holds).

On workload L a build after a one-line edit spent 3.4 s in checks that look at one object at a time; with
their findings kept, they check the edited module alone. The file has the layout cachefile.py reads and
writes, with the fingerprint of every source file of this package, the promql-parser build and the Python
version. Anything else (another fingerprint, a damaged or unreadable file, a layout this code does not read)
is ignored and every module is checked. The file is
rewritten, atomically, only when a run found something to keep; it holds the modules of the last run.
"""

from __future__ import annotations

import functools
import hashlib
import marshal
import sys
from collections.abc import Mapping
from pathlib import Path

from monitoring_dsl import cachefile, querycache
from monitoring_dsl.checks import kept
from monitoring_dsl.checks.context import CheckContext
from monitoring_dsl.checks.kept import Entry, Kept, Keys
from monitoring_dsl.model.project import Project
from monitoring_dsl.model.settings import Settings

MAGIC = b"monitoring-dsl kept findings\n"
FILENAME = "findings.bin"


@functools.cache
def fingerprint() -> bytes:
    """The code the kept findings came from: any change to a check, or to what feeds it, discards them."""
    digest = hashlib.sha256(MAGIC)
    digest.update(f"{sys.version}\0{marshal.version}\0".encode())
    digest.update(querycache.fingerprint())
    digest.update(cachefile.package_digest())
    return digest.digest()


class _FileDigests:
    """The sha256 of files findings point into, read once per run; None for a file that cannot be read."""

    def __init__(self) -> None:
        self._known: dict[str, str | None] = {}

    def __call__(self, path: str) -> str | None:
        if path not in self._known:
            try:
                self._known[path] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
            except OSError:
                self._known[path] = None
        return self._known[path]


def module_keys(project: Project, settings: Settings | None, pickled: Mapping[str, bytes] | None = None) -> Keys:
    """The keys of the modules of `project` (as loaded, with what the loader pickled), for this code
    (checks/kept.py)."""
    return kept.module_keys(project, settings or Settings(), False, fingerprint(), pickled)


def recall(directory: Path, keys: Mapping[str, bytes]) -> Kept:
    """What `directory` keeps for modules with these `keys` now."""
    return Kept(_read(directory / FILENAME), dict(keys), _FileDigests())


def _read(path: Path) -> dict[str, Entry]:
    loaded = cachefile.read(path, MAGIC, fingerprint())
    if not isinstance(loaded, dict):
        return {}
    entries = {}
    for module, value in loaded.items():
        entry = Entry.from_data(value)
        if isinstance(module, str) and entry is not None:
            entries[module] = entry
    return entries


def keep(directory: Path, ctx: CheckContext, kept: Kept, found: Mapping[str, Entry]) -> bool:
    """Write the entries of this run's modules: what was `found` anew, else what still held. Nothing is
    written when nothing was found; True when the file was written."""
    if not found:
        return False
    data = {}
    for module in ctx.whole.modules:
        entry = found.get(module.name) or kept.valid(module.name)
        if entry is not None:
            data[module.name] = entry.to_data()
    cachefile.write(directory, FILENAME, MAGIC, fingerprint(), data)
    return True

"""Each spec module's dashboards and rule file as a build emitted them, kept in
`.monitoring-dsl-cache/output.bin`: the next build emits only the modules whose objects changed.

A module's dashboard JSON and rule YAML depend on its own objects alone (emit.emit_with_parts), so they are
kept under the module's key (checks/kept.py: its pickled objects, the catalog, the settings and this
package's sources), beside the versions of grafanalib and PyYAML that wrote them. On workload L, emitting
them was 2.5 s of every build, 1.6 s of it the YAML of 20,000 rules; after a one-line edit, one module of 51
is emitted again. The file has the layout cachefile.py reads and writes; one that does not match is ignored,
and everything is emitted. It is rewritten only when a module was emitted anew, and holds the modules of the
last build.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from monitoring_dsl import cachefile, checkcache
from monitoring_dsl.emit import Artifacts
from monitoring_dsl.emit.serialize import yaml_writer

MAGIC = b"monitoring-dsl kept output\n"
FILENAME = "output.bin"


@functools.cache
def fingerprint() -> bytes:
    """The code that emitted the kept files: this package, and the libraries that write dashboards and YAML."""
    import importlib.metadata  # 20 ms to import, and only a build that keeps its output asks

    digest = hashlib.sha256(MAGIC + checkcache.fingerprint())
    try:
        grafanalib = importlib.metadata.version("grafanalib")
    except importlib.metadata.PackageNotFoundError:
        grafanalib = "none"
    digest.update(f"grafanalib {grafanalib}\0{yaml_writer()}".encode())
    return digest.digest()


@attrs.frozen
class OutputKeeper:
    """Keeps the modules' parts of the output in `directory`, under the modules' `keys`."""

    directory: Path
    keys: Mapping[str, bytes]

    def recall(self) -> dict[str, Artifacts]:
        """The parts kept for modules whose key is unchanged."""
        data = _read(self.directory / FILENAME)
        recalled = {}
        for module, value in data.items():
            try:
                key, part = value
            except (TypeError, ValueError):
                continue
            if self.keys.get(module) == key and _is_part(part):
                recalled[module] = part
        return recalled

    def keep(self, parts: Mapping[str, Artifacts], earlier: Mapping[str, Artifacts]) -> bool:
        """Write every module's part when any was emitted anew (not taken from `earlier`); True when written."""
        if all(module in earlier for module in parts):
            return False
        data = {module: (self.keys[module], part) for module, part in parts.items() if module in self.keys}
        cachefile.write(self.directory, FILENAME, MAGIC, fingerprint(), data)
        return True


def _is_part(part: Any) -> bool:
    return isinstance(part, dict) and all(isinstance(k, str) and isinstance(v, bytes) for k, v in part.items())


def _read(path: Path) -> dict[Any, Any]:
    loaded = cachefile.read(path, MAGIC, fingerprint())
    return loaded if isinstance(loaded, dict) else {}

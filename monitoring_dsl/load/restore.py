"""Load: each spec module's objects kept between runs, so that a run after an edit executes only the modules the
edit can change.

On workload L, executing 51 spec modules to build 40,000 objects took 1.3-1.8 s of every run, and after a
one-line edit it was the largest stage left. With a cache directory, `load` keeps in
`.monitoring-dsl-cache/modules.bin`, for each module: the sha256 of its source, the spec modules it imported
(in order), and its declared objects as pickle wrote them. The next run restores a module from there instead of
executing it when nothing it could read has changed:

- its source, and the source of every spec module it imports, directly or not;
- the code of this package, Python, attrs and the interpreter's flags (the file's fingerprint);
- the working directory, the project root and the set of spec files (the file's key).

A module is executed every run, never restored, when its execution could depend on anything else, or when a
restored copy could differ from what executing it gives:

- it imports a module other than spec modules and the pure ones in `PURE_IMPORTS` (`os`, `pathlib`, `json`
  and every third-party package are not: a spec reading a file or the environment is executed each time);
- its code names a builtin that reads or runs something (`IMPURE_NAMES`: `open`, `exec`, `__import__`, ...);
- it failed, printed, started a thread, or imported a spec module after declaring its first object (the order
  of the objects would then depend on which modules were already loaded);
- one of its objects holds an object another module made, or another module's object holds one of its own
  (a rule group holding another module's rules, a threshold shared through a spec module): a restored copy
  would no longer be that object.

A module importing one that changed, or one that reads outside the specs (the first two reasons), is executed
too: what it imports may be different. The other reasons do not spread to importers: the module's source still
gives the same values. A module that an executed module imports is executed to give it the names it imports.
Restored objects keep their declaration order: a restored module's imports are replayed before its objects, as
executing it would. Should an executed module newly import a module already restored, the load starts again
without restoring anything.

A restored module gives objects equal to those executing it gives, in the same order, with the same objects
shared: the keys of checks/kept.py rely on it, and tests/test_kept_modules.py checks it.

Not seen: a module that changes, through a dict it reaches, an object another module made (`busy.labels["x"]
= "y"` on an imported alert; frozen objects say not to), which a module executed only to give its names to
an importer then lacks; and a module whose objects follow the order of a set of strings, which Python changes
from run to run (a restored module keeps the order of the run that kept it). `--no-cache` executes every
module.
"""

from __future__ import annotations

import builtins
import hashlib
import os
import pickle
import sys
import types
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from monitoring_dsl import cachefile
from monitoring_dsl.load.discovery import display_path, source_path

MAGIC = b"monitoring-dsl kept modules\n"
FILENAME = "modules.bin"

# What a spec may import and still be restored: the package, the spec modules, and standard modules that read
# nothing outside the process.
PURE_IMPORTS = frozenset(
    {
        "__future__",
        "abc",
        "attr",
        "attrs",
        "collections",
        "copy",
        "dataclasses",
        "decimal",
        "enum",
        "fractions",
        "functools",
        "itertools",
        "math",
        "monitoring_dsl",
        "operator",
        "re",
        "statistics",
        "string",
        "textwrap",
        "typing",
    }
)
# Builtins that read outside the process or run code the loader does not see being imported.
IMPURE_NAMES = frozenset(
    {"open", "exec", "eval", "compile", "__import__", "input", "breakpoint", "__builtins__", "__loader__"}
)


@attrs.frozen
class Record:
    """What a module's last execution showed: its source's sha256, the spec modules it imported in order, its
    objects as pickled `(name, source, objects)` or None when it must be executed every run, and whether what
    it gives depends on its source (and its imports') alone: when not, the modules importing it are executed
    every run too."""

    digest: bytes
    imports: tuple[str, ...]
    pickled: bytes | None
    pure: bool

    def data(self) -> tuple[bytes, tuple[str, ...], bytes | None, bool]:
        return self.digest, self.imports, self.pickled, self.pure


def dumps(value: object) -> bytes | None:
    """`value` pickled, as the module keys of checks/kept.py pickle what they hash; None when an object cannot
    be pickled."""
    try:
        return pickle.dumps(value, protocol=5)
    except (pickle.PicklingError, TypeError, AttributeError, ValueError, RecursionError):
        return None


def pickled(name: str, source: str, objects: list[object]) -> bytes | None:
    """The pickle checks/kept.py keys a module by (the same bytes whether it pickles them or this module
    does); None when an object cannot be pickled."""
    return dumps((name, source, objects))


def objects(data: bytes) -> list[object]:
    """The objects `pickled` wrote."""
    return list(pickle.loads(data)[2])


_FINGERPRINT: list[bytes] = []


def fingerprint() -> bytes:
    """The code that executes specs and builds their objects: any change discards every kept module."""
    if not _FINGERPRINT:
        digest = hashlib.sha256(MAGIC + cachefile.package_digest())
        digest.update(f"{sys.version}\0{sys.flags.optimize}\0{attrs.__version__}\0".encode())
        _FINGERPRINT.append(digest.digest())
    return _FINGERPRINT[0]


def project_key(files: Mapping[str, Path], root: Path) -> bytes:
    """What every module's restored objects depend on beyond their sources: where locations point from."""
    digest = hashlib.sha256(os.fsencode(os.getcwd()) + b"\0")
    for name, file in files.items():
        digest.update(f"{name}\0{display_path(file)}\0{source_path(file, root)}\0".encode("utf-8", "surrogateescape"))
    return digest.digest()


class Kept:
    """The records `directory` holds for this project, and the plan of what a load restores."""

    def __init__(self, directory: Path, files: Mapping[str, Path], root: Path):
        self.directory = directory
        self.key = project_key(files, root)
        self.digests: dict[str, bytes | None] = {}
        for name, file in files.items():
            try:
                self.digests[name] = hashlib.sha256(file.read_bytes()).digest()
            except OSError:
                self.digests[name] = None
        self.records = self._read()

    def _read(self) -> dict[str, Record]:
        loaded = cachefile.read(self.directory / FILENAME, MAGIC, fingerprint())
        if not isinstance(loaded, tuple) or len(loaded) != 2 or loaded[0] != self.key:
            return {}
        records = {}
        for name, value in loaded[1].items():
            try:
                digest, imports, data, pure = value
                records[name] = Record(digest, tuple(imports), data, bool(pure))
            except (TypeError, ValueError):
                return {}
        return records

    def restorable(self) -> dict[str, Record]:
        """The modules this load restores: unchanged, restorable, importing nothing that may have changed, and
        imported by nothing that is executed."""
        changed = {
            name
            for name, digest in self.digests.items()
            if digest is None
            or (record := self.records.get(name)) is None
            or record.digest != digest
            or not record.pure
            or any(imported not in self.digests for imported in record.imports)
        }
        grew = True
        while grew:  # a module importing one that may have changed may have changed too
            grew = False
            for name in self.digests:
                if name not in changed and any(i in changed for i in self.records[name].imports):
                    changed.add(name)
                    grew = True
        executed = changed | {name for name, record in self.records.items() if record.pickled is None}
        stack = list(executed)
        while stack:  # a module executed imports its modules for real: they are executed, not restored
            record = self.records.get(stack.pop())
            for imported in record.imports if record is not None else ():
                if imported not in executed:
                    executed.add(imported)
                    stack.append(imported)
        return {name: self.records[name] for name in self.digests if name not in executed}

    def keep(self, records: Mapping[str, Record]) -> None:
        """Write `records` (every module of this load) unless they are what the file holds."""
        if dict(records) == self.records:
            return
        data = (self.key, {name: record.data() for name, record in records.items()})
        cachefile.write(self.directory, FILENAME, MAGIC, fingerprint(), data)


class Watch:
    """What executing spec modules shows about whether they can be restored later."""

    def __init__(self, files: Mapping[str, Path]):
        self.files = files
        self.imports: dict[str, list[str]] = {}
        self.unrestorable: set[str] = set()  # executed every run
        self.impure: set[str] = set()  # what they give may change while their sources do not
        self.declared: dict[str, int] = {}  # module -> objects it has made so far
        self._made_in: dict[int, str] = {}
        self._fields: dict[type, tuple[str, ...]] = {}

    def code(self, name: str, code: types.CodeType) -> None:
        """A module about to be executed: names in its code that read outside the process make it unrestorable."""
        if _names(code) & IMPURE_NAMES:
            self.impure.add(name)

    def made(self, obj: object, module: str) -> None:
        """A spec object `module` made while executing: an object it holds that another module made ties both."""
        self._made_in[id(obj)] = module
        self.declared[module] = self.declared.get(module, 0) + 1
        cls = type(obj)
        names = self._fields.get(cls)
        if names is None:
            names = self._fields[cls] = tuple(a.name for a in cls.__attrs_attrs__ if a.name != "location")  # type: ignore[attr-defined]
        for field in names:
            self._held(getattr(obj, field), module)

    def _held(self, value: object, module: str) -> None:
        kind = type(value)
        if kind is str or kind is int or kind is float or kind is bool or value is None:
            return
        if kind is tuple or kind is list or kind is frozenset or kind is set:
            for item in value:  # type: ignore[attr-defined]
                self._held(item, module)
            return
        if kind is dict:
            for item in value.values():  # type: ignore[attr-defined]
                self._held(item, module)
            return
        maker = self._made_in.get(id(value))
        if maker is None:
            if hasattr(kind, "__attrs_attrs__"):  # made outside any spec: a restored copy would not be it
                self.unrestorable.add(module)
        elif maker != module:
            self.unrestorable.update((module, maker))

    def wrap_import(self, executing: list[str], original: Callable[..., Any]) -> Callable[..., Any]:
        """`builtins.__import__` that records which modules spec code imports."""
        files = self.files

        def tracked(name: str, globals: Mapping[str, object] | None = None, *args: Any, **kwargs: Any) -> Any:
            importer = globals.get("__name__") if globals else None
            if importer in files and executing:
                self._imported(str(importer), name, args, kwargs, executing)
            return original(name, globals, *args, **kwargs)

        return tracked

    def _imported(
        self, importer: str, name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any], executing: list[str]
    ) -> None:
        level = kwargs.get("level", args[2] if len(args) > 2 else 0)
        top = name.partition(".")[0]
        if level:
            self.impure.add(importer)
        elif top in self.files:
            current = executing[-1]
            if importer != current or self.declared.get(current) or top in executing:
                self.unrestorable.update((importer, current, top))  # imported late, from another's code, or a cycle
            imports = self.imports.setdefault(importer, [])
            if top not in imports:
                imports.append(top)
        elif top not in PURE_IMPORTS:
            self.impure.add(importer)


def _names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= _names(constant)
    return names


def install_import(tracked: Callable[..., Any]) -> Callable[..., Any]:
    """Make `tracked` the import statement's function; returns the one it replaced."""
    previous = builtins.__import__
    builtins.__import__ = tracked
    return previous

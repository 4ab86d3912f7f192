"""The build cache: a rebuild whose inputs did not change hashes them, compares, and is done.

After a successful build that wrote its output, a cache file records the build's inputs and what it printed:
`.monitoring-dsl-cache/build-<hash of the output directory's path>.json` beside pyproject.toml (written by
`writer.py`; the directory ignores itself in git). The output directory holds only what the specs produce.
The next `build` with the same command first hashes those inputs again; when every one is unchanged and every
output file is as the build left it, it prints what the recorded build printed (warnings included) and skips
load, checks, emit and write.

The inputs, precisely:

- the command: the spec paths as given, the output format, the working directory, the Python version;
- every file under the spec paths, by name and bytes (an added, removed or renamed file is a change);
- pyproject.toml's bytes (settings, select/ignore, the spec and output directories);
- every file the build opened while it ran, found by an audit hook on `open`: the spec modules, helper modules
  they import from anywhere (inside or outside the spec directories), data files they read, and a file that
  was absent then and exists now;
- every Python module loaded when the build finished (monitoring-dsl itself and every dependency), by bytes:
  an upgrade or a local edit of the tool is a change;
- every directory listed while the build ran (`os.listdir`, `os.scandir`, `glob`), by the names in it.

- every environment variable the build read (`os.environ[...]`, `os.getenv`, `in os.environ`), by name and
  value, absent ones included; a build that went through the whole environment (`os.environ.copy()`,
  iterating it) records all of it. Values are kept as sha256 digests, never in clear.

`lint` keeps a cache of its own: with unchanged inputs it prints what the last lint with the same command
printed and exits as it did. Its inputs are the same but for the spec tree: lint reads only the spec modules
and rule and dashboard files it finds, and the files it opened and the directories it listed (to find them)
stand for that tree, so a file in the tree that lint ignores (a README, the build output) is no input.

Not inputs, so a spec depending on them needs `--no-cache`: the clock, the network, `os.environb`, and checks
that only stat a path (`os.path.exists`). A build that opened anything under /dev, /proc or /sys, or
opened a file for writing (other than Python's own bytecode cache), records no cache: its result may depend on
more than files.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from monitoring_dsl import __version__
from monitoring_dsl.load.bytecode import CACHE_DIR as CACHE_DIR  # the build and lint caches live beside it

FORMAT = 2
_UNCACHEABLE_ROOTS = ("/dev/", "/proc/", "/sys/")
_IN_CACHE = f"{os.sep}{CACHE_DIR}{os.sep}"
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


def _digest(path: str) -> str | None:
    """sha256 of a regular file's bytes; None when it is absent or not a regular file.

    Opened non-blocking: opening a FIFO for reading would otherwise wait for a writer forever (the loader
    reports such a spec as E004; the cache must not hang before it gets there)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        with open(descriptor, "rb", closefd=True) as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return None
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None


def _listing(path: str) -> list[str] | None:
    """The names in a directory, but the cache's own directory: writing the cache changes no input."""
    try:
        return sorted(name for name in os.listdir(path) if name != CACHE_DIR)
    except OSError:
        return None


def _tree(paths: Sequence[Path]) -> dict[str, str | None]:
    """Every file under the spec paths (a file path stands for itself), by absolute path."""
    found: dict[str, str | None] = {}
    for given in paths:
        top = os.path.abspath(given)
        if not os.path.isdir(top):
            found[top] = _digest(top)
            continue
        for directory, dirs, files in os.walk(top):
            dirs[:] = sorted(d for d in dirs if d not in ("__pycache__", CACHE_DIR))
            for name in sorted(files):
                found[os.path.join(directory, name)] = _digest(os.path.join(directory, name))
    return found


def command_key(paths: Sequence[Path], fmt: str, root: Path) -> dict[str, Any]:
    """The part of the key that is not a file: what was asked, from where, by which tool and Python."""
    return {
        "format": FORMAT,
        "tool": __version__,
        "python": sys.version,
        "paths": [str(p) for p in paths],
        "output_format": fmt,
        "cwd": os.getcwd(),
        "pyproject": _digest(str(root / "pyproject.toml")),
    }


_WHOLE = "\0whole environment"  # the key that stands for "the build read every variable"


class _RecordingEnviron(MutableMapping[str, str]):
    """`os.environ` while a build runs: the real mapping underneath, every variable read noted in `read`."""

    def __init__(self, real: MutableMapping[str, str], read: dict[str, str | None]) -> None:
        self._real = real
        self._read = read

    def _note(self, key: object) -> None:
        if isinstance(key, str):
            self._read.setdefault(key, self._real.get(key))

    def __getitem__(self, key: str) -> str:
        self._note(key)
        return self._real[key]

    def __contains__(self, key: object) -> bool:
        self._note(key)
        return key in self._real

    def get(self, key: str, default: Any = None) -> Any:
        self._note(key)
        return self._real.get(key, default)

    def __setitem__(self, key: str, value: str) -> None:
        self._note(key)
        self._real[key] = value

    def __delitem__(self, key: str) -> None:
        self._note(key)
        del self._real[key]

    def __iter__(self) -> Iterator[str]:
        self._read[_WHOLE] = None
        return iter(self._real)

    def __len__(self) -> int:
        self._read[_WHOLE] = None
        return len(self._real)

    def copy(self) -> dict[str, str]:
        self._read[_WHOLE] = None
        return dict(self._real)


def _value_digest(value: str | None) -> str | None:
    """What the cache file keeps of a variable's value: its digest, never the value (it may be a token)."""
    return None if value is None else hashlib.sha256(value.encode("utf-8", "surrogateescape")).hexdigest()


def _whole_environment() -> str:
    items = sorted(os.environ.items())
    return hashlib.sha256(json.dumps(items, ensure_ascii=True).encode()).hexdigest()


def _environment(read: Mapping[str, str | None]) -> dict[str, str | None]:
    """The recorded part of the environment, by digest: each variable read (with the value it had before the
    build changed any), or the whole of it when the build went through all of it."""
    if _WHOLE in read:
        return {_WHOLE: _whole_environment()}
    return {name: _value_digest(read[name]) for name in sorted(read)}


class Recorder:
    """Which files and directories a build read, seen through an audit hook (hooks cannot be removed, so one
    hook is installed per process and does nothing unless a recording is under way)."""

    _installed = False

    def __init__(self) -> None:
        self.opened: set[str] = set()
        self.listed: set[str] = set()
        self.environment: dict[str, str | None] = {}
        self.uncacheable: str | None = None

    def observe(self, event: str, args: tuple[Any, ...]) -> None:
        """Note a file opened or a directory listed (an event of _WATCHED)."""
        if event == "open":
            path, mode, flags = args
            if not isinstance(path, (str, bytes)):
                return  # an already-open descriptor
            name = os.path.abspath(os.fsdecode(path))
            if _IN_CACHE in name:
                return  # compiled spec modules (load/bytecode.py): derived from the spec files, which are inputs
            if name.startswith(_UNCACHEABLE_ROOTS):
                self.uncacheable = self.uncacheable or f"read {name}"
                return
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool(
                isinstance(flags, int) and flags & _WRITE_FLAGS
            )
            if writing:
                if "__pycache__" not in name:
                    self.uncacheable = self.uncacheable or f"wrote {name}"
                return
            self.opened.add(name)
        elif event in ("os.listdir", "os.scandir"):
            (path,) = args
            if isinstance(path, (str, bytes)):
                name = os.path.abspath(os.fsdecode(path))
            elif path is None:
                name = os.getcwd()
            else:
                return
            if os.path.basename(name) != CACHE_DIR:  # the cache's own files change with every run
                self.listed.add(name)

    @contextmanager
    def recording(self) -> Iterator[Recorder]:
        global _recording
        if not Recorder._installed:
            sys.addaudithook(_audit)
            Recorder._installed = True
        _recording = self
        real = os.environ
        # B003 warns that rebinding os.environ does not change the process's environment: that is the point,
        # the proxy only notes reads and passes everything through to the real mapping (os.getenv included)
        os.environ = _RecordingEnviron(real, self.environment)  # type: ignore[assignment]  # noqa: B003
        try:
            yield self
        finally:
            os.environ = real  # noqa: B003
            _recording = None


# The recording under way, if any, and the events it notes. The hook runs on every audited event of the
# process for as long as it lives, and most are not ours: `id()` alone is one, 700,000 times in a build of
# workload L. So it is a plain function that tests the event's name first (0.2 µs an event; a classmethod that
# looked at the recorder first took 0.9 µs, 0.7 s of that build).
_recording: Recorder | None = None
_WATCHED = frozenset({"open", "os.listdir", "os.scandir"})


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event in _WATCHED:
        recorder = _recording
        if recorder is not None:
            recorder.observe(event, args)


def _module_files() -> set[str]:
    files = set()
    for module in list(sys.modules.values()):
        name = getattr(module, "__file__", None)
        if isinstance(name, str) and os.path.isabs(name):
            files.add(name)
    return files


def inputs(command: Mapping[str, Any], paths: Sequence[Path], recorder: Recorder) -> dict[str, Any] | None:
    """The full record of a finished build's inputs, or None when the build cannot be cached."""
    if recorder.uncacheable is not None:
        return None
    files = _tree(paths)
    for name in sorted((recorder.opened | _module_files()) - set(files)):
        if "__pycache__" in name:
            continue
        files[name] = _digest(name)
    listed = {name: _listing(name) for name in sorted(recorder.listed)}
    environment = _environment(recorder.environment)
    return {"command": dict(command), "files": files, "listed": listed, "environment": environment}


def _output_stats(out: Path, written: Sequence[str]) -> dict[str, list[int]] | None:
    """Size, mtime and inode of each written file, when the output directory holds exactly those (and the
    writer's lock and cache files); None when anything was added, removed or is not a regular file."""
    from monitoring_dsl.writer import LOCK

    present = set()
    for directory, dirs, files in os.walk(out):
        relative = os.path.relpath(directory, out)
        for name in files + [d for d in dirs if os.path.islink(os.path.join(directory, d))]:
            present.add(name if relative == "." else f"{relative}/{name}")
        if not dirs and not files and relative != ".":
            return None  # an empty directory: the writer would refuse it as foreign
    if present - {LOCK} != set(written):
        return None
    found = {}
    for path in written:
        try:
            info = os.lstat(out / path)
        except OSError:
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        found[path] = [info.st_size, info.st_mtime_ns, info.st_ino]
    return found


def record(
    out: Path, written: Sequence[str], recorded_inputs: Mapping[str, Any], printed: Mapping[str, Any]
) -> bytes | None:
    """The cache file's bytes for a build that just wrote `written` into `out`; None when out changed under
    it."""
    from monitoring_dsl.writer import MANIFEST

    outputs = _output_stats(out, [*written, MANIFEST])
    if outputs is None:
        return None
    return _entry({**recorded_inputs, "outputs": outputs, "printed": dict(printed)})


def record_lint(recorded_inputs: Mapping[str, Any], printed: Mapping[str, Any]) -> bytes:
    """The cache file's bytes for a lint: its inputs and what it printed (`printed["exit"]`: its exit code)."""
    return _entry({**recorded_inputs, "outputs": {}, "printed": dict(printed)})


def _entry(entry: Mapping[str, Any]) -> bytes:
    return (json.dumps(entry, sort_keys=True, indent=0) + "\n").encode()


def cache_file(root: Path, out: Path) -> Path:
    """Where the cache of builds into `out` lives: one file per output directory, in the project's cache."""
    name = hashlib.sha256(os.fsencode(os.path.abspath(out))).hexdigest()[:20]
    return root / CACHE_DIR / f"build-{name}.json"


def lint_cache_file(root: Path, command: Mapping[str, Any]) -> Path:
    """Where the cache of lints run as `command` lives: one file per command (paths, format, codes chosen),
    so that `lint` and `lint --format sarif` in turn both stay cached."""
    name = hashlib.sha256(json.dumps(command, sort_keys=True).encode()).hexdigest()[:20]
    return root / CACHE_DIR / f"lint-{name}.json"


def lookup(cache: Path, out: Path | None, command: Mapping[str, Any], paths: Sequence[Path]) -> dict[str, Any] | None:
    """What the recorded run printed, when its inputs and (for a build into `out`) its outputs are unchanged;
    None otherwise."""
    try:
        with open(cache, "rb") as handle:
            entry = json.loads(handle.read())
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("command") != dict(command):
        return None
    try:
        files: dict[str, str | None] = entry["files"]
        listed: dict[str, list[str] | None] = entry["listed"]
        outputs: dict[str, list[int]] = entry["outputs"]
        printed: dict[str, Any] = entry["printed"]
        environment: dict[str, str | None] = entry["environment"]
    except (KeyError, TypeError):
        return None
    if _WHOLE in environment:
        if environment != {_WHOLE: _whole_environment()}:
            return None
    elif any(_value_digest(os.environ.get(name)) != digest for name, digest in environment.items()):
        return None  # an environment variable the build read has another value now
    if out is not None and _output_stats(out, list(outputs)) != outputs:
        return None
    tree = _tree(paths)
    if any(files.get(name, "absent") != digest for name, digest in tree.items()):
        return None  # a spec file was changed or added
    for name, digest in files.items():
        if name not in tree and _digest(name) != digest:
            return None  # a spec file was removed, or an imported or read file changed
    if any(_listing(name) != names for name, names in listed.items()):
        return None
    return printed

"""Write: the only code that touches the output directory.

The output directory is updated in place; it is never replaced, so its inode, mode, owner and group, a bind
mount on it or a symlink to it survive every build. Each changed file is written to a temporary name in its own
directory and renamed over its target, so a reader (Grafana's file provisioner, a user) sees every file either
old or new, never partial. The order makes every interruption repairable by the next build:

1. take the lock (`.monitoring-dsl-lock`, an fcntl lock): a concurrent build waits, then fails clearly;
2. remove temporary files an interrupted build left behind;
3. record in the manifest the old files and the new ones (the build's intent), so nothing half-way is foreign;
4. rename each changed file into place;
5. remove the files no spec produces any more, and directories they leave empty;
6. write the manifest listing exactly the new files.

The manifest records what monitoring-dsl wrote: a directory holding anything else (a file, a symlink, a FIFO
or socket, an empty directory) is refused rather than touched, so `--out .` can never delete a user's work.
Every path is checked to stay inside the output directory.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import signal
import stat
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath

from monitoring_dsl.load.bytecode import GITIGNORE

MANIFEST = ".monitoring-dsl-manifest"
LOCK = ".monitoring-dsl-lock"
TEMP_SUFFIX = ".monitoring-dsl-tmp"
LOCK_TIMEOUT = 60.0  # seconds a build waits for another build of the same directory
_HEADER = "# Files written by monitoring-dsl build; anything else here makes the build refuse the directory."


class WriteError(Exception):
    """The output directory could not be written; `help` says what to do."""

    def __init__(self, message: str, help: str | None = None):
        super().__init__(message)
        self.message = message
        self.help = help


def safe_relative(path: str) -> PurePosixPath:
    """`path` as a relative path that cannot leave the output directory, or WriteError."""
    pure = PurePosixPath(path)
    if (
        pure.is_absolute()
        or not pure.parts
        or any(part in ("", ".", "..") for part in pure.parts)
        or "\\" in path
        or "\x00" in path
        or "\n" in path
        or pure.parts[0] in (MANIFEST, LOCK)
        or pure.name.endswith(TEMP_SUFFIX)
    ):
        raise WriteError(f"refusing to write {path!r}: not a plain path inside the output directory")
    return pure


def manifest_bytes(artifacts: Mapping[str, bytes] | list[str]) -> bytes:
    lines = [_HEADER, *sorted(artifacts)]
    return ("\n".join(lines) + "\n").encode()


def _is_temp(name: str) -> bool:
    return name.startswith(".") and name.endswith(TEMP_SUFFIX)


class _Tree:
    """What an output directory holds: regular files by relative path, directories, and everything else."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.dirs: set[str] = set()
        self.others: list[str] = []  # symlinks, FIFOs, sockets, devices: never written by monitoring-dsl
        self.temps: list[str] = []  # temporary files of an interrupted build
        self.empty_dirs: set[str] = set()

    def owned(self) -> set[str]:
        """The files the manifest says monitoring-dsl wrote (empty when there is no manifest)."""
        data = self.files.get(MANIFEST)
        if data is None:
            return set()
        text = data.decode("utf-8", "replace")
        return {line for line in text.splitlines() if line and not line.startswith("#")}

    def foreign(self) -> list[str]:
        """Entries no build of monitoring-dsl recorded writing."""
        owned = self.owned()
        ancestors = {str(parent) for path in owned for parent in PurePosixPath(path).parents if str(parent) != "."}
        found = [path for path in self.files if path not in (MANIFEST, LOCK) and path not in owned]
        found += self.others
        found += [f"{path}/ (empty directory)" for path in self.empty_dirs if path not in ancestors]
        if MANIFEST in self.others:
            found.append(MANIFEST)
        return sorted(set(found))


def _scan(out: Path) -> _Tree:
    """Read the tree under `out` without following symlinks."""
    tree = _Tree()

    def walk(directory: Path, prefix: str) -> None:
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as error:
            raise WriteError(f"cannot read output directory {directory}: {error.strerror or error}") from None
        if not entries and prefix:
            tree.empty_dirs.add(prefix.rstrip("/"))
        for entry in entries:
            relative = prefix + entry.name
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except FileNotFoundError:
                continue  # removed while we looked (a temp file of a build that died is no concern)
            except OSError as error:
                raise WriteError(f"cannot read {directory / entry.name}: {error.strerror or error}") from None
            if stat.S_ISDIR(mode):
                tree.dirs.add(relative)
                walk(Path(entry.path), relative + "/")
            elif stat.S_ISREG(mode) and _is_temp(entry.name):
                tree.temps.append(relative)
            elif stat.S_ISREG(mode):
                if relative == LOCK:
                    continue
                try:
                    with open(entry.path, "rb") as handle:
                        tree.files[relative] = handle.read()
                except OSError as error:
                    raise WriteError(f"cannot read {entry.path}: {error.strerror or error}") from None
            else:
                tree.others.append(relative + _kind(mode))

    walk(out, "")
    return tree


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return " (symlink)"
    if stat.S_ISFIFO(mode):
        return " (FIFO)"
    if stat.S_ISSOCK(mode):
        return " (socket)"
    return " (device)"


def _check_directory(out: Path) -> bool:
    """True when `out` is an existing directory (or a symlink to one), False when absent; WriteError otherwise."""
    try:
        info = out.stat()
    except FileNotFoundError:
        if out.is_symlink():
            raise WriteError(
                f"output path {out} is a symlink to {os.readlink(out)}, which does not exist",
                help="create the directory the symlink points to, or choose another --out",
            ) from None
        return False
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise WriteError(
                f"output path {out} is a symlink loop", help="fix or remove the symlink, or choose another --out"
            ) from None
        raise WriteError(f"cannot read output path {out}: {error.strerror or error}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise WriteError(
            f"output path {out} exists and is not a directory",
            help="choose another --out, or remove the file",
        )
    return True


def _wanted(artifacts: Mapping[str, bytes]) -> dict[str, bytes]:
    return {**artifacts, MANIFEST: manifest_bytes(artifacts)}


def stale_files(out: Path, artifacts: Mapping[str, bytes]) -> list[str]:
    """Paths under `out` that differ from `artifacts`: changed, missing or no longer produced."""
    wanted = _wanted(artifacts)
    try:
        existing = _scan(out).files if _check_directory(out) else {}
    except WriteError:
        return sorted(wanted)
    return sorted(path for path in set(wanted) | set(existing) if wanted.get(path) != existing.get(path))


def _refuse_foreign(out: Path, tree: _Tree) -> None:
    foreign = tree.foreign()
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise WriteError(
            f"output directory {out} holds entries monitoring-dsl did not write: {shown}",
            help="build into a directory of its own (default build/), or move those entries away",
        )


@contextlib.contextmanager
def _locked(out: Path, timeout: float) -> Iterator[None]:
    """Hold the output directory's lock; wait up to `timeout` seconds for another build to finish."""
    try:
        fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o666)
    except OSError as error:
        raise WriteError(
            f"cannot create the lock file {out / LOCK}: {error.strerror or error}",
            help="check that the output directory is writable and that its lock file is a plain file",
        ) from None
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WriteError(
                        f"another monitoring-dsl build is writing {out} (waited {timeout:.0f} s for its lock)",
                        help="wait for that build to finish, then build again",
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends, so that an interruption never falls between creating a
    temporary file and renaming (or removing) it; the signal is acted on right after."""
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _replace(target: Path, data: bytes, mode: int) -> None:
    """Write `data` to a temporary file beside `target`, then rename it over `target` (atomic for readers)."""
    with _signals_held():
        fd, temp = tempfile.mkstemp(prefix=f".{target.name[:60]}.", suffix=TEMP_SUFFIX, dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                os.fchmod(handle.fileno(), mode)
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise


def write_tree(out: Path, artifacts: Mapping[str, bytes], lock_timeout: float = LOCK_TIMEOUT) -> bool:
    """Make `out` hold exactly `artifacts` (and the manifest), in place. False when it already did.

    `out` is created when missing; an existing directory (or symlink to one) keeps its identity.
    """
    relative = {path: safe_relative(path) for path in artifacts}
    _check_files_not_dirs(relative)
    out = Path(os.path.abspath(out))
    _recover_swap_leftovers(out)
    try:
        if not _check_directory(out):
            out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise WriteError(
            f"cannot create the output directory {out}: {error.strerror or error}",
            help="check that the parent directory exists and is writable",
        ) from None
    if not (out / MANIFEST).is_file() and any(not _is_temp(n) and n != LOCK for n in _listdir(out)):
        _refuse_foreign(out, _scan(out))  # not ours: refuse before even creating the lock file in it
    with _locked(out, lock_timeout):
        tree = _scan(out)
        _refuse_foreign(out, tree)
        try:
            return _update(out, tree, artifacts, relative)
        except OSError as error:
            raise WriteError(
                f"cannot write the output directory {out}: {error.strerror or error}",
                help="check free space and permissions, then build again: the next build completes this one",
            ) from None


def write_cache(path: Path, data: bytes) -> None:
    """Replace the build cache file `path` (see buildcache.py) atomically, creating its directory with a
    `.gitignore` that keeps it out of version control. The cache lives outside the output directory, whose
    bytes stay exactly what the specs produce."""
    try:
        directory = path.parent
        if not directory.is_dir():
            directory.mkdir(parents=True, exist_ok=True)
        ignore = directory / ".gitignore"
        if not ignore.exists():
            _replace(ignore, GITIGNORE, 0o666 & ~_umask())
        _replace(path, data, 0o666 & ~_umask())
    except OSError as error:
        raise WriteError(
            f"cannot write the build cache {path}: {error.strerror or error}",
            help="check free space and permissions, or build with --no-cache",
        ) from None


def _recover_swap_leftovers(out: Path) -> None:
    """Repair what an interrupted build of the previous, swapping writer left beside `out`.

    It wrote `.<name>.new-*` and moved the old tree to `.<name>.old-*`; a build killed between its two renames
    left no `out` at all. The old tree goes back to `out` (its identity with it), and staging directories that
    hold a manifest (written by monitoring-dsl, nothing else) are removed.
    """
    try:
        entries = list(os.scandir(out.parent))
    except OSError:
        return
    prefixes = (f".{out.name}.new-", f".{out.name}.old-")
    leftovers = sorted(
        (e for e in entries if e.name.startswith(prefixes) and e.is_dir(follow_symlinks=False)),
        key=lambda e: e.name,
    )
    leftovers = [e for e in leftovers if os.path.isfile(os.path.join(e.path, MANIFEST))]
    if not os.path.lexists(out):
        retired = [e for e in leftovers if e.name.startswith(prefixes[1])]
        if retired:
            with contextlib.suppress(OSError):
                os.rename(retired[0].path, out)
                leftovers.remove(retired[0])
    for entry in leftovers:
        shutil.rmtree(entry.path, ignore_errors=True)


def _listdir(out: Path) -> list[str]:
    try:
        return os.listdir(out)
    except OSError as error:
        raise WriteError(f"cannot read output directory {out}: {error.strerror or error}") from None


def _check_files_not_dirs(relative: Mapping[str, PurePosixPath]) -> None:
    """No artifact path is also a directory of another artifact."""
    dirs = {str(parent) for pure in relative.values() for parent in pure.parents}
    clash = sorted(path for path in relative if path in dirs)
    if clash:
        raise WriteError(f"refusing to write {clash[0]!r}: it is both a file and a directory of the output")


def _update(out: Path, tree: _Tree, artifacts: Mapping[str, bytes], relative: Mapping[str, PurePosixPath]) -> bool:
    for temp in tree.temps:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(out / temp)
    owned = tree.owned()
    wanted = _wanted(artifacts)
    if {path: tree.files.get(path) for path in wanted} == wanted and owned == set(artifacts):
        return False
    umask = _umask()
    intent = owned | set(artifacts)
    if intent != owned:
        _replace(out / MANIFEST, manifest_bytes(sorted(intent)), 0o666 & ~umask)
    for path, data in artifacts.items():
        if tree.files.get(path) == data:
            continue
        target = out.joinpath(*relative[path].parts)
        _make_parents(out, relative[path])
        try:
            mode = stat.S_IMODE(os.lstat(target).st_mode)
        except FileNotFoundError:
            mode = 0o666 & ~umask
        _replace(target, data, mode)
    keep = {str(parent) for pure in relative.values() for parent in pure.parents}
    for path in sorted(owned - set(artifacts)):
        pure = safe_relative(path)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(out.joinpath(*pure.parts))
        for parent in pure.parents:
            if str(parent) in keep or str(parent) == ".":
                break
            with contextlib.suppress(OSError):  # not empty: something else still lives there
                os.rmdir(out.joinpath(*parent.parts))
    if tree.files.get(MANIFEST) != wanted[MANIFEST] or intent != owned:
        _replace(out / MANIFEST, wanted[MANIFEST], 0o666 & ~umask)
    return True


def _make_parents(out: Path, pure: PurePosixPath) -> None:
    directory = out
    for part in pure.parts[:-1]:
        directory = directory / part
        try:
            os.mkdir(directory)
        except FileExistsError:
            if not stat.S_ISDIR(os.lstat(directory).st_mode):
                raise WriteError(f"cannot write {out / pure}: {directory} is not a directory") from None

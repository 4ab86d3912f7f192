"""Write: the only code that touches the output directory.

The new tree is written beside the old one and swapped in with two renames, so a failed build leaves the
previous `build/` as it was, and files no spec produces any more disappear with the old tree. A manifest
records what monitoring-dsl wrote: a directory holding anything else is refused rather than replaced, so
`--out .` can never delete a user's work. Every path is checked to stay inside the output directory.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

MANIFEST = ".monitoring-dsl-manifest"


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
        or path == MANIFEST
    ):
        raise WriteError(f"refusing to write {path!r}: not a plain path inside the output directory")
    return pure


def manifest_bytes(artifacts: Mapping[str, bytes]) -> bytes:
    lines = ["# Files written by monitoring-dsl build. The whole directory is replaced on every build."]
    lines += sorted(artifacts)
    return ("\n".join(lines) + "\n").encode()


def _existing_tree(out: Path) -> dict[str, bytes] | None:
    """The files under `out` (relative posix path -> bytes), None when `out` does not exist."""
    if not out.exists():
        return None
    if not out.is_dir():
        raise WriteError(
            f"output path {out} exists and is not a directory",
            help="choose another --out, or remove the file",
        )
    tree: dict[str, bytes] = {}
    try:
        for file in sorted(out.rglob("*")):
            if file.is_file() or file.is_symlink():
                tree[file.relative_to(out).as_posix()] = file.read_bytes() if file.is_file() else b""
    except OSError as error:
        raise WriteError(f"cannot read output directory {out}: {error.strerror or error}") from None
    return tree


def _foreign_files(tree: Mapping[str, bytes]) -> list[str]:
    """Files in an existing output tree that no previous build recorded writing."""
    if not tree:
        return []
    if MANIFEST not in tree:
        return sorted(tree)
    owned = {line for line in tree[MANIFEST].decode("utf-8", "replace").splitlines() if not line.startswith("#")}
    return sorted(path for path in tree if path != MANIFEST and path not in owned)


def stale_files(out: Path, artifacts: Mapping[str, bytes]) -> list[str]:
    """Paths under `out` that differ from `artifacts`: changed, missing or no longer produced."""
    wanted = {**artifacts, MANIFEST: manifest_bytes(artifacts)}
    try:
        existing = _existing_tree(out) or {}
    except WriteError:
        return sorted(wanted)
    return sorted(path for path in set(wanted) | set(existing) if wanted.get(path) != existing.get(path))


def write_tree(out: Path, artifacts: Mapping[str, bytes]) -> bool:
    """Replace `out` with exactly `artifacts`. Returns False when `out` already held them (nothing written)."""
    relative = {path: safe_relative(path) for path in artifacts}
    existing = _existing_tree(out)
    if existing is not None:
        foreign = _foreign_files(existing)
        if foreign:
            shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
            raise WriteError(
                f"output directory {out} holds files monitoring-dsl did not write: {shown}",
                help="build into a directory of its own (default build/), or move those files away",
            )
        if existing == {**artifacts, MANIFEST: manifest_bytes(artifacts)}:
            return False
    parent = out.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=parent))
    except OSError as error:
        raise WriteError(
            f"cannot create the output directory {out}: {error.strerror or error}",
            help="check that the parent directory exists and is writable",
        ) from None
    try:
        os.chmod(staging, 0o755)
        for path, data in artifacts.items():
            target = staging.joinpath(*relative[path].parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        (staging / MANIFEST).write_bytes(manifest_bytes(artifacts))
        _swap(staging, out.absolute())
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise WriteError(
            f"cannot write the output directory {out}: {error.strerror or error}",
            help="check free space and permissions; the previous build was left as it was",
        ) from None
    return True


def _swap(staging: Path, out: Path) -> None:
    """Move `staging` to `out`, keeping the old tree until the new one is in place."""
    if not out.exists():
        staging.rename(out)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    retired.rmdir()
    out.rename(retired)
    try:
        staging.rename(out)
    except OSError:
        retired.rename(out)
        raise
    shutil.rmtree(retired, ignore_errors=True)

"""Load, for plain files: Prometheus rule files and Grafana dashboard JSON become the Project the checks read.

Each file becomes one spec module. What a file holds is decided by its content (a `groups:` mapping is a rule
file; an object with `panels` or `rows`, bare or under `dashboard`, is a dashboard), so a dashboard saved
without an extension still imports. A file that cannot be read or recognised is a diagnostic, never a
traceback, and every imported object's `location` is the file and line it came from.
"""

from __future__ import annotations

import codecs
import stat
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import attrs

from monitoring_dsl import codes
from monitoring_dsl.diagnostics import Diagnostic
from monitoring_dsl.load import grafana_json, json_positions, rules_yaml
from monitoring_dsl.load.discovery import display_path, expand_plain, source_path
from monitoring_dsl.model.base import SourceLocation, SpecError
from monitoring_dsl.model.project import Declared, Project, SpecModule

MAX_BYTES = 50 * 1024 * 1024
_TEXT_HELP = "pass a text file: a Prometheus rule file (YAML) or a Grafana dashboard (JSON)"

T = TypeVar("T")


@attrs.frozen
class PlainLoad:
    """The plain files as a project, and the problems met reading them."""

    project: Project
    diagnostics: tuple[Diagnostic, ...]


@attrs.define
class Importing:
    """One file being imported: the objects it declares so far and the problems met, all located in it."""

    path: str
    target: tuple[int, int] = (2, 42)  # the Prometheus version whose rule loader the file must satisfy
    declared: list[object] = attrs.field(factory=list)
    diagnostics: list[Diagnostic] = attrs.field(factory=list)

    def at(self, line: int, column: int = 0) -> SourceLocation:
        return SourceLocation(self.path, line, column)

    def build(self, factory: Callable[..., T], where: int | tuple[int, int], *args: Any, **kwargs: Any) -> T | None:
        """`factory(*args, **kwargs)` located at `where` (a line, or a line and column); None, with a diagnostic,
        when the model refuses it."""
        line, column = where if isinstance(where, tuple) else (where, 0)
        try:
            built = factory(*args, **kwargs)
        except SpecError as error:
            self.invalid(error.message, line, error.help)
            return None
        except (TypeError, ValueError) as error:
            self.invalid(f"{type(error).__name__}: {error}", line)
            return None
        object.__setattr__(built, "location", self.at(line, column))
        return built

    def declare(self, obj: object) -> None:
        self.declared.append(obj)

    def invalid(self, message: str, line: int, help: str | None = None) -> None:
        """E002: the file holds an object the model cannot represent; the object is skipped."""
        help = help or "fix the value in the file; the object is left out until then"
        self.diagnostics.append(codes.INVALID_DECLARATION(message, self.at(line), help=help))

    def unreadable(self, message: str, line: int = 1, column: int = 0, help: str | None = None) -> None:
        help = help or "pass a UTF-8 Prometheus rule file (YAML) or a Grafana dashboard (JSON)"
        self.diagnostics.append(codes.INPUT_UNREADABLE(message, self.at(line, column), help=help))

    def not_recognised(self, message: str, line: int = 1, help: str | None = None) -> None:
        help = help or "pass a Prometheus rule file (a mapping with `groups:`) or a Grafana dashboard JSON"
        self.diagnostics.append(codes.INPUT_NOT_RECOGNISED(message, self.at(line), help=help))


def load_plain_files(paths: Sequence[Path], root: Path, target: tuple[int, int] = (2, 42)) -> PlainLoad:
    """Import every rule file and dashboard under `paths`; `root` is what module sources are relative to,
    `target` the Prometheus version whose rule loader the files must satisfy.

    A directory gives its `*.yml`, `*.yaml` and `*.json` files, recursively; a file is read whatever its name.
    """
    modules: list[SpecModule] = []
    declared: list[Declared] = []
    diagnostics: list[Diagnostic] = []
    names: set[str] = set()
    for file in expand_plain(paths, diagnostics):
        name = _unique_name(file.stem, names)
        modules.append(SpecModule(name, source_path(file, root)))
        imported = import_file(file, target)
        declared.extend(Declared(obj, name) for obj in imported.declared)
        diagnostics.extend(imported.diagnostics)
    return PlainLoad(Project(tuple(modules), tuple(declared)), tuple(diagnostics))


def import_file(file: Path, target: tuple[int, int] = (2, 42)) -> Importing:
    """One file's objects and problems. Whatever the file holds, no exception escapes."""
    out = Importing(display_path(file), target)
    try:
        text = _read_text(file, out)
        if text is not None:
            _import_text(text, file.suffix.lower(), out)
    except Exception as error:  # a hostile file must give a diagnostic, never a traceback
        out.declared.clear()
        out.unreadable(f"could not import the file: {type(error).__name__}: {error}")
    return out


def _unique_name(stem: str, taken: set[str]) -> str:
    name, number = stem, 1
    while name in taken:
        number += 1
        name = f"{stem}_{number}"
    taken.add(name)
    return name


def _read_text(file: Path, out: Importing) -> str | None:
    """The file as text, or None after a diagnostic: unreadable, too large, binary, not UTF-8 or empty."""
    data = _read_bytes(file, out)
    if data is None:
        return None
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)  # the BOM tells the byte order and is dropped
            except UnicodeDecodeError as error:
                out.unreadable(f"the file is not valid {encoding.upper()}: {error.reason}", help="save it as UTF-8")
                return None
            if not text.strip():
                _empty(out)
                return None
            return text
    if b"\x00" in data:
        line, column = _position(data, data.index(b"\x00"))
        out.unreadable("the file is binary (it holds a NUL byte)", line, column, help=_TEXT_HELP)
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line, column = _position(data, error.start)
        message = f"the file is not UTF-8: byte 0x{data[error.start]:02x} cannot be decoded"
        out.unreadable(message, line, column, help="save the file as UTF-8")
        return None
    if not text.strip():
        _empty(out)
        return None
    return text


def _empty(out: Importing) -> None:
    out.unreadable("the file is empty")


def _read_bytes(file: Path, out: Importing) -> bytes | None:
    """At most MAX_BYTES of the file, or None after a diagnostic; a larger file is not read at all."""
    try:
        info = file.stat()
        if not stat.S_ISREG(info.st_mode):  # reading a FIFO or a device could block forever
            out.unreadable(
                f"{display_path(file)} is not a regular file ({_file_kind(info.st_mode)})",
                help="pass rule files, dashboards, or directories holding them",
            )
            return None
        size = info.st_size
        data = b""
        if size <= MAX_BYTES:
            with file.open("rb") as handle:
                data = handle.read(MAX_BYTES + 1)  # a pipe or device has no size to stat
    except OSError as error:
        out.unreadable(f"cannot read the file: {error.strerror or error}")
        return None
    if max(size, len(data)) > MAX_BYTES:
        out.unreadable(
            f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB and was not parsed",
            help="split it into smaller rule files or dashboards",
        )
        return None
    return data


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "a device"


# Byte order marks of the encodings Python and YAML/JSON readers accept besides UTF-8, longest first.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column of byte `offset`."""
    return data.count(b"\n", 0, offset) + 1, offset - (data.rfind(b"\n", 0, offset) + 1) + 1


def _import_text(text: str, suffix: str, out: Importing) -> None:
    """JSON when the name says so or the text opens like JSON; YAML otherwise, or when a .yml file is not JSON."""
    if suffix != ".json" and text.lstrip()[:1] not in ("{", "["):
        rules_yaml.import_rules(text, out)
        return
    try:
        data = json_positions.parse_json(text)
    except json_positions.JsonSyntaxError as error:
        if suffix in (".yml", ".yaml"):
            rules_yaml.import_rules(text, out)  # YAML flow style, which is not JSON
        else:
            help = "fix the JSON at this position, where the parser gave up"
            out.unreadable(f"invalid JSON: {error.message}", error.line, error.column, help=help)
        return
    board = grafana_json.find_dashboard(data)
    if board is not None:
        grafana_json.import_dashboard(board, out, data)
    elif isinstance(data, dict) and "groups" in data:
        rules_yaml.import_rules(text, out)  # a rule file written as JSON, which is YAML too
    else:
        out.not_recognised(
            f"the JSON {_json_kind(data)} is neither a Grafana dashboard nor a Prometheus rule file",
            help="a dashboard is an object with `panels` or `rows` (or one under `dashboard`, as the HTTP API "
            "returns it); a rule file is an object with `groups`",
        )


def _json_kind(data: object) -> str:
    if isinstance(data, dict):
        return "object"
    return "array" if isinstance(data, list) else "value"

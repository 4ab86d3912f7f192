"""Load: import each spec file, collect every declared object by type, and turn failures into diagnostics.

Spec modules may import each other by file name (`from catalog import requests`): while loading, a finder
resolves those names to the spec files. Modules are executed from source we read ourselves, so no bytecode is
written into the user's specs directory and a file that is not UTF-8 gets a proper diagnostic; `build` and
`lint` keep the compiled modules in the project's cache instead (load/bytecode.py).
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import importlib
import importlib.abc
import importlib.machinery
import io
import os
import re
import sys
import threading
import tokenize
import traceback
import types
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NoReturn

import attrs

from monitoring_dsl import codes
from monitoring_dsl.diagnostics import Diagnostic
from monitoring_dsl.interrupts import Interrupted
from monitoring_dsl.load import restore as restore_
from monitoring_dsl.load.bytecode import CodeCache
from monitoring_dsl.load.discovery import discover, display_path, source_path
from monitoring_dsl.model.base import SourceLocation, SpecError, nearest, set_collector
from monitoring_dsl.model.dashboards import Dashboard
from monitoring_dsl.model.metrics import Metric
from monitoring_dsl.model.project import Declared, Project, SpecModule
from monitoring_dsl.model.rules import Alert, Record, RuleGroup
from monitoring_dsl.model.ruletests import RuleTest
from monitoring_dsl.model.slo import SLO
from monitoring_dsl.model.stack import Prometheus, Routing, Service
from monitoring_dsl.sources import Sources

_COLLECTED_TYPES = (Metric, Dashboard, RuleGroup, Alert, Record, RuleTest, SLO, Service, Prometheus, Routing)


@attrs.frozen
class LoadResult:
    project: Project
    diagnostics: tuple[Diagnostic, ...]
    tracebacks: tuple[str, ...]  # shown with --debug
    output: tuple[tuple[str, str], ...] = ()  # (spec path, what it printed), shown beside the diagnostics
    # module -> its objects pickled as checks/kept.py keys them (load/restore.py), when loaded with a cache
    pickled: Mapping[str, bytes] = attrs.field(factory=dict)


class _SpecDecodeError(SyntaxError):
    """A spec file that is not valid UTF-8."""


class _SpecImporter(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds spec modules by name and executes them, tracking which module is being executed."""

    def __init__(self, files: dict[str, Path], root: Path, code: CodeCache):
        self.files = files
        self.root = root
        self.code = code
        self.executing: list[str] = []
        self.executed: set[str] = set()
        self.watch: restore_.Watch | None = None

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname in self.files:
            return importlib.machinery.ModuleSpec(fullname, self, origin=str(self.files[fullname]))
        return None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        file = self.files[module.__name__]
        shown = display_path(file)
        data = file.read_bytes()
        try:  # what Python itself reads: a UTF-8 byte order mark, or a `# -*- coding: ... -*-` line
            encoding, _lines = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as error:
            raise _SpecDecodeError(f"spec file encoding cannot be used: {error.msg}", (shown, 1, 1, None)) from None
        try:
            source = data.decode(encoding)
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
            named = "UTF-8" if encoding in ("utf-8", "utf-8-sig") else encoding
            raise _SpecDecodeError(
                f"spec file is not {named}: byte 0x{data[error.start]:02x} cannot be decoded",
                (shown, line, column, None),
            ) from None
        code = self.code.compile(data, source, shown)
        module.__file__ = shown
        self.executed.add(module.__name__)
        if self.watch is not None:
            self.watch.code(module.__name__, code)
        self.executing.append(module.__name__)
        try:
            exec(code, module.__dict__)
        finally:
            self.executing.pop()


def _spec_frame(tb: types.TracebackType | None, spec_paths: set[str]) -> SourceLocation | None:
    """The innermost traceback frame that lies in a spec file."""
    found = None
    for frame, line in traceback.walk_tb(tb):
        if frame.f_code.co_filename in spec_paths:
            found = SourceLocation(frame.f_code.co_filename, line)
    return found


def _visible_names(tb: types.TracebackType | None, spec_paths: set[str]) -> list[str]:
    """Names a spec could have meant: the globals and locals of its innermost frame, and the builtins."""
    names: set[str] = set(dir(builtins))
    for frame, _line in traceback.walk_tb(tb):
        if frame.f_code.co_filename in spec_paths:
            names = set(dir(builtins)) | set(frame.f_globals) | set(frame.f_locals)
    return sorted(name for name in names if not name.startswith("__"))


def _import_failure(
    error: BaseException,
    spec_paths: set[str],
    module_names: Mapping[str, Path],
    fallback: SourceLocation,
    sources: Sources,
) -> Diagnostic:
    if isinstance(error, SpecError):
        location = error.location or fallback
        if error.field:
            location = sources.keyword(location, error.field) or location
        return codes.INVALID_DECLARATION(error.message, location, help=error.help)
    if isinstance(error, _SpecDecodeError):
        location = SourceLocation(str(error.filename), error.lineno or 1, error.offset or 0)
        return codes.SPEC_NOT_UTF8(
            str(error.msg),
            location,
            help="save the file as UTF-8 (Python source is UTF-8 unless declared otherwise)",
        )
    if isinstance(error, SyntaxError):
        filename = error.filename or fallback.path
        location = SourceLocation(filename, error.lineno or 1, error.offset or 0)
        keyword = _KEYWORD_ARGUMENT_RE.search(error.text or "")
        return codes.SPEC_FAILED(
            f"Python syntax error: {error.msg}",
            location,
            help=(
                f"`{keyword.group(1)}` is a Python keyword, so it cannot name an argument: write"
                f' `{keyword.group(1)}_=` (e.g. for_="2m")'
                if keyword
                else "fix the syntax; `python -m py_compile FILE` shows the same error"
            ),
        )
    location = _spec_frame(error.__traceback__, spec_paths) or fallback
    message = f"{type(error).__name__}: {_safe_str(error)}"
    if isinstance(error, _SpecExited):
        message = _safe_str(error)
    help = "the spec raised while it was imported; run with --debug for the traceback"
    if isinstance(error, (SystemExit, _SpecExited, KeyboardInterrupt, GeneratorExit)):
        help = "a spec must not end the process: remove that call, or raise an exception that says what is wrong"
    if isinstance(error, NameError) and error.name:
        exporter = _exporter(error.name, module_names)
        hint = nearest(error.name, _visible_names(error.__traceback__, spec_paths))
        if exporter:
            help = f"add `from {exporter} import {error.name}` at the top of the spec"
        elif hint:
            help = f"did you mean {hint!r}?"
    metric = getattr(error, "obj", None) if isinstance(error, AttributeError) else None
    if isinstance(metric, Metric):
        help = _metric_helpers_help(metric)
    if isinstance(error, ModuleNotFoundError) and error.name and "." not in error.name:
        hint = nearest(error.name, module_names)
        if hint:
            help = f"did you mean the spec module {hint!r}?"
    elif isinstance(error, ImportError) and error.name in module_names:
        missing = str(error).split("'")[1] if str(error).count("'") >= 2 else ""
        candidates = (
            [n for n in vars(sys.modules[error.name]) if not n.startswith("_")] if error.name in sys.modules else []
        )
        hint = nearest(missing, candidates) if missing else None
        if hint:
            help = f"did you mean {hint!r}?"
    return codes.SPEC_FAILED(message, location, help=help)


_KEYWORD_ARGUMENT_RE = re.compile(r"(?:^|[(,])\s*(for|in|if|is|as|with|from|class|lambda|global|import)\s*=(?!=)")

# The query helpers of each metric type (what `requests.rate()` may call).
_HELPERS = {"counter": ("rate", "increase"), "histogram": ("quantile", "mean"), "gauge": (), "summary": ()}


def _exporter(name: str, modules: Mapping[str, Path]) -> str | None:
    """The module a spec can import `name` from: monitoring_dsl, or a spec module that defines it at its top
    level (read from its syntax tree when it is not imported yet)."""
    import monitoring_dsl

    if name in getattr(monitoring_dsl, "__all__", ()):
        return "monitoring_dsl"
    if name.startswith("_"):
        return None
    for module_name, file in modules.items():
        module = sys.modules.get(module_name)
        if module is not None and name in vars(module):
            return module_name
        if module is None and name in _top_level_names(file):
            return module_name
    return None


def _top_level_names(file: Path) -> set[str]:
    """Names a module file binds at its top level: assignments, functions, classes."""
    try:
        tree = ast.parse(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return set()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _metric_helpers_help(metric: Metric) -> str:
    kind = metric.kind
    helpers = _HELPERS.get(kind, ())
    name = type(metric).__name__
    if helpers:
        listed = ", ".join(f".{h}()" for h in helpers)
        return f"a {name} has the query helpers {listed}; write other queries as PromQL strings"
    if kind == "gauge":
        return (
            f'a Gauge has no query helpers: it is queried as it is, e.g. "sum({metric.name})",'
            " or deriv()/delta() for its change; rate() is for counters"
        )
    return (
        f"a Summary has no query helpers: query {metric.name}_sum and {metric.name}_count"
        f" (mean: rate of _sum / rate of _count), or declare a Histogram to use .quantile()"
    )


MAX_OUTPUT = 4000  # characters of a spec's printed output kept for display


class _SpecExited(BaseException):
    """A spec called os._exit(): it must not end the process (and its exit code) behind the tool's back."""

    def __init__(self, code: object):
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        return f"the spec called os._exit({self.code!r})"


def _spec_os_exit(status: int) -> NoReturn:
    raise _SpecExited(status)


def _import_fenced(name: str) -> tuple[BaseException | None, str]:
    """Import spec module `name` with the process's state fenced off: what it prints is captured, and the
    working directory, sys.path, sys.meta_path, sys.path_hooks and the modules it found in sys.modules are
    restored afterwards. Everything it raises is returned (a signal that stops the run is re-raised)."""
    cwd = _getcwd()
    path, meta_path, path_hooks = list(sys.path), list(sys.meta_path), list(sys.path_hooks)
    modules = dict(sys.modules)
    stdout, stderr, os_exit = sys.stdout, sys.stderr, os._exit
    captured = io.StringIO()
    failure: BaseException | None = None
    sys.stdout = sys.stderr = captured
    os._exit = _spec_os_exit
    try:
        importlib.import_module(name)
    except Interrupted:
        raise
    except BaseException as error:  # SystemExit, KeyboardInterrupt, GeneratorExit from a spec are its failures
        failure = error
    finally:
        sys.stdout, sys.stderr, os._exit = stdout, stderr, os_exit
        if cwd is not None and _getcwd() != cwd:
            with contextlib.suppress(OSError):
                os.chdir(cwd)
        sys.path[:], sys.meta_path[:], sys.path_hooks[:] = path, meta_path, path_hooks
        for module_name, module in modules.items():
            if sys.modules.get(module_name) is not module:
                sys.modules[module_name] = module
    printed = captured.getvalue()
    if len(printed) > MAX_OUTPUT:
        printed = printed[:MAX_OUTPUT] + f"\n... ({len(printed) - MAX_OUTPUT} more characters)"
    return failure, printed


def _running_threads(before: set[threading.Thread], file: Path, spec_paths: set[str]) -> list[Diagnostic]:
    """E001 for each non-daemon thread the spec module started and left running: the process would wait for
    it at exit, so a build would never finish."""
    found = []
    for thread in threading.enumerate():
        if thread in before or thread.daemon or not thread.is_alive():
            continue
        target = getattr(thread, "_target", None)
        code = getattr(target, "__code__", None)
        location = SourceLocation(display_path(file), 1)
        if code is not None and code.co_filename in spec_paths:
            location = SourceLocation(code.co_filename, code.co_firstlineno)
        found.append(
            codes.SPEC_FAILED(
                f"the spec started thread {thread.name!r}, which is still running after the spec was imported",
                location,
                help="specs declare objects and return; start no threads (or make it daemon=True and join it)",
            )
        )
    return found


def _getcwd() -> str | None:
    try:
        return os.getcwd()
    except OSError:
        return None


def _safe_str(error: BaseException) -> str:
    """`str(error)`, even for an exception whose __str__ raises."""
    try:
        return str(error)
    except BaseException as failure:
        if isinstance(failure, Interrupted):
            raise
        return f"<{type(error).__name__} whose message cannot be shown: its __str__ raised {type(failure).__name__}>"


def _format_traceback(error: BaseException) -> str:
    try:
        return "".join(traceback.format_exception(error))
    except BaseException as failure:
        if isinstance(failure, Interrupted):
            raise
        return "".join(traceback.format_tb(error.__traceback__)) + f"{type(error).__name__}: {_safe_str(error)}\n"


def load(paths: Sequence[Path], root: Path, code_cache: Path | None = None, restore: bool = True) -> LoadResult:
    """Import every spec under `paths`; `root` is what header paths are relative to. With `code_cache` (a
    directory), compiled modules are kept there between runs (load/bytecode.py), and so are the objects of each
    module, restored instead of executing the module when nothing it reads changed (load/restore.py; not when
    `restore` is False)."""
    files, diagnostics = discover(paths)
    by_name = {file.stem: file for file in files}
    spec_paths = {display_path(file) for file in files}
    importer = _SpecImporter(by_name, root, CodeCache(code_cache))
    declared: list[Declared] = []
    seen: set[int] = set()
    tracebacks: list[str] = []
    sources = Sources()
    kept = restore_.Kept(code_cache, by_name, root) if code_cache is not None else None
    restoring = kept.restorable() if kept is not None and restore else {}
    watch = restore_.Watch(by_name) if kept is not None else None
    importer.watch = watch
    restored: set[str] = set()

    def collect(obj: object) -> None:
        if not importer.executing:
            return
        module = importer.executing[-1]
        if watch is not None:
            watch.made(obj, module)
        if isinstance(obj, _COLLECTED_TYPES) and id(obj) not in seen:
            seen.add(id(obj))
            declared.append(Declared(obj, module))

    def ensure(name: str) -> None:
        """Restore the module, its imports first as executing it would; or import it."""
        if name in sys.modules or name in restored:
            return
        record = restoring.get(name)
        if record is not None and record.pickled is not None:
            restored.add(name)
            for imported in record.imports:
                ensure(imported)
            declared.extend(Declared(obj, name) for obj in restore_.objects(record.pickled))
            return
        file = by_name[name]
        threads = set(threading.enumerate())
        error, printed = _import_fenced(name)
        if printed:
            output.append((display_path(file), printed))
            if watch is not None:
                watch.unrestorable.add(name)  # executed every run, to show what it prints
        running = _running_threads(threads, file, spec_paths)
        diagnostics.extend(running)
        if running:
            failed.add(name)
        if error is not None:
            diagnostics.append(
                _import_failure(error, spec_paths, by_name, SourceLocation(display_path(file), 1), sources)
            )
            tracebacks.append(_format_traceback(error))
            sys.modules.pop(name, None)
            failed.add(name)

    previous = set_collector(collect)
    sys.meta_path.insert(0, importer)
    previous_import = None
    if watch is not None:
        previous_import = restore_.install_import(watch.wrap_import(importer.executing, builtins.__import__))
    output: list[tuple[str, str]] = []
    failed: set[str] = set()
    try:
        for name in by_name:
            ensure(name)
    finally:
        if previous_import is not None:
            builtins.__import__ = previous_import
        sys.meta_path.remove(importer)
        set_collector(previous)
        for name in by_name:
            sys.modules.pop(name, None)
    if restored & importer.executed:  # an executed module newly imports one that was restored: start again
        return load(paths, root, code_cache, restore=False)
    modules = tuple(SpecModule(name, source_path(file, root)) for name, file in by_name.items())
    project = Project(modules, tuple(declared))
    pickles: dict[str, bytes] = {}
    if kept is not None and watch is not None:
        pickles = _keep(kept, watch, project, restoring, restored, importer.executed, failed)
    return LoadResult(project, tuple(diagnostics), tuple(tracebacks), tuple(output), pickles)


def _keep(
    kept: restore_.Kept,
    watch: restore_.Watch,
    project: Project,
    restoring: Mapping[str, restore_.Record],
    restored: set[str],
    executed: set[str],
    failed: set[str],
) -> dict[str, bytes]:
    """Record what this load showed of each module into the cache; returns every module's pickled objects."""
    by_module: dict[str, list[object]] = {}
    for declared in project.declared:
        by_module.setdefault(declared.module, []).append(declared.obj)
    records: dict[str, restore_.Record] = {}
    pickles: dict[str, bytes] = {}
    for module in project.modules:
        name = module.name
        digest = kept.digests.get(name)
        if name in restored:
            record = restoring[name]
            records[name] = record
            if record.pickled is not None:
                pickles[name] = record.pickled
            continue
        if digest is None or name not in executed:
            continue
        data = restore_.pickled(name, module.source, by_module.get(name, []))
        if data is not None:
            pickles[name] = data
        keepable = name not in failed and name not in watch.unrestorable and name not in watch.impure
        imports = tuple(watch.imports.get(name, ()))
        records[name] = restore_.Record(digest, imports, data if keepable else None, name not in watch.impure)
    if not failed:
        kept.keep(records)
    return pickles

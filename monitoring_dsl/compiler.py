"""The pipeline: load the specs (or plain rule files and dashboards), run every check, and emit the output
tree when nothing is an error. `lint` is the same pipeline without emit."""

from __future__ import annotations

import os
import threading
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from monitoring_dsl import checkcache, codes, forked, outputcache, querycache
from monitoring_dsl.checks import CheckContext, Part, finish, plan, run_part
from monitoring_dsl.checks.isolation import set_aside_unanalysable
from monitoring_dsl.checks.kept import Entry, Kept, local_codes, run_local
from monitoring_dsl.collector import collector_paused, frozen_heap
from monitoring_dsl.diagnostics import (
    Diagnostic,
    PlainDiagnostic,
    Related,
    from_plain,
    has_errors,
    sort_diagnostics,
    to_plain,
)
from monitoring_dsl.emit import Artifacts, OutputCollision, emit_with_parts
from monitoring_dsl.emit.slo import expand_slos
from monitoring_dsl.load.discovery import split_inputs
from monitoring_dsl.load.limits import oversized, unencodable_text
from monitoring_dsl.load.specs import load
from monitoring_dsl.model.project import Project
from monitoring_dsl.model.settings import Settings
from monitoring_dsl.sources import Sources


@attrs.frozen
class CompileResult:
    """Diagnostics, sorted; the output tree when the specs had no errors; tracebacks for --debug."""

    diagnostics: list[Diagnostic]
    artifacts: Artifacts | None
    project: Project | None
    tracebacks: tuple[str, ...] = ()
    spec_output: tuple[tuple[str, str], ...] = ()  # what each spec printed while it was imported


def compile_specs(
    paths: Sequence[Path],
    root: Path,
    sources: Sources | None = None,
    emit: bool = True,
    settings: Settings | None = None,
    select: Collection[str] = (),
    ignore: Collection[str] = (),
    infos: bool = True,
    jobs: int | None = None,
    cache_dir: Path | None = None,
) -> CompileResult:
    """Load, check and (when `emit` and error-free) emit. Load errors stop before the checks, which would
    otherwise report every use of whatever the broken module declared. Without `infos`, the checks whose
    findings are infos do not run (see run_checks): `build` shows warnings and errors only.

    `jobs` is how many processes check and emit (None: `jobs_for` decides from the project's size and the
    machine's cores). The result is the same for any value. `cache_dir` is where compiled spec modules and
    their objects (load/restore.py), what was learnt of each query (querycache.py), the local checks' findings
    about each module (checkcache.py) and each module's dashboards and rule file (outputcache.py) are kept
    between runs (None: nowhere)."""
    with collector_paused():  # what is built here (the project, the check context) lives until the run ends
        loaded = load(paths, root, cache_dir)
        diagnostics = list(loaded.diagnostics)
        keys = checkcache.module_keys(loaded.project, settings, loaded.pickled) if cache_dir is not None else None
        diagnostics.extend(unencodable_text(loaded.project, None if keys is None else keys.suspects))
        diagnostics.extend(oversized(loaded.project))
        if has_errors(diagnostics):
            return CompileResult(sort_diagnostics(diagnostics), None, loaded.project, loaded.tracebacks, loaded.output)
        project = expand_slos(loaded.project)  # SLO rules and dashboards are checked and emitted like written ones
        if cache_dir is not None:
            querycache.recall(cache_dir)
        context = CheckContext(project, sources, settings)
    generated = {id(d.obj) for d in project.declared[len(loaded.project.declared) :]}
    with frozen_heap():
        keep = _keeper(cache_dir, context)
        kept, output = None, None
        if cache_dir is not None and keys is not None:
            kept = checkcache.recall(cache_dir, keys.keys)
            output = outputcache.OutputKeeper(cache_dir, kept.keys)
        found, artifacts, new = check_and_emit(
            context, settings, select, ignore, infos, generated, emit, jobs, keep, kept, output
        )
        if cache_dir is not None and kept is not None:
            checkcache.keep(cache_dir, context, kept, new)
    diagnostics = sort_diagnostics([*diagnostics, *found])
    if has_errors(diagnostics) or not emit:
        return CompileResult(diagnostics, None, project, loaded.tracebacks, loaded.output)
    if isinstance(artifacts, OutputCollision):
        diagnostics = sort_diagnostics([*diagnostics, _collision(artifacts)])
        return CompileResult(diagnostics, None, project, loaded.tracebacks, loaded.output)
    return CompileResult(diagnostics, artifacts, project, loaded.tracebacks, loaded.output)


# --- checks and emit over several processes ----------------------------------------------------------------

# A project with fewer queries is checked in one process: forking costs more than it saves.
PARALLEL_MIN_QUERIES = 2000
# Seconds the costliest checks and emit take on workload L (benchmarks/, this 2-core machine, one process, lint
# with infos), with the labels of every query's series kept from an earlier run (querycache.py); every other
# check counts as DEFAULT_COST (the other 101 took 2.0 s in all). INFERRING is what the checks that ask for
# labels add when they must be inferred. Only how evenly the processes share the work depends on these figures.
# A326 includes reading every spec's syntax tree to place its 16,000 infos, which the process that runs it
# pays once.
COSTS = {
    "A326": 0.95,
    "A307": 0.39,
    "Q230": 0.32,
    "Q206": 0.29,
    "A309": 0.27,
    "Q209": 0.15,
    "D512": 0.14,
    "Q208": 0.12,
    "Q213": 0.12,
    "D506": 0.11,
    "Q202": 0.15,
    "A334": 0.1,
    # checks that are not local, so they run over every module even when the other checks' findings are kept:
    # after a one-line edit they are most of the work left
    "M109": 0.08,
    "A311": 0.05,
    "A301": 0.04,
    "A312": 0.04,
    "R416": 0.03,
}
INFERRING = {"Q208": 1.13, "Q213": 0.45, "A309": 0.36, "D511": 0.2}
DEFAULT_COST = 0.02
CACHED_COST = 0.001  # a local check whose findings about every module are kept
# What a finding kept for a local check costs the process that takes it back (workload L's 20,000 kept infos
# of A326 and R411 took 0.1-0.15 s): shares() leaves those checks to this process.
KEPT_FINDING_COST = 0.000006
# Checks dealt to one process: both place a finding on every alert or record (lint of a project without rule
# tests), and each process reads the syntax tree of every spec module once for all the checks it runs.
TOGETHER = (("A326", "R411"),)
EMIT_COST = 3.2
# Writing what was learnt of every query when nothing was kept yet (querycache.py); with a warm cache it is
# nothing, and the share that does it finishes early.
KEEP_COST = 1.4
_COLLISION = "output collision"  # what a child sends instead of an OutputCollision, which holds model objects


def jobs_for(ctx: CheckContext, requested: int | None) -> int:
    """How many processes: `requested` when given, else two on a machine with two cores or more for a project
    of PARALLEL_MIN_QUERIES queries or more, else one. Never by default in a process running other threads (a
    program embedding the compiler): a fork copies only the calling thread, and a lock another thread held
    at that moment would stay held in the child for ever."""
    if requested is not None:
        return max(1, requested) if forked.available() else 1
    if not forked.available() or (os.cpu_count() or 1) < 2 or threading.active_count() > 1:
        return 1
    return 2 if len(ctx.queries) >= PARALLEL_MIN_QUERIES else 1


def shares(
    codes_: Sequence[str],
    count: int,
    emit: bool,
    keep: bool = False,
    inferring: bool = True,
    local: Mapping[str, tuple[float, int]] | None = None,
) -> list[list[str]]:
    """`codes_` dealt into `count` shares of about equal cost, costliest first; share 1 also emits, and keeps
    what was learnt of the queries (`keep`: there is something to write); the codes of a TOGETHER group go to
    one share. `inferring`: the labels of the queries' series were not kept (INFERRING). `local`: for local
    codes whose findings are kept (checks/kept.py), the share of the project each checks in this run and how
    many findings it takes back (Kept.workload). Each share keeps code order."""
    local = local or {}
    load = [0.0] * count
    if count > 1:
        load[1] = (EMIT_COST if emit else 0.0) + (KEEP_COST if keep else 0.0)
    units = [[code] for code in codes_ if not any(code in group for group in TOGETHER)]
    units.extend([code for code in group if code in codes_] for group in TOGETHER)
    units = [unit for unit in units if unit]

    def cost(unit: list[str]) -> float:
        total = 0.0
        for code in unit:
            checked, kept = local.get(code, (1.0, 0))
            running = COSTS.get(code, DEFAULT_COST) + (INFERRING.get(code, 0.0) if inferring else 0.0)
            total += (running * checked if checked else CACHED_COST) + KEPT_FINDING_COST * kept
        return total

    dealt: list[list[str]] = [[] for _ in range(count)]
    # Codes with kept findings stay in this process, which gathers every finding: a child would send them
    # back through a pipe (on workload L, A326's and R411's 20,000 took 0.2-0.3 s more that way).
    holding = [unit for unit in units if any(local.get(code, (1.0, 0))[1] for code in unit)]
    for unit in holding:
        dealt[0].extend(unit)
        load[0] += cost(unit)
    for unit in sorted((u for u in units if u not in holding), key=lambda u: (-cost(u), u)):
        lightest = min(range(count), key=lambda i: (load[i], i))
        dealt[lightest].extend(unit)
        load[lightest] += cost(unit)
    return [sorted(share) for share in dealt]


def _keeper(cache_dir: Path | None, ctx: CheckContext) -> querycache.Keeper | None:
    """What keeps what was learnt of the context's queries in `cache_dir`; None without a cache."""
    if cache_dir is None:
        return None
    return querycache.Keeper(cache_dir, frozenset(query.text for query in ctx.queries))  # set aside ones too


def check_and_emit(
    ctx: CheckContext,
    settings: Settings | None,
    select: Collection[str],
    ignore: Collection[str],
    infos: bool,
    generated: Collection[int],
    emit: bool,
    jobs: int | None,
    keep: querycache.Keeper | None = None,
    kept: Kept | None = None,
    output: outputcache.OutputKeeper | None = None,
) -> tuple[list[Diagnostic], Artifacts | OutputCollision | None, dict[str, Entry]]:
    """The checks' findings and, when `emit` and none is an error, the output tree (or the collision that
    prevents it). With more than one job, forked children run shares of the checks while this process runs
    the first share; the child with share 1 also emits, before anyone knows whether an error will discard
    it, and keeps the queries' verdicts and facts (with nothing kept yet, writing them costs about a second
    on workload L). Every child hands back the labelled facts it learnt, which this process keeps at the end.
    A child that fails has its share run here instead, and its keeping done here.

    With `kept`, the local checks take what they found about each unchanged module from an earlier run
    (checks/kept.py); the third value is what they found anew, to keep. With `output`, emit takes the
    dashboards and rule files of unchanged modules from the last build (outputcache.py)."""
    found = list(set_aside_unanalysable(ctx))
    planned = plan(ctx, select, ignore, infos)
    count = jobs_for(ctx, jobs)
    emitted: Artifacts | str | None = None
    new: dict[str, Entry] = {}
    if count == 1:
        part, new = _run_share(ctx, planned, generated, kept, found)
        parts = [part]
        if keep is not None:
            keep.queries()
    else:
        pending = keep is not None and keep.pending()
        local = kept.workload(ctx, planned) if kept is not None else {}
        dealt = shares(planned, count, emit, pending, keep is None or not keep.labels_recalled(), local)
        if emit:
            from monitoring_dsl.emit.grafana import dashboard_json  # noqa: F401 - imported once, before the fork

        children: list[tuple[list[str], forked.Child[_Sent] | None]] = []
        try:
            for index in range(1, count):
                first = index == 1
                child = _fork_share(ctx, dealt[index], generated, settings, emit and first, keep, first, kept, output)
                children.append((dealt[index], child))
            part, new = _run_share(ctx, dealt[0], generated, kept, found)
            parts = [part]
            for index, (share, child) in enumerate(children, start=1):
                part, sent, learnt, entries = _collect(child, ctx, share, generated, kept)
                parts.append(part)
                new = {**new, **_merged(new, entries)}
                if keep is not None and learnt:
                    keep.take(learnt)
                if index == 1:
                    emitted = sent
                    if learnt is None and keep is not None:
                        keep.queries()
        finally:
            for _, child in children:
                if child is not None:
                    child.stop()
    if keep is not None:
        keep.labelled()
    diagnostics = finish(ctx, parts, planned, select, ignore)
    if not emit or has_errors(diagnostics):
        return diagnostics, None, new
    if emitted is None or emitted == _COLLISION:
        return diagnostics, _emit(ctx.project, settings, output), new
    assert isinstance(emitted, dict)
    return diagnostics, emitted, new


def _run_share(
    ctx: CheckContext,
    codes_: Sequence[str],
    generated: Collection[int],
    kept: Kept | None,
    found: Sequence[Diagnostic] = (),
) -> tuple[Part, dict[str, Entry]]:
    """The checks `codes_` (after the findings `found`): the local ones from what is kept where it still
    holds, and what they found anew to keep."""
    if kept is None or ctx.plain:
        return run_part(ctx, codes_, generated, found), {}
    local = set(local_codes(codes_))
    part = run_part(ctx, [code for code in codes_ if code not in local], generated, found)
    if not local:
        return part, {}
    local_part, entries = run_local(ctx, [code for code in codes_ if code in local], generated, kept)
    return Part([*part.kept, *local_part.kept], part.used | local_part.used), entries


def _merged(ours: dict[str, Entry], theirs: dict[str, Entry]) -> dict[str, Entry]:
    """Two processes' entries for the same modules hold different codes: one entry with both."""
    merged = dict(theirs)
    for module, entry in theirs.items():
        mine = ours.get(module)
        if mine is not None and mine.key == entry.key:
            merged[module] = Entry(entry.key, {**mine.files, **entry.files}, {**mine.codes, **entry.codes})
    return merged


def _emit(
    project: Project, settings: Settings | None, output: outputcache.OutputKeeper | None = None
) -> Artifacts | OutputCollision:
    try:
        earlier = output.recall() if output is not None else {}
        artifacts, parts = emit_with_parts(project, settings, earlier)
    except OutputCollision as collision:
        return collision
    if output is not None:
        output.keep(parts, earlier)
    return artifacts


# What a child sends back: its part, what it emitted (or _COLLISION), the labelled facts it learnt, and what its
# local checks found to keep (as Entry.to_data gives it).
_Sent = tuple["_Wire", Artifacts | str | None, dict[str, Any], dict[str, Any]]


def _fork_share(
    ctx: CheckContext,
    share: list[str],
    generated: Collection[int],
    settings: Settings | None,
    emit: bool,
    keep: querycache.Keeper | None,
    first: bool,
    kept: Kept | None,
    output: outputcache.OutputKeeper | None,
) -> forked.Child[_Sent] | None:
    def work() -> _Sent:
        if keep is not None and first:
            keep.queries()
        part, entries = _run_share(ctx, share, generated, kept)
        wire = _to_wire(part)
        learnt = keep.learnt() if keep is not None else {}
        found = {module: entry.to_data() for module, entry in entries.items()}
        if not emit:
            return wire, None, learnt, found
        emitted = _emit(ctx.project, settings, output)
        return wire, (_COLLISION if isinstance(emitted, OutputCollision) else emitted), learnt, found

    try:
        return forked.start(work)
    except OSError:
        return None  # no fork (out of processes or memory): this process runs the share


def _collect(
    child: forked.Child[_Sent] | None,
    ctx: CheckContext,
    share: list[str],
    generated: Collection[int],
    kept: Kept | None,
) -> tuple[Part, Artifacts | str | None, dict[str, Any] | None, dict[str, Entry]]:
    """The child's part, what it emitted, the labelled facts it learnt ({} without a cache; None when it did
    not finish, and its share was run here) and what its local checks found to keep."""
    if child is not None:
        try:
            wire, emitted, learnt, found = child.result()
            entries = {module: entry for module, data in found.items() if (entry := Entry.from_data(data))}
            return _from_wire(wire), emitted, learnt, entries
        except forked.ChildFailed:
            pass
    part, entries = _run_share(ctx, share, generated, kept)
    return part, None, None, entries


# A Part as tuples and strings, which pickle in C code alone: 16,000 findings as attrs instances take 0.8 s.
_Wire = tuple[list[PlainDiagnostic], set[tuple[int, str]]]


def _to_wire(part: Part) -> _Wire:
    return [to_plain(d) for d in part.kept], part.used


def _from_wire(wire: _Wire) -> Part:
    kept, used = wire
    return Part([from_plain(d) for d in kept], used)


def _collision(collision: OutputCollision) -> Diagnostic:
    """E011: two objects would become one file; neither may silently win, even when D501 is allowed."""
    first = getattr(collision.first, "location", None)
    return codes.OUTPUT_PATH_COLLISION(
        f"{_describe(collision.second)} and {_describe(collision.first)} would both be written to "
        f"{collision.path}; one would silently replace the other",
        getattr(collision.second, "location", None),
        related=(Related(first, "first written here"),) if first is not None else (),
        help="give each dashboard its own uid= (an allow= for D501 does not make two files of one)",
    )


def _describe(obj: object) -> str:
    title = getattr(obj, "title", None)
    return f"dashboard {title!r}" if title is not None else type(obj).__name__


@attrs.frozen
class LintResult:
    diagnostics: list[Diagnostic]
    checked: int  # spec modules and plain files that could be read; 0 means nothing was checked
    spec_output: tuple[tuple[str, str], ...] = ()


def lint(
    paths: Sequence[Path],
    root: Path,
    sources: Sources,
    settings: Settings,
    select: Collection[str] = (),
    ignore: Collection[str] = (),
    skip: Collection[Path] = (),
    jobs: int | None = None,
    cache_dir: Path | None = None,
) -> LintResult:
    """Every check over spec modules and plain files in `paths`; writes nothing."""
    spec_paths, plain_paths = split_inputs(paths, skip)
    diagnostics: list[Diagnostic] = []
    checked = 0
    spec_output: tuple[tuple[str, str], ...] = ()
    if spec_paths:
        result = compile_specs(
            spec_paths,
            root,
            sources,
            emit=False,
            settings=settings,
            select=select,
            ignore=ignore,
            jobs=jobs,
            cache_dir=cache_dir,
        )
        diagnostics.extend(result.diagnostics)
        spec_output = result.spec_output
        if result.project is not None:
            failed = {d.location.path for d in result.diagnostics if d.code.startswith("E") and d.location}
            checked += sum(1 for module in result.project.modules if module.source not in failed)
    if plain_paths:
        from monitoring_dsl.load.plain import load_plain_files  # only lint reads plain files

        with collector_paused():
            if cache_dir is not None:
                querycache.recall(cache_dir)
            plain = load_plain_files(plain_paths, root, settings.prometheus_version_tuple)
            diagnostics.extend(plain.diagnostics)
            diagnostics.extend(oversized(plain.project))
            context = CheckContext(plain.project, sources, settings, plain=True)
        with frozen_heap():
            keep = _keeper(cache_dir, context)
            found, _, _ = check_and_emit(context, settings, select, ignore, True, frozenset(), False, jobs, keep)
        diagnostics.extend(found)
        checked += len(plain.project.modules)
    # compile_specs sorted its own: only plain files' findings need merging in (20,000 sorted again took 0.02 s)
    return LintResult(sort_diagnostics(diagnostics) if plain_paths else diagnostics, checked, spec_output)

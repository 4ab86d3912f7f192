"""What the local checks found about each spec module, kept between runs: after an edit to one module, only
that module's objects are checked again by them.

A check registered `local=True` promises that what it finds about a module's objects depends only on those
objects, on the project's catalog (its metrics, records, services, Prometheus servers, rule tests and SLOs,
read through `ctx.whole`), on the settings, and on the text of the files its findings point into. Then its
findings over the whole project are the union of its findings over each module's part (`ctx.restricted`),
which tests/test_kept_findings.py checks for every local check over every golden project.

A module's findings are kept under a key: the sha256 of the pickled objects the module declared, of the
pickled catalog and settings, and of the code that checks them (the caller's fingerprint). A finding is
kept after `run_part` made it final (follow-ons dropped, `allow=` applied), with the suppressions it used
named by their place among the module's objects that carry an `allow=`, so that it stands for the same
object in the next run. The file each finding points into is kept with its digest: a comment added above a
rule moves its findings without changing its objects.

This module decides and computes; checkcache.py reads and writes the file.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import Any

import attrs

from monitoring_dsl.checks import Part, enclosing, objects_with_allow, run_part
from monitoring_dsl.checks.context import CheckContext
from monitoring_dsl.checks.registry import REGISTRY
from monitoring_dsl.diagnostics import Diagnostic, PlainDiagnostic, from_plain, to_plain
from monitoring_dsl.load import restore
from monitoring_dsl.model.metrics import Metric
from monitoring_dsl.model.project import Project
from monitoring_dsl.model.rules import Record, RuleGroup
from monitoring_dsl.model.ruletests import RuleTest
from monitoring_dsl.model.settings import Settings
from monitoring_dsl.model.slo import SLO
from monitoring_dsl.model.stack import Prometheus, Service

# What any module's local findings may depend on besides its own objects.
CATALOG_KINDS = (Metric, Record, Service, Prometheus, RuleTest, SLO)

# One code's findings about one module: the findings (as diagnostics.to_plain gives them) and the positions,
# among the module's objects with an `allow=`, of those whose suppression the code used.
CodeFindings = tuple[list[PlainDiagnostic], list[int]]


@attrs.frozen
class Entry:
    """What is kept of one module: its key, the digest of each file its findings point into, and the findings
    of each local code run on it."""

    key: bytes
    files: dict[str, str]
    codes: dict[str, CodeFindings]

    def to_data(self) -> tuple[bytes, dict[str, str], dict[str, CodeFindings]]:
        return self.key, self.files, self.codes

    @classmethod
    def from_data(cls, data: Any) -> Entry | None:
        """The entry `data` holds, None when it is not one (checkcache.py has verified the file's digest;
        this guards against a file written by a different layout of the same version)."""
        try:
            key, files, codes = data
        except (TypeError, ValueError):
            return None
        if not isinstance(key, bytes) or not isinstance(files, dict) or not isinstance(codes, dict):
            return None
        return cls(key, files, codes)


# A lone surrogate (U+D800 to U+DFFF), as pickle writes a string holding one (UTF-8, "surrogatepass").
_SURROGATE = re.compile(rb"\xed[\xa0-\xbf]")


@attrs.frozen
class Keys:
    """The key of every module whose local findings can be kept (a module missing is checked every run), and
    the modules whose objects may hold a lone surrogate: load/limits.py walks only those for E012."""

    keys: dict[str, bytes]
    suspects: frozenset[str]


def module_keys(
    project: Project, settings: Settings, plain: bool, fingerprint: bytes, pickled: Mapping[str, bytes] | None = None
) -> Keys:
    """The keys of `project`'s modules, as loaded: what expanding its SLOs adds follows from the SLOs.

    A module's objects include the rule groups of other modules that hold its rules: a check about a rule
    reads its group's interval, and an `allow=` on the group suppresses findings about it.

    Pickling is what makes the key exact and cheap (0.25 s for workload L's 23,000 declared objects): equal
    bytes mean equal objects. Equal objects may pickle differently (a set's order), which costs a recheck,
    never a wrong finding. A string with a lone surrogate is pickled with the bytes _SURROGATE finds, so a
    module whose bytes have none holds no such string (other bytes may match: that module is walked).

    `pickled` holds what the loader pickled of modules (load/restore.py), the same tuple pickled the same way:
    a module restored from the cache is not pickled again."""
    everything = frozenset(module.name for module in project.modules)
    catalog = restore.dumps(([d.obj for d in project.declared if isinstance(d.obj, CATALOG_KINDS)], settings, plain))
    if catalog is None:
        return Keys({}, everything)
    shared = hashlib.sha256(fingerprint + hashlib.sha256(catalog).digest()).digest()
    by_module: dict[str, list[object]] = {}
    for declared in project.declared:
        by_module.setdefault(declared.module, []).append(declared.obj)
    owner = project._owner
    foreign = set()
    for declared in project.declared:  # a group holding another module's rules: its interval, its allow=
        if isinstance(declared.obj, RuleGroup):
            modules = {owner.get(id(rule)) for rule in declared.obj.rules} - {declared.module, None}
            for name in sorted(m for m in modules if m is not None):
                by_module.setdefault(name, []).append(declared.obj)
                foreign.add(name)
    keys = {}
    suspects = set()
    for module in project.modules:
        own = (pickled or {}).get(module.name) if module.name not in foreign else None
        if own is None:
            own = restore.pickled(module.name, module.source, by_module.get(module.name, []))
        if own is None or _SURROGATE.search(own):
            suspects.add(module.name)
        if own is not None:
            keys[module.name] = hashlib.sha256(shared + hashlib.sha256(own).digest()).digest()
    return Keys(keys, frozenset(suspects))


def module_of(ctx: CheckContext, obj: object) -> str | None:
    """The module that declared `obj` or the object containing it; None when nothing did."""
    owner = ctx.whole._owner
    for container in enclosing(ctx, obj):
        module = owner.get(id(container))
        if module is not None:
            return module
    return None


class Holders:
    """The objects with an `allow=`, numbered within their module in the order `objects_with_allow` gives."""

    def __init__(self, ctx: CheckContext):
        self._ctx = ctx
        self._computed: tuple[dict[int, tuple[str, int]], dict[str, list[int]]] | None = None

    def _tables(self) -> tuple[dict[int, tuple[str, int]], dict[str, list[int]]]:
        if self._computed is None:
            place: dict[int, tuple[str, int]] = {}
            ids: dict[str, list[int]] = {}
            for obj in objects_with_allow(self._ctx):
                if not getattr(obj, "allow", None) or id(obj) in place:
                    continue
                module = module_of(self._ctx, obj)
                if module is None:
                    continue
                numbered = ids.setdefault(module, [])
                place[id(obj)] = (module, len(numbered))
                numbered.append(id(obj))
            self._computed = place, ids
        return self._computed

    def place(self, holder_id: int) -> tuple[str, int] | None:
        return self._tables()[0].get(holder_id)

    def id_of(self, module: str, index: int) -> int | None:
        numbered = self._tables()[1].get(module, [])
        return numbered[index] if 0 <= index < len(numbered) else None


@attrs.define
class Kept:
    """The kept findings a run may use, and what it found anew to keep.

    `entries` are what the cache file held, by module; `keys` the modules' keys now (module_keys);
    `file_digest` gives a file's digest now (None when it cannot be read)."""

    entries: dict[str, Entry]
    keys: dict[str, bytes]
    file_digest: Callable[[str], str | None]
    _valid: dict[str, Entry | None] = attrs.field(factory=dict)

    def valid(self, module: str) -> Entry | None:
        """The kept entry of `module`, when its key and every file its findings point into are unchanged."""
        if module not in self._valid:
            entry = self.entries.get(module)
            holds = entry is not None and entry.key == self.keys.get(module) and self._unchanged(entry.files)
            self._valid[module] = entry if holds else None
        return self._valid[module]

    def _unchanged(self, files: Mapping[str, str]) -> bool:
        return all(self.file_digest(path) == digest for path, digest in files.items())

    def stale(self, ctx: CheckContext, code: str) -> set[str]:
        """The modules `code` must check in this run."""
        names = [module.name for module in ctx.whole.modules]
        return {name for name in names if (entry := self.valid(name)) is None or code not in entry.codes}

    def workload(self, ctx: CheckContext, codes_: Collection[str]) -> dict[str, tuple[float, int]]:
        """For each local code among `codes_`: the share of the project's objects it checks in this run (by
        the declared objects of the modules it checks), and how many of its findings are kept."""
        objects: dict[str, int] = {}
        for declared in ctx.whole.declared:
            objects[declared.module] = objects.get(declared.module, 0) + 1
        total = sum(objects.values()) or 1
        found: dict[str, tuple[float, int]] = {}
        for code in codes_:
            if not REGISTRY[code].local:
                continue
            stale = self.stale(ctx, code)
            count = 0
            for module in objects.keys() - stale:
                entry = self.valid(module)
                count += len(entry.codes[code][0]) if entry is not None else 0
            found[code] = (sum(objects.get(module, 0) for module in stale) / total, count)
        return found


def local_codes(codes_: Sequence[str]) -> list[str]:
    return [code for code in codes_ if REGISTRY[code].local]


def run_local(
    ctx: CheckContext, codes_: Sequence[str], generated: Collection[int], kept: Kept
) -> tuple[Part, dict[str, Entry]]:
    """The local checks `codes_` over the whole project: kept findings for the modules nothing changed in,
    and a run over the part of the project that did. Returns the part and the entries to keep of the modules
    checked anew (merged with what they kept of other codes)."""
    holders = Holders(ctx)
    kept_findings: list[Diagnostic] = []
    used: set[tuple[int, str]] = set()
    found: dict[str, dict[str, CodeFindings]] = {}  # module -> code -> what this run found
    by_stale: dict[frozenset[str], list[str]] = {}
    everything = frozenset(module.name for module in ctx.whole.modules)
    for code in codes_:
        by_stale.setdefault(frozenset(kept.stale(ctx, code)), []).append(code)
    for stale, group in by_stale.items():
        checked = ctx if stale == everything else ctx.restricted(stale) if stale else None
        for code in group:
            if checked is not None:
                part = run_part(checked, [code], generated)
                kept_findings.extend(part.kept)
                used.update(part.used)
                split = _split(ctx, code, part, holders, stale)
                if split is not None:
                    for module, findings in split.items():
                        found.setdefault(module, {})[code] = findings
            for module in everything - stale:
                entry = kept.valid(module)
                assert entry is not None and code in entry.codes
                plain, positions = entry.codes[code]
                kept_findings.extend(from_plain(d) for d in plain)
                for index in positions:
                    holder = holders.id_of(module, index)
                    if holder is not None:
                        used.add((holder, code))
    return Part(kept_findings, used), _entries(kept, found)


def _split(
    ctx: CheckContext, code: str, part: Part, holders: Holders, modules: Collection[str]
) -> dict[str, CodeFindings] | None:
    """`part`'s findings and suppressions by module, each module of `modules` present; None when one cannot
    be placed (a finding about no object, or one another code made, such as a check's own failure, E045)."""
    split: dict[str, CodeFindings] = {module: ([], []) for module in modules}
    for diagnostic_ in part.kept:
        module = module_of(ctx, diagnostic_.subject) if diagnostic_.subject is not None else None
        if module is None or module not in split or diagnostic_.code != code:
            return None
        split[module][0].append(to_plain(diagnostic_))
    for holder_id, used_code in part.used:
        place = holders.place(holder_id)
        if place is None or place[0] not in split or used_code != code:
            return None
        split[place[0]][1].append(place[1])
    for _plain, positions in split.values():
        positions.sort()
    return split


def _files(findings: Iterator[PlainDiagnostic]) -> set[str]:
    paths = set()
    for plain in findings:
        location, related = plain[4], plain[6]
        if location is not None:
            paths.add(location[0])
        paths.update(place[0] for place, _message in related)
    return paths


def _entries(kept: Kept, found: Mapping[str, dict[str, CodeFindings]]) -> dict[str, Entry]:
    entries = {}
    for module, codes_ in found.items():
        key = kept.keys.get(module)
        if key is None:
            continue
        previous = kept.valid(module)
        merged = {**(previous.codes if previous is not None else {}), **codes_}
        paths = _files(plain for plain_list, _ in merged.values() for plain in plain_list)
        files = {path: kept.file_digest(path) for path in sorted(paths)}
        if any(digest is None for digest in files.values()):
            continue  # a finding points into a file that cannot be read: check the module again next time
        entries[module] = Entry(key, {path: digest for path, digest in files.items() if digest is not None}, merged)
    return entries

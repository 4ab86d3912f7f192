"""What this package learnt of each query text, as data to keep between runs, and how to take it back.

Everything here depends on a query's text alone: whether it parses (and if not, why), and the facts
`analysis.analyse` computes (its selectors, the paths down to each series, the ranges it hands to functions,
the functions and syntax it uses). None of it depends on the catalog, the settings or the spec a query is in, so
a build after an edit finds most of it already known. querycache.py writes it to disk with a fingerprint of
this package's code, so facts are never read by code that would compute others.

`known()` returns data `marshal` can write: {"format": FORMAT, "verdicts": {text: verdict}, "analysed":
[text, ...], "objects": [the table of distinct facts], "facts": {fact: {text: references into the table}}}
(promql/codec.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

import promql_parser

from monitoring_dsl.promql import analysis, codec, parser

FORMAT = 1  # of the data `known()` returns
# The facts `analyse` computes and caches; a text is kept as analysed only with all of them.
_ANALYSED_FACTS = ("selectors", "series_uses", "features", "range_arguments", "function_names")


def identity() -> bytes:
    """A digest of the code that computes what is kept: this package's sources, the native parser's build
    (each extension file's name, size and modification time: an upgrade replaces them) and FORMAT."""
    digest = hashlib.sha256(f"{FORMAT}\0".encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    native = Path(promql_parser.__file__ or ".").parent
    for found in sorted([*native.glob("*.so"), *native.glob("*.pyd")]):
        stat = found.stat()
        digest.update(f"{found.name}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    return digest.digest()


# The table of the recalled facts as it was read: facts kept again are written as references into it. `_source`
# is what the caller said the data came from.
_entries: list[Any] = []
_source: object = None


def known(texts: Iterable[str], keep: Collection[str] = ()) -> dict[str, Any]:
    """The verdicts and facts of `texts` (queries this run met), and of the recalled texts in `keep` (a run
    that checked part of a project keeps what it did not look at)."""
    verdicts: dict[str, parser.Verdict] = {text: parser.RECALLED[text] for text in keep if text in parser.RECALLED}
    analysed = {text for text in keep if text in analysis.ANALYSED_BEFORE}
    for text in texts:
        verdicts[text] = parser.verdict(parser.parse(text))
        if text in analysis.ANALYSED or text in analysis.ANALYSED_BEFORE:
            analysed.add(text)
    encoder = codec.Encoder(analysis.FACT_KINDS, _entries, analysis.RECALLED_OBJECTS)
    facts: dict[str, dict[str, Any]] = {name: {} for name in analysis.FACTS}
    complete = []
    for text in analysed:
        entries = _entries_of(text, encoder)
        if entries is not None:
            complete.append(text)
            for name, encoded in entries.items():
                facts[name][text] = encoded
    return {
        "format": FORMAT,
        "verdicts": verdicts,
        "analysed": complete,
        "objects": encoder.entries,
        "facts": facts,
    }


def _entries_of(text: str, encoder: codec.Encoder) -> dict[str, Any] | None:
    """Every fact of `text` there is, encoded; None when one that `analyse` computes is missing."""
    entries = {}
    for name, table in analysis.FACTS.items():
        encoded = analysis.RECALLED[name].get(text)  # as it was read, a reference into the same table
        if encoded is None and text in table:
            try:
                encoded = encoder.encode(table[text])
            except TypeError:
                return None
        if encoded is not None:
            entries[name] = encoded
    return entries if all(name in entries for name in _ANALYSED_FACTS) else None


def recall(data: Any, source: object = None) -> bool:
    """Take back what `known()` returned in an earlier run, instead of what was recalled before; False (and
    nothing taken) when `data` is not that. `source` says where it came from (see `recalled_from`)."""
    global _entries, _source
    try:
        if data["format"] != FORMAT:
            return False
        verdicts, analysed, facts, entries = data["verdicts"], data["analysed"], data["facts"], data["objects"]
        if not (isinstance(verdicts, dict) and isinstance(analysed, list) and isinstance(facts, dict)):
            return False
        if not all(isinstance(table, dict) and name in analysis.FACTS for name, table in facts.items()):
            return False
        if not all(v is None or (isinstance(v, tuple) and len(v) == 2) for v in verdicts.values()):
            return False
        objects = codec.decode_table(entries, analysis.FACT_KINDS)
    except (KeyError, TypeError, IndexError, ValueError):
        return False
    _forget_recalled()
    parser.RECALLED.update(verdicts)
    for name, table in facts.items():
        analysis.RECALLED[name].update(table)
    analysis.ANALYSED_BEFORE.update(analysed)
    analysis.RECALLED_OBJECTS[:] = objects
    _entries = entries
    _source = source
    return True


def recalled_from() -> object:
    """The `source` of what is recalled now; None when nothing is."""
    return _source


def _forget_recalled() -> None:
    global _entries, _source
    parser.RECALLED.clear()
    analysis.ANALYSED_BEFORE.clear()
    analysis.RECALLED_OBJECTS.clear()
    for table in analysis.RECALLED.values():
        table.clear()
    _entries = []
    _source = None


def recalled() -> frozenset[str]:
    """The texts recalled verdicts cover."""
    return frozenset(parser.RECALLED)


def new(texts: Iterable[str]) -> bool:
    """Whether a text among `texts` has a verdict or facts that were not recalled."""
    for text in texts:
        if text not in parser.RECALLED:
            return True
        if text in analysis.ANALYSED and text not in analysis.ANALYSED_BEFORE:
            return True
    return False


def forget() -> None:
    """Drop everything recalled and computed (tests; a long-lived process switching projects)."""
    _forget_recalled()
    parser.parse.cache_clear()
    analysis.ANALYSED.clear()
    for table in analysis.FACTS.values():
        table.clear()

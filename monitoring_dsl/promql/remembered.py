"""What this package learnt of each query text, as data to keep between runs, and how to take it back.

Most of it depends on a query's text alone: whether it parses (and if not, why), and the facts
`analysis.analyse` computes (its selectors, the paths down to each series, the ranges it hands to functions,
the functions and syntax it uses). The rest (the labels of its result, of each grouping and of each side of a
binary operator) depends besides only on the labels each of its series can carry, and is kept under those.
None of it depends on the spec a query is in, so a build after an edit finds most of it already known.
querycache.py writes it to disk with a fingerprint of this package's code, so facts are never read by code that
would compute others.

Two parts, each data `marshal` can write, with its own table of distinct facts (promql/codec.py):

- `known()`: {"format": FORMAT, "verdicts": {text: verdict}, "analysed": [text, ...], "facts": {fact: {text:
  references into the table}}, "objects": [the table]}. All of it is known once the queries are analysed,
  before any check runs.
- `known_labelled()`: {"format": FORMAT, "labelled": {fact: {(text, labels of each series): references}},
  "objects": [the table]}. The checks compute these as they run, in every process that runs checks; a forked
  child hands what it learnt to its parent (`learnt_labelled`, `take_labelled`).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

import promql_parser

from monitoring_dsl.promql import analysis, codec, parser

FORMAT = 1  # of the data `known()` returns


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


# Each part's table as it was read (facts kept again are written as references into it), and what the caller
# said it came from.
_entries: list[Any] = []
_source: object = None
_label_entries: list[Any] = []
_label_source: object = None


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
    return {"format": FORMAT, "verdicts": verdicts, "analysed": complete, "facts": facts, "objects": encoder.entries}


def _entries_of(text: str, encoder: codec.Encoder) -> dict[str, Any] | None:
    """Every fact of `text`, encoded (None is a fact too); None when one is missing or cannot be kept."""
    entries = {}
    for name, table in analysis.FACTS.items():
        recalled = analysis.RECALLED[name]
        if text in recalled:
            entries[name] = recalled[text]  # as it was read, a reference into the same table
        elif text in table:
            try:
                entries[name] = encoder.encode(table[text])
            except TypeError:
                return None
        else:
            return None
    return entries


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
    _entries, _source = entries, source
    return True


def recalled_from() -> object:
    """The `source` of the verdicts and facts recalled now; None when none are."""
    return _source


def recalled() -> frozenset[str]:
    """The texts recalled verdicts cover."""
    return frozenset(parser.RECALLED)


def new(texts: Iterable[str]) -> int:
    """How many texts among `texts` have a verdict or facts that were not recalled."""
    return sum(
        1
        for text in texts
        if text not in parser.RECALLED or (text in analysis.ANALYSED and text not in analysis.ANALYSED_BEFORE)
    )


# --- the labelled facts ------------------------------------------------------------------------------------


def known_labelled(texts: Collection[str]) -> dict[str, Any]:
    """The labelled facts of `texts`, recalled or computed."""
    encoder = codec.Encoder(analysis.FACT_KINDS, _label_entries, analysis.RECALLED_LABEL_OBJECTS)
    kept: dict[str, dict[Any, Any]] = {}
    for name, table in analysis.LABELLED.items():
        recalled = analysis.RECALLED_LABELLED[name]
        entries = {key: encoded for key, encoded in recalled.items() if key[0] in texts}
        for key, value in table.items():
            if key[0] in texts and key not in entries:
                with contextlib.suppress(TypeError):  # not kept, computed again next time
                    entries[key] = encoder.encode(value)
        kept[name] = entries
    return {"format": FORMAT, "labelled": kept, "objects": encoder.entries}


def recall_labelled(data: Any, source: object = None) -> bool:
    """Take back what `known_labelled()` returned in an earlier run; False when `data` is not that."""
    global _label_entries, _label_source
    try:
        if data["format"] != FORMAT:
            return False
        labelled, entries = data["labelled"], data["objects"]
        if not isinstance(labelled, dict) or not all(
            isinstance(table, dict) and name in analysis.LABELLED for name, table in labelled.items()
        ):
            return False
        objects = codec.decode_table(entries, analysis.FACT_KINDS)
    except (KeyError, TypeError, IndexError, ValueError):
        return False
    _forget_recalled_labelled()
    for name, table in labelled.items():
        analysis.RECALLED_LABELLED[name].update(table)
    analysis.RECALLED_LABEL_OBJECTS[:] = objects
    _label_entries, _label_source = entries, source
    return True


def labelled_recalled_from() -> object:
    """The `source` of the labelled facts recalled now; None when none are."""
    return _label_source


def new_labelled(texts: Collection[str]) -> int:
    """How many labelled facts of texts among `texts` were computed rather than recalled (a new query, or a
    metric whose labels changed)."""
    count = 0
    for name, table in analysis.LABELLED.items():
        recalled = analysis.RECALLED_LABELLED[name]
        count += sum(1 for key in table if key not in recalled and key[0] in texts)
    return count


def recalled_labelled() -> int:
    """How many labelled facts were recalled."""
    return sum(len(table) for table in analysis.RECALLED_LABELLED.values())


def learnt_labelled() -> dict[str, Any]:
    """The labelled facts this process computed and did not recall, as data a pipe can carry to the process
    that keeps them (`take_labelled`)."""
    encoder = codec.Encoder(analysis.FACT_KINDS)
    learnt: dict[str, dict[Any, Any]] = {}
    for name, table in analysis.LABELLED.items():
        recalled = analysis.RECALLED_LABELLED[name]
        learnt[name] = {}
        for key, value in table.items():
            if key not in recalled:
                with contextlib.suppress(TypeError):
                    learnt[name][key] = encoder.encode(value)
    return {"labelled": learnt, "objects": encoder.entries}


def take_labelled(data: dict[str, Any]) -> None:
    """Add what `learnt_labelled()` returned in another process to what this one computed."""
    objects = codec.decode_table(data["objects"], analysis.FACT_KINDS)
    for name, table in data["labelled"].items():
        cache = analysis.LABELLED[name]
        for key, encoded in table.items():
            cache.setdefault(key, codec.decode(encoded, objects))


# --- forgetting --------------------------------------------------------------------------------------------


def _forget_recalled() -> None:
    global _entries, _source
    parser.RECALLED.clear()
    analysis.ANALYSED_BEFORE.clear()
    analysis.RECALLED_OBJECTS.clear()
    for table in analysis.RECALLED.values():
        table.clear()
    _entries, _source = [], None


def _forget_recalled_labelled() -> None:
    global _label_entries, _label_source
    analysis.RECALLED_LABEL_OBJECTS.clear()
    for table in analysis.RECALLED_LABELLED.values():
        table.clear()
    _label_entries, _label_source = [], None


def forget() -> None:
    """Drop everything recalled and computed (tests; a long-lived process switching projects)."""
    _forget_recalled()
    _forget_recalled_labelled()
    parser.parse.cache_clear()
    analysis.ANALYSED.clear()
    for facts in analysis.FACTS.values():
        facts.clear()
    for labelled in analysis.LABELLED.values():
        labelled.clear()

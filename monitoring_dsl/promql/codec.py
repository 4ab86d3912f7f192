"""Query facts as data `marshal` can write, and back: how promql/remembered.py keeps them between runs.

A fact is an instance of one of a few frozen attrs classes (`kinds`), holding strings, numbers, None,
booleans, tuples, sets of labels (frozensets of strings) and other facts. Equal facts recur across queries
(workload L's 237,800 facts hold 43,291 distinct ones), so each distinct fact is written once, in a table: an
entry is a list `[index of its class in kinds, field, field, ...]`, and a fact inside a field or a query's
facts is a reference `[index of its entry]`. A tuple stays a tuple, a frozenset of strings a frozenset. Lists
mark entries and references because facts never hold lists; a value of any other type cannot be kept, and
`Encoder.encode` says so with a TypeError. Facts are immutable, so the decoded objects are shared by every
query that has them.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

import attrs

_SCALARS = (str, int, float, bool, type(None))
_SCALAR_TYPES = frozenset(_SCALARS)  # exact types: a subclass of str or int is no scalar of ours


def check_kinds(kinds: Sequence[type]) -> None:
    """Raise TypeError unless every class in `kinds` is an attrs class built from its fields in order."""
    for kind in kinds:
        for field in attrs.fields(kind):
            if not field.init or field.kw_only:
                raise TypeError(f"{kind.__name__}.{field.name} cannot be passed by position")


class Encoder:
    """Encodes values into references to a table of distinct facts, which it extends.

    Starts from `entries` (an earlier table) and `objects` (those entries decoded, in the same order), so that
    references written before stay valid and known facts are not written twice. A fact is looked up by
    equality, so facts must never hold -0.0, the one float equal to another it is not: analysis.py reads every
    number literal as -0 -> 0, and tests/test_querycache.py checks every fact of queries full of -0."""

    def __init__(self, kinds: Sequence[type], entries: Sequence[list[Any]] = (), objects: Sequence[Any] = ()):
        self.kinds = tuple(kinds)
        self.entries: list[list[Any]] = list(entries)
        self._index: dict[Any, int] = {obj: number for number, obj in enumerate(objects)}
        self._fields: dict[type, tuple[int, Callable[[Any], tuple[Any, ...]]]] = {}
        for number, kind in enumerate(self.kinds):
            names = [field.name for field in attrs.fields(kind)]
            self._fields[kind] = (number, _getter(names))

    def encode(self, value: Any) -> Any:
        """`value` as scalars, tuples and references; TypeError for what no fact holds."""
        kind = type(value)
        if kind in _SCALAR_TYPES:
            return value
        if kind is tuple:
            return tuple([item if type(item) in _SCALAR_TYPES else self.encode(item) for item in value])
        if kind is frozenset and all(type(item) is str for item in value):
            return value  # a set of labels
        reference = self._index.get(value)
        if reference is None:
            known = self._fields.get(kind)
            if known is None:
                raise TypeError(f"a query fact cannot hold a {kind.__name__}")
            number, fields = known
            entry = [number]
            entry.extend([field if type(field) in _SCALAR_TYPES else self.encode(field) for field in fields(value)])
            reference = self._index[value] = len(self.entries)
            self.entries.append(entry)
        return [reference]


def _getter(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """The fields `names` of an object, as a tuple."""
    if len(names) == 1:
        name = names[0]
        return lambda obj: (getattr(obj, name),)
    return operator.attrgetter(*names)


def decode_table(entries: Sequence[Any], kinds: Sequence[type]) -> list[Any]:
    """The facts of a table `Encoder` wrote. Raises IndexError, TypeError or ValueError on anything else."""
    objects: list[Any] = []
    append = objects.append
    scalars = _SCALAR_TYPES
    for entry in entries:
        if type(entry) is not list or not entry:
            raise TypeError("not a table of query facts")
        # decode() inlined for the fields most entries hold, scalars and references: 43,000 entries a run
        append(
            kinds[entry[0]](
                *[
                    field
                    if (kind := type(field)) in scalars or kind is frozenset
                    else objects[field[0]]
                    if kind is list and len(field) == 1
                    else decode(field, objects)
                    for field in entry[1:]
                ]
            )
        )
    return objects


def decode(value: Any, objects: Sequence[Any]) -> Any:
    """What `Encoder.encode` was given, with references into `objects` (decode_table's result)."""
    kind = type(value)
    if kind is list:
        if len(value) != 1:
            raise ValueError("not a reference to a query fact")
        return objects[value[0]]
    if kind is tuple:
        return tuple([item if type(item) in _SCALAR_TYPES else decode(item, objects) for item in value])
    if kind in _SCALAR_TYPES or kind is frozenset or isinstance(value, _SCALARS):
        return value
    raise TypeError(f"not an encoded query fact: {type(value).__name__}")

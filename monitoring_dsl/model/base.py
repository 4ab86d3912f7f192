"""Shared machinery of the model layer: source locations, declaration errors and the `spec` class decorator.

Every spec object is a frozen attrs class that remembers where the user declared it. Construction checks only
an object's own types and shapes; conventions are left to the checks so that one run reports everything.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar, dataclass_transform

import attrs

_PACKAGE_DIR = __file__.rsplit("/model/", 1)[0]


@attrs.frozen(order=True)
class SourceLocation:
    """A position in a user's file: 1-based line, 1-based column (0 when unknown)."""

    path: str
    line: int
    column: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}" if self.column else f"{self.path}:{self.line}"


class SpecError(Exception):
    """A declaration that cannot be built: a wrong type, an unknown keyword, a missing argument.

    Raised at construction; the loader turns it into an E002 diagnostic at `location`, the user's line.
    """

    def __init__(
        self,
        message: str,
        *,
        location: SourceLocation | None = None,
        help: str | None = None,
        field: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.location = location if location is not None else caller_location()
        self.help = help
        self.field = field  # the keyword at fault, so the loader can point at `field=` itself


# --- where was this declared? -------------------------------------------------------------------------------


def _is_library_frame(filename: str) -> bool:
    library = _LIBRARY.get(filename)
    if library is None:
        library = _LIBRARY[filename] = (
            filename.startswith(_PACKAGE_DIR)
            or filename.startswith("<frozen")
            or "/attr/" in filename
            or "/attrs/" in filename
            or filename.startswith("<attrs generated")
        )
    return library


_LIBRARY: dict[str, bool] = {}  # by file name: a few dozen files, asked for every object a spec makes


def caller_location() -> SourceLocation | None:
    """The innermost stack frame outside this package: the line of the user's spec that made the call."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not _is_library_frame(filename):
            return SourceLocation(filename, frame.f_lineno)
        frame = frame.f_back  # type: ignore[assignment]
    return None


# --- the registry the loader listens to ---------------------------------------------------------------------

_collector: Callable[[object], None] | None = None


def set_collector(collector: Callable[[object], None] | None) -> Callable[[object], None] | None:
    """Install the function told about every spec object built from now on; returns the previous one."""
    global _collector
    previous, _collector = _collector, collector
    return previous


# --- the decorator ------------------------------------------------------------------------------------------

T = TypeVar("T")


def nearest(name: str, candidates: Iterable[str]) -> str | None:
    """The closest of `candidates` to `name`, for "did you mean" hints."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


@dataclass_transform(frozen_default=True, field_specifiers=(attrs.field,))
def spec(cls: type[T]) -> type[T]:
    """Make `cls` a frozen attrs class whose constructor reports mistakes at the user's line.

    Unknown keywords get the nearest valid one; missing or surplus arguments name the signature. The instance
    records its `location` (not part of equality) and is announced to the loader's collector.
    """
    cls = attrs.frozen(cls)
    attrs_init = cls.__init__
    signature = inspect.signature(attrs_init)
    params = [p for p in signature.parameters.values() if p.name != "self"]
    keywords = [p.name for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]
    positional = [p.name for p in params if p.kind == p.POSITIONAL_OR_KEYWORD]
    required = [p.name for p in params if p.default is p.empty]
    public = cls.__name__

    def explain(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Raise the SpecError that says what is wrong with the arguments, if something is."""
        for key in kwargs:
            if key not in keywords:
                hint = nearest(key, keywords)
                raise SpecError(
                    f"{public}() got an unknown keyword {key!r}" + (f"; did you mean {hint!r}?" if hint else ""),
                    help=f"{public} accepts: {', '.join(keywords)}",
                    field=key,
                )
        if len(args) > len(positional):
            raise SpecError(
                f"{public}() takes {len(positional)} positional argument(s) ({', '.join(positional)}) "
                f"but {len(args)} were given",
                help="pass the other options by keyword",
            )
        given = set(positional[: len(args)]) | set(kwargs)
        for arg_name in positional[: len(args)]:
            if arg_name in kwargs:
                raise SpecError(f"{public}() got {arg_name!r} both by position and by keyword")
        missing = [name for name in required if name not in given]
        if missing:
            raise SpecError(
                f"{public}() is missing required argument(s): {', '.join(repr(m) for m in missing)}",
                help=f"signature: {public}({', '.join(positional)}, ...)",
            )

    @functools.wraps(attrs_init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        # Arguments that do not fit the signature fail as Python binds them, before any validator runs, so
        # they are explained only then: checking them up front was a sixth of loading 40,000 objects.
        try:
            attrs_init(self, *args, **kwargs)
        except TypeError:
            try:
                explain(args, kwargs)
            except SpecError as mistake:
                raise mistake from None  # Python's own message would only repeat it, less helpfully
            raise
        object.__setattr__(self, "location", caller_location())
        if _collector is not None:
            _collector(self)

    cls.__init__ = __init__  # type: ignore[method-assign]
    return cls


CODE_RE = re.compile(r"^[EMQARDS]\d{3}$")


def _check_allow(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Mapping):
        raise _fail(owner_name(instance), "allow", 'a dict of check codes to reasons, e.g. {"A302": "why"}', value)
    for code, reason in value.items():
        if not isinstance(code, str) or not CODE_RE.match(code):
            raise SpecError(
                f"{owner_name(instance)}: allow keys must be check codes such as 'Q201' (got {code!r})",
                help="`monitoring-dsl checks` lists the codes",
                field="allow",
            )
        if not isinstance(reason, str) or not reason.strip():
            raise SpecError(
                f"{owner_name(instance)}: allow[{code!r}] must give the reason for the exception (got {reason!r})",
                help='e.g. allow={"A302": "paged by the SLO instead"}',
                field="allow",
            )


def allow_field() -> Any:
    """`allow={"CODE": "reason"}`: findings of CODE on this object (and objects inside it) are suppressed."""
    return attrs.field(factory=dict, converter=to_mapping, validator=_check_allow, kw_only=True, eq=False)


def location_field() -> Any:
    """The `location` attribute every spec class carries: set after construction, ignored by equality."""
    return attrs.field(default=None, init=False, eq=False, repr=False)


# --- validators with messages that say field, expectation and actual value ----------------------------------


def _describe(value: object) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def _fail(owner: str, field: str, expected: str, value: object) -> SpecError:
    return SpecError(f"{owner}: {field!r} must be {expected} (got {_describe(value)})", field=field)


def owner_name(instance: object) -> str:
    return type(instance).__name__


def check_str(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str):
        raise _fail(owner_name(instance), attribute.name, "a string", value)


def check_optional_str(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise _fail(owner_name(instance), attribute.name, "a string or None", value)


def check_nonempty_str(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise _fail(owner_name(instance), attribute.name, "a non-empty string", value)


def check_bool(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, bool):
        raise _fail(owner_name(instance), attribute.name, "True or False", value)


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_optional_number(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not is_number(value):
        raise _fail(owner_name(instance), attribute.name, "a number or None", value)


def check_optional_positive_int(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value <= 0):
        raise _fail(owner_name(instance), attribute.name, "a positive integer or None", value)


def check_optional_count(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise _fail(owner_name(instance), attribute.name, "a non-negative integer or None", value)


def check_choice(*choices: object) -> Callable[[object, attrs.Attribute[Any], object], None]:
    def validate(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value not in choices:
            hint = nearest(value, [str(c) for c in choices]) if isinstance(value, str) else None
            expected = "one of " + ", ".join(repr(c) for c in choices)
            error = _fail(owner_name(instance), attribute.name, expected, value)
            if hint:
                error.help = f"did you mean {hint!r}?"
            raise error

    return validate


def check_items(
    expected: str, predicate: Callable[[object], bool]
) -> Callable[[object, attrs.Attribute[Any], object], None]:
    """Validate a tuple (already converted) whose every item satisfies `predicate`."""

    def validate(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, tuple):
            raise _fail(owner_name(instance), attribute.name, f"a list of {expected}", value)
        for index, item in enumerate(value):
            if not predicate(item):
                raise SpecError(
                    f"{owner_name(instance)}: {attribute.name}[{index}] must be {expected} (got {_describe(item)})",
                    field=attribute.name,
                )

    return validate


def check_str_mapping(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Mapping):
        raise _fail(owner_name(instance), attribute.name, "a dict of strings to strings", value)
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise SpecError(
                f"{owner_name(instance)}: {attribute.name} must map strings to strings "
                f"(got {key!r}: {_describe(item)})",
                field=attribute.name,
            )


# --- converters ---------------------------------------------------------------------------------------------


def to_tuple(value: object) -> object:
    """Lists and tuples become tuples; a lone string stays a string so the validator can name it."""
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return value


def to_mapping(value: object) -> object:
    """Dicts are copied, so changing the user's dict afterwards does not change a frozen object."""
    if isinstance(value, Mapping):
        return dict(value)
    return value

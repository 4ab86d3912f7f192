"""promtool's input-series notation, parsed in one place: `http_requests_total{status="500"}` and
`0+10x30 _x5 stale`. Pure functions; the model validates with them and the checks read their results.

Values (Prometheus 2.42's series description language, floats only):
  `1`, `-2.5`, `1e3`, `Inf`, `-Inf`, `NaN`   one sample
  `_`                                        one missing sample
  `stale`                                    a staleness marker
  `a+bxn`, `a-bxn`                           n+1 samples: a, a+b, ..., a+n*b
  `axn`                                      n+1 samples, all a
  `_xn`                                      n missing samples
"""

from __future__ import annotations

import math
import re

import attrs

_NUMBER = r"[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|Inf|inf|NaN|nan)"
_NUMBER_RE = re.compile(rf"^{_NUMBER}$")
_EXPANDING_RE = re.compile(rf"^(?P<start>{_NUMBER})(?:(?P<sign>[-+])(?P<step>{_NUMBER}))?x(?P<times>\d+)$")
_MISSING_RE = re.compile(r"^_x(?P<times>\d+)$")

STALE = "stale"
MISSING = None

Value = float | str | None  # a number, STALE, or MISSING


class NotationError(ValueError):
    """A series or values string promtool would refuse; `message` says which item and what is expected."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _number(text: str) -> float:
    lowered = text.lower().lstrip("+")
    if lowered in ("inf", "-inf"):
        return -math.inf if lowered.startswith("-") else math.inf
    if lowered == "nan":
        return math.nan
    return float(text)


def parse_values(text: str) -> list[Value]:
    """The samples `text` expands to, one per interval from time 0."""
    if not isinstance(text, str) or not text.strip():
        raise NotationError("values must be a non-empty string such as '0+10x30' or '1x20 _x5 stale'")
    values: list[Value] = []
    for item in text.split():
        if item == "_":
            values.append(MISSING)
        elif item == STALE:
            values.append(STALE)
        elif _NUMBER_RE.match(item):
            values.append(_number(item))
        elif match := _MISSING_RE.match(item):
            values.extend([MISSING] * int(match["times"]))
        elif match := _EXPANDING_RE.match(item):
            start = _number(match["start"])
            step = _number(match["step"]) if match["step"] else 0.0
            if match["sign"] == "-":
                step = -step
            values.extend(start + step * index for index in range(int(match["times"]) + 1))
        elif item.startswith("{{"):
            raise NotationError(f"native histogram samples ({item!r}) are not supported by promtool 2.42")
        else:
            raise NotationError(
                f"{item!r} is not a sample: expected a number, '_', 'stale', 'a+bxn', 'a-bxn', 'axn' or '_xn'"
            )
    return values


def first_sample(values: list[Value]) -> int | None:
    """The index of the first real sample (not missing, not stale), or None when there is none."""
    return next((index for index, value in enumerate(values) if isinstance(value, float)), None)


def format_number(value: float) -> str:
    """A number as promtool reads it: `Inf`, `-Inf`, `NaN`, or the shortest decimal."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


# --- series: `name{label="value", ...}` ---------------------------------------------------------------------

_NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


@attrs.frozen
class SeriesLabels:
    """A series as promtool's `series:` names it: its metric name and its labels, in the order written."""

    name: str
    labels: tuple[tuple[str, str], ...]

    def text(self) -> str:
        """The series written back in Prometheus's notation, labels sorted."""
        return series_text(self.name, dict(self.labels))


def series_text(name: str, labels: dict[str, str]) -> str:
    """`name{a="1", b="2"}` with labels sorted and values escaped; `name` alone without labels."""
    if not labels:
        return name
    parts = []
    for label, value in sorted(labels.items()):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        parts.append(f'{label}="{escaped}"')
    return name + "{" + ", ".join(parts) + "}"


def _quoted(text: str, index: int) -> tuple[str, int]:
    quote = text[index]
    out = []
    index += 1
    while index < len(text):
        char = text[index]
        if char == "\\" and quote != "`" and index + 1 < len(text):
            following = text[index + 1]
            out.append({"n": "\n", "t": "\t"}.get(following, following))
            index += 2
            continue
        if char == quote:
            return "".join(out), index + 1
        out.append(char)
        index += 1
    raise NotationError(f"unterminated string in series {text!r}")


def parse_series(text: str) -> SeriesLabels:
    """`http_requests_total{status="500"}` (or `{__name__="x", ...}`) as a name and its labels."""
    if not isinstance(text, str) or not text.strip():
        raise NotationError("series must be a non-empty string such as 'http_requests_total{status=\"500\"}'")
    text = text.strip()
    name = ""
    index = 0
    match = _NAME_RE.match(text)
    if match:
        name = match.group()
        index = match.end()
    labels: list[tuple[str, str]] = []
    if index < len(text):
        if text[index] != "{" or not text.endswith("}"):
            raise NotationError(f'series {text!r} must look like name{{label="value", ...}}')
        index += 1
        while True:
            while index < len(text) and text[index] in " ,":
                index += 1
            if text[index] == "}":
                if index != len(text) - 1:
                    raise NotationError(f"unexpected text after '}}' in series {text!r}")
                break
            label = _LABEL_RE.match(text, index)
            if label is None:
                raise NotationError(f"expected a label name at {text[index:]!r} in series {text!r}")
            index = label.end()
            while index < len(text) and text[index] == " ":
                index += 1
            if text[index] != "=" or index + 1 >= len(text) or text[index + 1] not in "\"'`":
                raise NotationError(
                    f"label {label.group()!r} in series {text!r} must be set with = and a quoted value"
                    " (input series are concrete: no !=, =~ or !~)"
                )
            value, index = _quoted(text, index + 1)
            labels.append((label.group(), value))
    named = dict(labels)
    if "__name__" in named:
        if name:
            raise NotationError(f"series {text!r} names its metric twice")
        name = named.pop("__name__")
        labels = [(k, v) for k, v in labels if k != "__name__"]
    if not name:
        raise NotationError(f"series {text!r} has no metric name")
    if len(named) != len([k for k, _ in labels]):
        raise NotationError(f"series {text!r} sets a label twice")
    return SeriesLabels(name, tuple(labels))

"""Strict decoding of dashboard JSON with the Grafana Foundation SDK's typed models (test-only helper).

The SDK's `from_json` keeps what it knows and silently drops the rest, and passes some values through
undecoded. `problems` decodes the whole tree, then walks it against the models' type hints (decoding raw
dicts where a model is expected, checking enums, literals and scalar types), encodes it again and compares:
a key the models dropped, or a value they changed, is a problem.
"""

from __future__ import annotations

import copy
import enum
import json
import re
import types
import typing
from typing import Any

from grafana_foundation_sdk.cog import runtime as cogruntime
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models.dashboard import Dashboard

register_default_plugins()

# Keys Grafana reads that the SDK's models leave out, each with the reason it is still right to emit them.
KNOWN_GAPS = re.compile(
    # Grafana's Prometheus data source reads these from the annotation itself (its annotation support takes
    # `titleFormat`, `textFormat`, `tagKeys` and `step`); the generic AnnotationQuery models only `expr`.
    r"^\$\.annotations\.list\[\d+\]\.(titleFormat|textFormat|tagKeys|step)$"
    # `definition` is the text Grafana shows for a query variable in the variables list; VariableModel omits it.
    r"|^\$\.templating\.list\[\d+\]\.definition$"
)
HEADER = "__generated"  # monitoring-dsl's one-line "generated from" header; Grafana ignores it


def problems(dashboard: dict[str, Any]) -> list[str]:
    """Everything in `dashboard` the SDK's typed models do not know, as "path: what" strings."""
    data = {k: v for k, v in copy.deepcopy(dashboard).items() if k != HEADER}
    found: list[str] = []
    decoded = _check(copy.deepcopy(data), Dashboard, "$", found)
    encoded = json.loads(json.dumps(decoded, cls=JSONEncoder))
    _compare(data, encoded, "$", found)
    return list(dict.fromkeys(found))


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _walk(obj: Any, path: str, found: list[str]) -> None:
    """Check every attribute of a decoded model object against its type hint, decoding raw values."""
    if isinstance(obj, cogruntime.UnknownDataquery):
        found.append(f"{path}: a query of unknown type (the SDK decodes Prometheus queries only by datasource)")
        return
    for name, hint in _hints(type(obj)).items():
        if hasattr(obj, name):
            setattr(obj, name, _check(getattr(obj, name), hint, f"{path}.{name}", found))


def _is_model(hint: Any) -> bool:
    return isinstance(hint, type) and hasattr(hint, "from_json") and hasattr(hint, "to_json")


def _check(value: Any, hint: Any, path: str, found: list[str]) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any or hint is object:
        if hasattr(value, "to_json") and not isinstance(value, cogruntime.UnknownDataquery):
            _walk(value, path, found)
        return value
    if origin is typing.Union or origin is types.UnionType:
        if value is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        for option in options:
            if isinstance(option, type) and _is_model(option) and isinstance(value, option):
                return _check(value, option, path, found)  # already decoded: the decoder chose this model
        attempts = []
        for option in options:
            trial: list[str] = []
            _check(copy.deepcopy(value), option, path, trial)
            if not trial:
                return _check(value, option, path, found)
            attempts.append(trial)
        found.extend(min(attempts, key=len) if attempts else [f"{path}: {value!r} fits no type"])
        return value
    if value is None:
        found.append(f"{path}: null where {hint} is expected")
        return value
    if origin is typing.Literal:
        if value not in args:
            found.append(f"{path}: {value!r} is not one of {args}")
        return value
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        if value not in {member.value for member in hint}:
            found.append(f"{path}: {value!r} is not a {hint.__name__} ({', '.join(repr(m.value) for m in hint)})")
        return value
    if origin is list:
        if not isinstance(value, list):
            found.append(f"{path}: expected a list, got {value!r}")
            return value
        return [_check(item, args[0], f"{path}[{i}]", found) for i, item in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            found.append(f"{path}: expected an object, got {value!r}")
            return value
        return {k: _check(v, args[1], f"{path}.{k}", found) for k, v in value.items()}
    if hint is bool:
        if not isinstance(value, bool):
            found.append(f"{path}: expected true/false, got {value!r}")
        return value
    if hint is int:
        if not isinstance(value, int) or isinstance(value, bool):
            found.append(f"{path}: expected an integer, got {value!r}")
        return value
    if hint is float:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            found.append(f"{path}: expected a number, got {value!r}")
        return value
    if hint is str:
        if not isinstance(value, str):
            found.append(f"{path}: expected a string, got {value!r}")
        return value
    if hint is cogvariants.Dataquery:
        _walk(value, path, found)
        return value
    if _is_model(hint):
        if isinstance(value, dict):
            try:
                decoded = hint.from_json(value)
            except (TypeError, KeyError, AttributeError, ValueError) as error:
                found.append(f"{path}: {hint.__name__} cannot decode it ({type(error).__name__}: {error})")
                return value
            _walk(decoded, path, found)
            encoded = json.loads(json.dumps(decoded, cls=JSONEncoder))
            _compare(value, encoded, path, found)
            return decoded
        if isinstance(value, hint):
            _walk(value, path, found)
            return value
        found.append(f"{path}: expected {hint.__name__}, got {value!r}")
        return value
    return value


def _compare(original: Any, encoded: Any, path: str, found: list[str]) -> None:
    """Every key and value of `original` survives decoding and encoding unchanged."""
    if isinstance(original, dict):
        if not isinstance(encoded, dict):
            found.append(f"{path}: became {encoded!r}")
            return
        for key, value in original.items():
            if key not in encoded:
                if not KNOWN_GAPS.match(f"{path}.{key}"):
                    found.append(f"{path}.{key}: unknown key")
                continue
            _compare(value, encoded[key], f"{path}.{key}", found)
    elif isinstance(original, list):
        if not isinstance(encoded, list) or len(encoded) != len(original):
            found.append(f"{path}: list changed to {encoded!r}")
            return
        for index, (a, b) in enumerate(zip(original, encoded, strict=True)):
            _compare(a, b, f"{path}[{index}]", found)
    elif original != encoded or (
        type(original) is not type(encoded)
        and not (isinstance(original, (int, float)) and isinstance(encoded, (int, float)))
    ):
        found.append(f"{path}: {original!r} became {encoded!r}")

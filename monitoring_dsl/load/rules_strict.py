"""Load, for Prometheus rule files: the rule loader's strictness, which the import itself does not apply.

Prometheus decodes a rule file with YAML "known fields" and refuses the whole file for an unknown key, a key
given twice in one mapping, or `for`/`keep_firing_for`/`annotations` on a recording rule. The import skips
such keys silently; this pass reports each one at its line (E046 to E048), so lint fails where `promtool
check rules` fails. Keys that newer Prometheus releases added are accepted when the target version has them.
(An empty group name is E002 from the model, a repeated one R401.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import yaml

from monitoring_dsl import codes
from monitoring_dsl.diagnostics import Code
from monitoring_dsl.model.base import nearest

if TYPE_CHECKING:
    from monitoring_dsl.load.plain import Importing

Version = tuple[int, int]

# Keys of the rule file format and the first Prometheus release that reads each (None: every 2.x).
FILE_KEYS: dict[str, Version | None] = {"groups": None}
GROUP_KEYS: dict[str, Version | None] = {
    "name": None,
    "interval": None,
    "limit": None,
    "rules": None,
    "query_offset": (2, 53),
    "labels": (3, 0),
}
RULE_KEYS: dict[str, Version | None] = {
    "record": None,
    "alert": None,
    "expr": None,
    "for": None,
    "keep_firing_for": (2, 42),
    "labels": None,
    "annotations": None,
}
ALERT_ONLY = ("for", "keep_firing_for", "annotations")
_MERGE_TAG = "tag:yaml.org,2002:merge"


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _column(node: yaml.Node) -> int:
    return int(node.start_mark.column) + 1


def _report(out: Importing, code: Code, message: str, node: yaml.Node, help: str) -> None:
    out.diagnostics.append(code(message, out.at(_line(node), _column(node)), help=help))


def _scalar_keys(node: yaml.MappingNode) -> Iterator[tuple[yaml.ScalarNode, yaml.Node]]:
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.tag != _MERGE_TAG:
            yield key, value


def _duplicates(node: yaml.Node, out: Importing, seen: set[int]) -> None:
    """E047 for every key given twice in one mapping, anywhere in the document."""
    if id(node) in seen:  # aliases share nodes
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first: dict[str, yaml.Node] = {}
        for key, _value in _scalar_keys(node):
            if key.value in first:
                _report(
                    out,
                    codes.RULE_FILE_DUPLICATE_KEY,
                    f"key `{key.value}` is given twice in this mapping (first at line {_line(first[key.value])}); "
                    "Prometheus refuses to load the file",
                    key,
                    "keep one of them: YAML readers disagree on which one wins",
                )
            else:
                first[key.value] = key
        for key, value in node.value:
            _duplicates(key, out, seen)
            _duplicates(value, out, seen)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _duplicates(item, out, seen)


def _version(version: Version) -> str:
    return f"{version[0]}.{version[1]}"


def _unknown_keys(node: yaml.MappingNode, known: dict[str, Version | None], where: str, out: Importing) -> None:
    """E046 for each key Prometheus `out.target` does not know in a mapping of the rule file format."""
    for key, _value in _scalar_keys(node):
        since = known.get(key.value, ...)
        if since is None or (since is not ... and isinstance(since, tuple) and out.target >= since):
            continue
        if isinstance(since, tuple):
            message = f"key `{key.value}` in {where} needs Prometheus {_version(since)} or later"
            help = f"the target is Prometheus {_version(out.target)}, which refuses the file; remove the key"
        else:
            message = f"unknown key `{key.value}` in {where}; Prometheus refuses to load the file"
            close = nearest(key.value, known)
            help = f"did you mean `{close}`?" if close else f"the keys of {where} are: {', '.join(known)}"
        _report(out, codes.RULE_FILE_UNKNOWN_KEY, message, key, help)


def _text(node: yaml.MappingNode, name: str) -> tuple[yaml.Node, str | None] | None:
    for key, value in _scalar_keys(node):
        if key.value == name:
            return key, value.value if isinstance(value, yaml.ScalarNode) and value.tag.endswith(":str") else None
    return None


def _check_rule(node: yaml.Node, out: Importing) -> None:
    if not isinstance(node, yaml.MappingNode):
        return
    record = _text(node, "record")
    name = record[1] if record is not None else (_text(node, "alert") or (None, None))[1]
    where = f"rule {name!r}" if name else "a rule"
    _unknown_keys(node, RULE_KEYS, where, out)
    if record is None:
        return
    for key, _value in _scalar_keys(node):
        if key.value in ALERT_ONLY:
            _report(
                out,
                codes.RULE_FILE_KEY_ON_WRONG_RULE,
                f"recording rule {name!r} has `{key.value}`, which only alerting rules take; "
                "Prometheus refuses to load the file",
                key,
                f"remove `{key.value}:`, or make the rule an alert",
            )


def _check_group(node: yaml.Node, out: Importing) -> None:
    """Unknown keys of a group and of its rules; an empty or repeated group name is E002 and R401 already."""
    if not isinstance(node, yaml.MappingNode):
        return
    entry = _text(node, "name")
    name = entry[1] if entry is not None else None
    _unknown_keys(node, GROUP_KEYS, f"rule group {name!r}" if name else "a rule group", out)
    for key, value in _scalar_keys(node):
        if key.value == "rules" and isinstance(value, yaml.SequenceNode):
            for rule in value.value:
                _check_rule(rule, out)


def check_strictly(root: yaml.Node, out: Importing) -> None:
    """Report what Prometheus's rule loader refuses in the rule file `root` and the import skips: E046-E048."""
    _duplicates(root, out, set())
    if not isinstance(root, yaml.MappingNode):
        return
    top = root
    kind = _text(root, "kind")
    if kind is not None and kind[1] == "PrometheusRule" and _text(root, "groups") is None:
        spec = next((value for key, value in _scalar_keys(root) if key.value == "spec"), None)
        if not isinstance(spec, yaml.MappingNode):
            return
        top = spec  # a Kubernetes resource: only its spec is a rule file
    else:
        _unknown_keys(root, FILE_KEYS, "the rule file", out)
    groups = next((value for key, value in _scalar_keys(top) if key.value == "groups"), None)
    if isinstance(groups, yaml.SequenceNode):
        for group in groups.value:
            _check_group(group, out)

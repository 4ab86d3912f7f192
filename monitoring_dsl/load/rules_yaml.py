"""Load, for Prometheus rule files: `groups:` YAML becomes RuleGroup, Alert and Record objects at their lines.

The YAML is composed into nodes with PyYAML's safe loader (never constructed into Python objects), so every
rule keeps the line of its `- alert:` or `- record:` item and scalars keep the text Prometheus would read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

from monitoring_dsl.load import rules_strict
from monitoring_dsl.model.rules import Alert, KeyMarks, Record, RuleGroup

if TYPE_CHECKING:
    from monitoring_dsl.load.plain import Importing

# libyaml's safe loader when PyYAML was built with it (twenty times faster, same nodes and marks).
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_NULL_TAG = "tag:yaml.org,2002:null"
_INT_TAG = "tag:yaml.org,2002:int"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_ANNOTATION_KEYWORDS = ("summary", "description", "runbook_url")
_SYNTAX_HELP = "fix the YAML at this position, where the parser gave up"

Pairs = dict[str, tuple[yaml.Node, yaml.Node]]


class _NotText(Exception):
    """A value Prometheus reads as a string is a list or a mapping."""

    def __init__(self, message: str, node: yaml.Node):
        super().__init__(message)
        self.message = message
        self.node = node


def line_of(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def import_rules(text: str, out: Importing) -> None:
    """Every group and rule of the rule file `text` into `out`; a problem with one rule skips only that rule.

    A file of several YAML documents (Kubernetes manifests: `PrometheusRule` resources separated by `---`)
    contributes the groups of each; documents that are other Kubernetes resources are passed over.
    """
    documents = _compose(text, out)
    if documents is None:
        return
    if len(documents) > 1:
        documents = _rule_documents(documents, out)
    for root in documents:
        if isinstance(root, yaml.MappingNode) and "groups" in _resource_spec(mapping(root)):
            rules_strict.check_strictly(root, out)
        for group in _group_items(root, out):
            try:
                _import_group(group, out)
            except _NotText as error:
                out.invalid(f"rule group: {error.message}", line_of(error.node), "Prometheus reads it as a string")


def _rule_documents(documents: list[yaml.Node], out: Importing) -> list[yaml.Node]:
    """The documents of a multi-document file that hold rule groups, or a diagnostic when none does."""
    found = []
    for document in documents:
        if not isinstance(document, yaml.MappingNode):
            found.append(document)  # reported as not a rule file
            continue
        pairs = mapping(document)
        if "groups" in _resource_spec(pairs) or "kind" not in pairs:
            found.append(document)
    if not any(isinstance(d, yaml.MappingNode) and "groups" in _resource_spec(mapping(d)) for d in documents):
        out.not_recognised(
            f"none of the {len(documents)} YAML documents is a rule file (a mapping with `groups:`) or a "
            "PrometheusRule resource"
        )
        return []
    return found


def _compose(text: str, out: Importing) -> list[yaml.Node] | None:
    """The file's YAML documents as nodes (empty ones left out), or None after a diagnostic."""
    loader = _SafeLoader(text)
    documents: list[yaml.Node] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is not None and not _is_null(node):
                documents.append(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = (mark.line + 1, mark.column + 1) if mark is not None else (1, 0)
        out.unreadable(f"invalid YAML: {_yaml_message(error)}", *where, help=_SYNTAX_HELP)
        return None
    except yaml.YAMLError as error:
        out.unreadable(f"invalid YAML: {error}", help=_SYNTAX_HELP)
        return None
    except RecursionError:
        out.unreadable("invalid YAML: nested too deeply to read")
        return None
    finally:
        loader.dispose()
    if not documents:
        out.unreadable("the file holds no YAML document, only comments or `---`")
        return None
    return documents


def _yaml_message(error: yaml.MarkedYAMLError) -> str:
    parts = [error.context, error.problem]
    return ", ".join(part for part in parts if part) or "cannot be parsed"


def _group_items(root: yaml.Node, out: Importing) -> list[yaml.Node]:
    """The items of the rule file's `groups:` (or a PrometheusRule resource's `spec.groups`), after a
    diagnostic when there is no such list."""
    if not isinstance(root, yaml.MappingNode):
        kind = "list" if isinstance(root, yaml.SequenceNode) else "single value"
        out.not_recognised(f"the YAML is a {kind}, not a Prometheus rule file (a mapping with `groups:`)")
        return []
    pairs = _resource_spec(mapping(root))
    if "groups" not in pairs:
        _not_a_rule_file(pairs, out)
        return []
    key, groups = pairs["groups"]
    if _is_null(groups):
        return []
    if not isinstance(groups, yaml.SequenceNode):
        out.not_recognised("`groups:` must be a list of rule groups", line_of(key))
        return []
    return list(groups.value)


def _resource_spec(pairs: Pairs) -> Pairs:
    """The `spec:` of a Kubernetes PrometheusRule resource, which holds the groups; otherwise `pairs` itself."""
    kind, spec = pairs.get("kind"), pairs.get("spec")
    is_resource = kind is not None and isinstance(kind[1], yaml.ScalarNode) and kind[1].value == "PrometheusRule"
    if "groups" not in pairs and is_resource and spec is not None and isinstance(spec[1], yaml.MappingNode):
        return mapping(spec[1])
    return pairs


def _not_a_rule_file(pairs: Pairs, out: Importing) -> None:
    if "tests" in pairs:
        out.not_recognised(
            "this is a promtool rule unit-test file, not a rule file",
            help="run it with `promtool test rules`; lint the rule files it lists instead",
        )
    elif "panels" in pairs or "rows" in pairs or "dashboard" in pairs:
        out.not_recognised(
            "this YAML looks like a Grafana dashboard; dashboards are read as JSON",
            help="export the dashboard as JSON",
        )
    else:
        keys = ", ".join(sorted(pairs)[:5]) or "none"
        out.not_recognised(f"the YAML mapping has no `groups:` (its keys: {keys}), so it is not a rule file")


def _import_group(node: yaml.Node, out: Importing) -> None:
    if not isinstance(node, yaml.MappingNode):
        out.not_recognised("a rule group must be a mapping with `name:` and `rules:`", line_of(node))
        return
    pairs = mapping(node)
    name = pairs.get("name")
    line = line_of(name[0]) if name is not None else line_of(node)
    rules = [rule for item in _rule_items(pairs, out) if (rule := _import_rule(item, out)) is not None]
    options: dict[str, Any] = {"interval": _text(pairs.get("interval")), "limit": _limit(pairs.get("limit"))}
    group = out.build(RuleGroup, line, _text(name) or "", rules, **options)
    if group is not None:
        for rule in rules:
            out.declare(rule)
        out.declare(group)


def _rule_items(pairs: Pairs, out: Importing) -> list[yaml.Node]:
    rules = pairs.get("rules")
    if rules is None or _is_null(rules[1]):
        return []
    if not isinstance(rules[1], yaml.SequenceNode):
        out.not_recognised("`rules:` must be a list of rules", line_of(rules[0]))
        return []
    return list(rules[1].value)


def _import_rule(node: yaml.Node, out: Importing) -> Alert | Record | None:
    line = line_of(node)
    if not isinstance(node, yaml.MappingNode):
        out.not_recognised("a rule must be a mapping with `alert:` or `record:`, and `expr:`", line)
        return None
    pairs = mapping(node)
    try:
        rule = _build_rule(pairs, line, out)
    except _NotText as error:
        out.invalid(f"{_describe(pairs)}: {error.message}", line_of(error.node), "Prometheus reads it as a string")
        return None
    if rule is not None:
        object.__setattr__(rule, "marks", key_marks(node))
    return rule


def key_marks(item: yaml.MappingNode) -> KeyMarks:
    """Where each key written at the start of a line of the rule `item` first appears, and the item's last line,
    from the node marks (keys of flow mappings, `{a: 1}`, do not start a line; merged keys written elsewhere in
    the file are left out)."""
    first = line_of(item)
    last = max(first, int(item.end_mark.line))  # a block ends at the next token: its 0-based line is our last
    keys: dict[str, tuple[int, int]] = {}
    seen: set[int] = set()
    stack: list[yaml.Node] = [item]
    while stack:
        node = stack.pop()
        if id(node) in seen or line_of(node) < first:
            continue
        seen.add(id(node))
        last = max(last, line_of(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append(value)
                if node.flow_style or not isinstance(key, yaml.ScalarNode) or key.tag == _MERGE_TAG:
                    continue
                quoted = 1 if key.style in ('"', "'") else 0
                where = (line_of(key), int(key.start_mark.column) + 1 + quoted)
                if key.value not in keys or where < keys[key.value]:
                    keys[key.value] = where
    return KeyMarks(keys, min(last, first + 999))  # as far as a finding in a rule is looked for


def _describe(pairs: Pairs) -> str:
    for key in ("alert", "record"):
        entry = pairs.get(key)
        if entry is not None and isinstance(entry[1], yaml.ScalarNode):
            return f"{key} {entry[1].value!r}"
    return "rule"


def _build_rule(pairs: Pairs, line: int, out: Importing) -> Alert | Record | None:
    alert, record, expr = _text(pairs.get("alert")), _text(pairs.get("record")), _text(pairs.get("expr"))
    if (alert is None) == (record is None):
        which = "both `alert:` and `record:`" if alert is not None else "neither `alert:` nor `record:`"
        out.not_recognised(f"the rule has {which}; give exactly one", line)
        return None
    if expr is None:
        out.not_recognised(f"the rule {alert or record!r} has no `expr:`", line)
        return None
    labels = _string_map(pairs.get("labels"))
    if record is not None:
        return out.build(Record, line, record, expr, labels=labels)
    annotations = _string_map(pairs.get("annotations"))
    keywords = {key: annotations.pop(key) for key in _ANNOTATION_KEYWORDS if key in annotations}
    severity = labels.pop("severity", None)
    options = {
        "for_": _text(pairs.get("for")),
        "keep_firing_for": _text(pairs.get("keep_firing_for")),
        "severity": severity,
        **keywords,
    }
    return out.build(Alert, line, alert, expr, labels=labels, annotations=annotations, **options)


def mapping(node: yaml.MappingNode) -> Pairs:
    """A mapping node's entries by key text (later keys win), with `<<:` merges applied one level deep."""
    pairs: Pairs = {}
    for key, value in node.value:
        if key.tag == _MERGE_TAG:
            merged = value.value if isinstance(value, yaml.SequenceNode) else [value]
            for source in merged:
                if isinstance(source, yaml.MappingNode):
                    for inner_key, inner_value in source.value:
                        if isinstance(inner_key, yaml.ScalarNode):
                            pairs.setdefault(inner_key.value, (inner_key, inner_value))
        elif isinstance(key, yaml.ScalarNode):
            pairs[key.value] = (key, value)
    return pairs


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG


def _text(entry: tuple[yaml.Node, yaml.Node] | None) -> str | None:
    """A scalar as the text Prometheus reads (`1.0` stays "1.0", `true` stays "true"); None when absent or null."""
    if entry is None or _is_null(entry[1]):
        return None
    key, value = entry
    if not isinstance(value, yaml.ScalarNode):
        raise _NotText(f"`{key.value}:` must be a single value, not a {_kind(value)}", value)
    return str(value.value)


def _string_map(entry: tuple[yaml.Node, yaml.Node] | None) -> dict[str, str]:
    """`labels:` or `annotations:` as strings; null values are left out, as Prometheus drops empty labels."""
    if entry is None or _is_null(entry[1]):
        return {}
    key, value = entry
    if not isinstance(value, yaml.MappingNode):
        raise _NotText(f"`{key.value}:` must be a mapping of names to values, not a {_kind(value)}", value)
    result: dict[str, str] = {}
    for name, item in mapping(value).items():
        text = _text(item)
        if text is not None:
            result[name] = text
    return result


def _limit(entry: tuple[yaml.Node, yaml.Node] | None) -> object:
    """`limit:` as an int when it is a YAML integer; anything else is passed on for the model to refuse."""
    text = _text(entry)
    if text is not None and entry is not None and entry[1].tag == _INT_TAG:
        try:
            return int(text.replace("_", ""), 0)
        except ValueError:
            return text
    return text


def _kind(node: yaml.Node) -> str:
    return "list" if isinstance(node, yaml.SequenceNode) else "mapping"

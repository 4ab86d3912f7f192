"""`alertmanager.yml`: the routing tree, receivers (secrets only as `*_file` paths) and inhibition rules,
keys in Alertmanager's documented order, each block preceded by the spec line it came from."""

from __future__ import annotations

from collections.abc import Mapping

from monitoring_dsl.emit.serialize import COMMENT_KEY
from monitoring_dsl.emit.stack_common import spec_line
from monitoring_dsl.model.project import Project
from monitoring_dsl.model.stack import Inhibit, Receiver, Route, Routing


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def matchers(match: Mapping[str, str], match_re: Mapping[str, str] | None = None) -> list[str]:
    """Alertmanager 0.22+ matcher strings: `label="value"`, `label=~"regex"`, sorted by label."""
    found = [f"{label}={_quote(value)}" for label, value in match.items()]
    found += [f"{label}=~{_quote(value)}" for label, value in (match_re or {}).items()]
    return sorted(found)


def route(project: Project, branch: Route) -> dict[str, object]:
    """One child route: receiver, matchers, grouping and timing, continue, child routes."""
    data: dict[str, object] = {COMMENT_KEY: f"from {spec_line(project, branch)}", "receiver": branch.receiver}
    found = matchers(branch.match, branch.match_re)
    if found:
        data["matchers"] = found
    if branch.group_by is not None:
        data["group_by"] = list(branch.group_by)
    for key in ("group_wait", "group_interval", "repeat_interval"):
        value = getattr(branch, key)
        if value is not None:
            data[key] = value
    if branch.continue_:
        data["continue"] = True
    if branch.routes:
        data["routes"] = [route(project, child) for child in branch.routes]
    return data


def receiver(project: Project, declared: Receiver) -> dict[str, object]:
    """One receiver with its single `<kind>_configs` entry."""
    return {
        COMMENT_KEY: f"from {spec_line(project, declared)}",
        "name": declared.name,
        f"{declared.kind}_configs": [declared.config()],
    }


def inhibit_rule(project: Project, rule: Inhibit) -> dict[str, object]:
    data: dict[str, object] = {
        COMMENT_KEY: f"from {spec_line(project, rule)}",
        "source_matchers": matchers(rule.source),
        "target_matchers": matchers(rule.target),
    }
    if rule.equal:
        data["equal"] = list(rule.equal)
    return data


def alertmanager_config(project: Project, routing: Routing) -> dict[str, object]:
    """The whole `alertmanager.yml` for `routing`."""
    root: dict[str, object] = {
        COMMENT_KEY: f"from {spec_line(project, routing)}; alerts no route matches go to {routing.default!r}",
        "receiver": routing.default,
        "group_by": list(routing.group_by),
        "group_wait": routing.group_wait,
        "group_interval": routing.group_interval,
        "repeat_interval": routing.repeat_interval,
    }
    if routing.routes:
        root["routes"] = [route(project, branch) for branch in routing.routes]
    config: dict[str, object] = {"route": root, "receivers": [receiver(project, r) for r in routing.receivers]}
    if routing.inhibit:
        config["inhibit_rules"] = [inhibit_rule(project, rule) for rule in routing.inhibit]
    return config

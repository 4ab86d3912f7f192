"""Everything the loader found in the specs, by type and by owning spec module. Plain data, no I/O."""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from monitoring_dsl.model.dashboards import Dashboard
from monitoring_dsl.model.metrics import Metric
from monitoring_dsl.model.rules import Alert, Record, RuleGroup
from monitoring_dsl.model.ruletests import RuleTest
from monitoring_dsl.model.stack import Prometheus, Routing, Service


@attrs.frozen
class SpecModule:
    """One spec file: its module name and its path relative to the project root (as written in headers)."""

    name: str
    source: str


@attrs.frozen
class Declared:
    """An object and the spec module that declared it (the module being executed when it was built)."""

    obj: object
    module: str


@attrs.frozen
class Project:
    """The loaded specs. Objects appear once each, in declaration order, however often they were imported."""

    modules: tuple[SpecModule, ...]
    declared: tuple[Declared, ...]
    # id(generated object) -> the declaration it was generated from (an SLO's rule group and dashboard -> the
    # SLO), so that `allow={...}` on the declaration covers what it generates.
    origins: dict[int, object] = attrs.field(factory=dict, eq=False, repr=False)
    _owner: dict[int, str] = attrs.field(init=False, repr=False, eq=False)
    _groups: dict[str, list[RuleGroup]] | None = attrs.field(init=False, repr=False, eq=False, default=None)
    _typed: dict[type, tuple[Declared, ...]] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_owner", {id(d.obj): d.module for d in self.declared})
        object.__setattr__(self, "_typed", {})

    def _of_type(self, kind: type) -> Iterator[Declared]:
        """The declarations of one kind, filtered once per kind: checks ask for them per query (a scrape
        job's interval, say), and a scan of every declaration each time made large projects quadratic."""
        found = self._typed.get(kind)
        if found is None:
            found = self._typed[kind] = tuple(d for d in self.declared if isinstance(d.obj, kind))
        return iter(found)

    @property
    def metrics(self) -> list[Metric]:
        return [d.obj for d in self._of_type(Metric)]  # type: ignore[misc]

    @property
    def dashboards(self) -> list[Dashboard]:
        return [d.obj for d in self._of_type(Dashboard)]  # type: ignore[misc]

    @property
    def alerts(self) -> list[Alert]:
        return [d.obj for d in self._of_type(Alert)]  # type: ignore[misc]

    @property
    def records(self) -> list[Record]:
        return [d.obj for d in self._of_type(Record)]  # type: ignore[misc]

    @property
    def services(self) -> list[Service]:
        return [d.obj for d in self._of_type(Service)]  # type: ignore[misc]

    @property
    def prometheus_servers(self) -> list[Prometheus]:
        return [d.obj for d in self._of_type(Prometheus)]  # type: ignore[misc]

    @property
    def routings(self) -> list[Routing]:
        return [d.obj for d in self._of_type(Routing)]  # type: ignore[misc]

    @property
    def has_stack(self) -> bool:
        """Whether the specs declare a stack (a Service, Prometheus or Routing): then its files are emitted."""
        return bool(self.services or self.prometheus_servers or self.routings)

    @property
    def rule_tests(self) -> list[RuleTest]:
        return [d.obj for d in self._of_type(RuleTest)]  # type: ignore[misc]

    def rule_tests_by_module(self) -> dict[str, list[RuleTest]]:
        grouped: dict[str, list[RuleTest]] = {}
        for declared in self._of_type(RuleTest):
            grouped.setdefault(declared.module, []).append(declared.obj)  # type: ignore[arg-type]
        return grouped

    def module_of(self, obj: object) -> str:
        try:
            return self._owner[id(obj)]
        except KeyError:
            raise KeyError(f"{obj!r} was not declared in any spec module") from None

    def dashboards_by_module(self) -> dict[str, list[Dashboard]]:
        grouped: dict[str, list[Dashboard]] = {}
        for declared in self._of_type(Dashboard):
            grouped.setdefault(declared.module, []).append(declared.obj)  # type: ignore[arg-type]
        return grouped

    def rule_groups_by_module(self) -> dict[str, list[RuleGroup]]:
        """Each module's rule groups in declaration order; its loose rules form a last group named after it.

        Computed once: every check, the suppression map and the emitter see the same group objects.
        """
        if self._groups is None:
            object.__setattr__(self, "_groups", self._group_rules())
        assert self._groups is not None
        return self._groups

    def _group_rules(self) -> dict[str, list[RuleGroup]]:
        grouped: dict[str, list[RuleGroup]] = {}
        in_a_group = {id(rule) for d in self._of_type(RuleGroup) for rule in d.obj.rules}  # type: ignore[attr-defined]
        loose: dict[str, list[Alert | Record]] = {}
        for declared in self.declared:
            if isinstance(declared.obj, RuleGroup):
                grouped.setdefault(declared.module, []).append(declared.obj)
            elif isinstance(declared.obj, (Alert, Record)) and id(declared.obj) not in in_a_group:
                loose.setdefault(declared.module, []).append(declared.obj)
        for module, rules in loose.items():
            group = RuleGroup(module, tuple(rules))
            object.__setattr__(group, "location", rules[0].location)
            grouped.setdefault(module, []).append(group)
        return grouped

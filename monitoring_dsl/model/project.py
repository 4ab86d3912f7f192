"""Everything the loader found in the specs, by type and by owning spec module. Plain data, no I/O."""

from __future__ import annotations

import functools
from collections.abc import Collection
from typing import TypeVar

import attrs

from monitoring_dsl.model.dashboards import Dashboard
from monitoring_dsl.model.metrics import Metric
from monitoring_dsl.model.rules import Alert, Record, RuleGroup
from monitoring_dsl.model.ruletests import RuleTest
from monitoring_dsl.model.stack import Prometheus, Routing, Service

T = TypeVar("T")


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
    # The views below are computed once, on first use (the project never changes after loading).

    def _of_type(self, kind: type[T]) -> list[T]:
        return [d.obj for d in self.declared if isinstance(d.obj, kind)]

    def _by_module(self, kind: type[T]) -> dict[str, list[T]]:
        grouped: dict[str, list[T]] = {}
        for declared in self.declared:
            if isinstance(declared.obj, kind):
                grouped.setdefault(declared.module, []).append(declared.obj)
        return grouped

    @functools.cached_property
    def _owner(self) -> dict[int, str]:
        return {id(d.obj): d.module for d in self.declared}

    @functools.cached_property
    def metrics(self) -> tuple[Metric, ...]:
        return tuple(self._of_type(Metric))

    @functools.cached_property
    def dashboards(self) -> tuple[Dashboard, ...]:
        return tuple(self._of_type(Dashboard))

    @functools.cached_property
    def alerts(self) -> tuple[Alert, ...]:
        return tuple(self._of_type(Alert))

    @functools.cached_property
    def records(self) -> tuple[Record, ...]:
        return tuple(self._of_type(Record))

    @functools.cached_property
    def services(self) -> tuple[Service, ...]:
        return tuple(self._of_type(Service))

    @functools.cached_property
    def prometheus_servers(self) -> tuple[Prometheus, ...]:
        return tuple(self._of_type(Prometheus))

    @functools.cached_property
    def routings(self) -> tuple[Routing, ...]:
        return tuple(self._of_type(Routing))

    @property
    def has_stack(self) -> bool:
        """Whether the specs declare a stack (a Service, Prometheus or Routing): then its files are emitted."""
        return bool(self.services or self.prometheus_servers or self.routings)

    @functools.cached_property
    def rule_tests(self) -> tuple[RuleTest, ...]:
        return tuple(self._of_type(RuleTest))

    def rule_tests_by_module(self) -> dict[str, list[RuleTest]]:
        return self._by_module(RuleTest)

    def module_of(self, obj: object) -> str:
        try:
            return self._owner[id(obj)]
        except KeyError:
            raise KeyError(f"{obj!r} was not declared in any spec module") from None

    def restricted(self, modules: Collection[str]) -> Project:
        """The part of the project that `modules` declared (what they generated included), for checks whose
        findings about a module's objects depend only on those objects and on what the whole project declares
        of its catalog (checks/kept.py)."""
        wanted = set(modules)
        return Project(
            tuple(m for m in self.modules if m.name in wanted),
            tuple(d for d in self.declared if d.module in wanted),
            self.origins,
        )

    def dashboards_by_module(self) -> dict[str, list[Dashboard]]:
        return self._by_module(Dashboard)

    def rule_groups_by_module(self) -> dict[str, list[RuleGroup]]:
        """Each module's rule groups in declaration order; its loose rules form a last group named after it.

        Computed once: every check, the suppression map and the emitter see the same group objects.
        """
        return self._groups

    @functools.cached_property
    def _groups(self) -> dict[str, list[RuleGroup]]:
        grouped: dict[str, list[RuleGroup]] = {}
        in_a_group = {id(rule) for group in self._of_type(RuleGroup) for rule in group.rules}
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

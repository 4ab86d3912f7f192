"""Rule tests as the emitter, the checks and `monitoring-dsl test` see them: the declared RuleTests and the
generated boundary tests, by spec module, with the rule files each module's tests need. Pure, no I/O."""

from __future__ import annotations

import math

import attrs

from monitoring_dsl.model.project import Project
from monitoring_dsl.model.rules import Alert, Record, format_duration, parse_duration
from monitoring_dsl.model.ruletests import GENERATED_PREFIX, DoesNotFire, Fires, RuleTest, Series
from monitoring_dsl.model.series_notation import format_number, series_text
from monitoring_dsl.promql import Parsed, parse, selectors, threshold


@attrs.frozen
class Boundary:
    """The generated tests of one alert with `boundary_tests=True`, or why none could be generated."""

    alert: Alert
    tests: tuple[RuleTest, ...]
    reason: str | None = None


def _nudge(value: float, up: bool) -> float:
    """A number just past `value`, written short: 1% of it, or 0.01 around 0."""
    step = abs(value) * 0.01 or 0.01
    nudged = float(format_number(float(f"{value + (step if up else -step):.6g}")))
    return nudged if (nudged > value if up else nudged < value) else value + (step if up else -step)


def boundary_tests(alert: Alert, evaluation_seconds: float) -> Boundary:
    """For `series OP number` with `for_`: one test whose series sits just past the threshold (pending before
    `for_`, firing at it) and one whose series sits just short of it (never fires)."""
    parsed = parse(alert.expr)
    found = threshold(parsed) if isinstance(parsed, Parsed) else None
    if found is None or found.selector.name is None:
        return Boundary(alert, (), "its expression is not of the shape `series > number` (or <, >=, <=)")
    labels = {}
    for matcher in found.selector.matchers:
        if matcher.label == "__name__":
            continue
        if matcher.op != "=":
            return Boundary(alert, (), f"its selector matches {matcher.label}{matcher.op}{matcher.value!r}, not with =")
        labels[matcher.label] = matcher.value
    step = evaluation_seconds
    hold = parse_duration(alert.for_ or "0") or 0.0
    fire_at = math.ceil(hold / step) * step
    fires_when_above = found.op in (">", ">=")
    inclusive = found.op in (">=", "<=")
    firing_value = found.value if inclusive else _nudge(found.value, up=fires_when_above)
    quiet_value = _nudge(found.value, up=not fires_when_above) if inclusive else found.value
    series = series_text(found.selector.name, labels)
    samples = int(fire_at // step) + 3
    interval = format_duration(step)
    condition = f"{found.op} {format_number(found.value)}"
    pending: list[Fires | DoesNotFire] = (
        [DoesNotFire(alert.name, at=format_duration(fire_at - step))] if fire_at >= step else []
    )
    firing = RuleTest(
        f"{GENERATED_PREFIX}{alert.name}: {series} at {format_number(firing_value)} ({condition}) "
        f"fires after {alert.for_ or '0s'}",
        series=(Series(series, f"{format_number(firing_value)}x{samples}"),),
        at=format_duration(fire_at),
        alerts=(*pending, Fires(alert.name, labels=labels)),
        interval=interval,
    )
    quiet = RuleTest(
        f"{GENERATED_PREFIX}{alert.name}: {series} at {format_number(quiet_value)} (not {condition}) never fires",
        series=(Series(series, f"{format_number(quiet_value)}x{samples}"),),
        at=format_duration(fire_at + step),
        alerts=(DoesNotFire(alert.name),),
        interval=interval,
    )
    for test in (firing, quiet):
        object.__setattr__(test, "location", alert.location)
        for expectation in test.alerts:
            object.__setattr__(expectation, "location", alert.location)
        for input_series in test.series:
            object.__setattr__(input_series, "location", alert.location)
    return Boundary(alert, (firing, quiet))


def boundaries(project: Project, evaluation_seconds: float) -> list[Boundary]:
    """The boundary tests of every alert that asks for them."""
    return [boundary_tests(alert, evaluation_seconds) for alert in project.alerts if alert.boundary_tests]


def tests_by_module(project: Project, evaluation_seconds: float = 60.0) -> dict[str, list[RuleTest]]:
    """Declared tests, then generated ones, per spec module (generated tests go with their alert's module)."""
    grouped: dict[str, list[RuleTest]] = {m: list(t) for m, t in project.rule_tests_by_module().items()}
    for boundary in boundaries(project, evaluation_seconds):
        if boundary.tests:
            grouped.setdefault(project.module_of(boundary.alert), []).extend(boundary.tests)
    return dict(sorted(grouped.items()))


def tested_names(tests: list[RuleTest]) -> set[str]:
    """The alerts and records that `tests` state something about."""
    names = {expectation.alert for test in tests for expectation in test.alerts}
    names |= {sample.name for test in tests for sample in test.samples}
    return names


def rule_files(project: Project, module: str, tests: list[RuleTest]) -> list[str]:
    """The spec modules whose rule files `tests` need: the module's own, those of every rule the tests name,
    and those of the records those rules read, transitively."""
    rule_modules = project.rule_groups_by_module()
    owner: dict[str, set[str]] = {}
    rules: dict[str, list[Alert | Record]] = {}
    for rule_module, groups in rule_modules.items():
        for group in groups:
            for rule in group.rules:
                owner.setdefault(rule.name, set()).add(rule_module)
                rules.setdefault(rule.name, []).append(rule)
    needed = {module} & set(rule_modules)
    pending = sorted(tested_names(tests))
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen or name not in owner:
            continue
        seen.add(name)
        needed |= owner[name]
        for rule in rules[name]:
            parsed = parse(rule.expr)
            if isinstance(parsed, Parsed):
                pending.extend(s.name for s in selectors(parsed) if s.name and s.name in owner)
    return sorted(needed)

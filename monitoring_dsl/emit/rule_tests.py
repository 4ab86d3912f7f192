"""promtool test files: one per spec module with tests, keys in the order promtool documents them.

An expected alert is an `alert_rule_test` entry, compared with its labels and annotations. When the alert has
templated annotations the test does not give, it is checked through the `ALERTS` series instead (labels only),
because promtool compares annotations exactly and has no "any" for them.
"""

from __future__ import annotations

from collections.abc import Mapping

from monitoring_dsl.model.rules import Alert
from monitoring_dsl.model.ruletests import DoesNotFire, Fires, RuleTest
from monitoring_dsl.model.series_notation import parse_series, series_text


def _templated(value: str) -> bool:
    return "{{" in value


def expected_labels(alert: Alert | None, fires: Fires) -> dict[str, str]:
    """The labels an expected alert carries besides `alertname`: the rule's own, then the test's."""
    labels = dict(alert.all_labels()) if alert is not None else {}
    labels.update(fires.labels)
    return dict(sorted(labels.items()))


def expected_annotations(alert: Alert | None, fires: Fires) -> dict[str, str]:
    """The rule's fixed annotations, then the test's."""
    annotations = {k: v for k, v in (alert.all_annotations() if alert else {}).items() if not _templated(v)}
    annotations.update(fires.annotations or {})
    return dict(sorted(annotations.items()))


def checks_alerts_series(alert: Alert | None, fires: list[Fires]) -> bool:
    """Whether these expectations of one alert at one time go through `ALERTS` (labels only)."""
    templated = alert is not None and any(_templated(v) for v in alert.all_annotations().values())
    return templated and any(f.annotations is None for f in fires)


def alerts_expr(alertname: str) -> str:
    """The query that lists the firing instances of one alert."""
    return series_text("ALERTS", {"alertname": alertname, "alertstate": "firing"}).replace(", ", ",")


def _alert_cases(test: RuleTest, alerts: Mapping[str, Alert]) -> tuple[list[object], list[object]]:
    by_key: dict[tuple[str, str], list[Fires | DoesNotFire]] = {}
    for expectation in test.alerts:
        by_key.setdefault((expectation.alert, test.time_of(expectation)), []).append(expectation)
    rule_cases: list[object] = []
    expr_cases: list[object] = []
    for (name, at), expectations in by_key.items():
        alert = alerts.get(name)
        fires = [e for e in expectations if isinstance(e, Fires)]
        if any(isinstance(e, DoesNotFire) for e in expectations):
            rule_cases.append({"eval_time": at, "alertname": name, "exp_alerts": []})
        if not fires:
            continue
        if checks_alerts_series(alert, fires):
            samples = [
                {
                    "labels": series_text(
                        "ALERTS", {"alertname": name, "alertstate": "firing", **expected_labels(alert, f)}
                    ),
                    "value": 1,
                }
                for f in fires
            ]
            expr_cases.append({"expr": alerts_expr(name), "eval_time": at, "exp_samples": samples})
        else:
            rule_cases.append(
                {
                    "eval_time": at,
                    "alertname": name,
                    "exp_alerts": [
                        {"exp_labels": expected_labels(alert, f), "exp_annotations": expected_annotations(alert, f)}
                        for f in fires
                    ],
                }
            )
    return rule_cases, expr_cases


def _sample_cases(test: RuleTest) -> list[object]:
    by_key: dict[tuple[str, str], list[object]] = {}
    for sample in test.samples:
        parsed = parse_series(sample.series)
        by_key.setdefault((parsed.name, test.time_of(sample)), []).append(
            {"labels": parsed.text(), "value": sample.value}
        )
    return [{"expr": name, "eval_time": at, "exp_samples": samples} for (name, at), samples in by_key.items()]


def test_group(test: RuleTest, alerts: Mapping[str, Alert]) -> dict[str, object]:
    """One entry of `tests:`: name, interval, input_series, alert_rule_test, promql_expr_test."""
    group: dict[str, object] = {"name": test.name, "interval": test.interval}
    group["input_series"] = [{"series": parse_series(s.series).text(), "values": s.values} for s in test.series]
    rule_cases, expr_cases = _alert_cases(test, alerts)
    if rule_cases:
        group["alert_rule_test"] = rule_cases
    expr_cases.extend(_sample_cases(test))
    if expr_cases:
        group["promql_expr_test"] = expr_cases
    return group


def test_file(
    tests: list[RuleTest], rule_modules: list[str], alerts: Mapping[str, Alert], evaluation_interval: str
) -> dict[str, object]:
    """A whole promtool test file, beside `rules/`: `rule_files` are relative to it, as promtool reads them."""
    return {
        "rule_files": [f"../rules/{module}.yml" for module in rule_modules],
        "evaluation_interval": evaluation_interval,
        "tests": [test_group(test, alerts) for test in tests],
    }

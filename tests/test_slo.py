"""SLOs: exact numbers, rules promtool accepts, generated promtool tests that pass with the real promtool and
fail when the burn factors are wrong, a dashboard per service, and no findings on what they generate."""

from __future__ import annotations

import re
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
import yaml

from monitoring_dsl import SLO, Counter, Histogram
from monitoring_dsl.compiler import compile_specs
from monitoring_dsl.diagnostics import Severity
from monitoring_dsl.emit.rules import rule_file
from monitoring_dsl.emit.serialize import to_yaml
from monitoring_dsl.emit.slo import slo_rule_group, slo_tests
from monitoring_dsl.model.base import SpecError
from monitoring_dsl.model.slo import WORKBOOK, BurnAlert, BurnPolicy
from monitoring_dsl.promql.samples import first_match
from tests.conftest import write_specs

REPO = Path(__file__).resolve().parent.parent

SPEC = """
from monitoring_dsl import SLO, Counter, Histogram

requests = Counter("http_requests_total", "Requests", labels=["endpoint", "status"])
latency = Histogram("http_request_duration_seconds", "Latency", labels=["endpoint"], unit="seconds",
                    buckets=[0.05, 0.1, 0.2, 1])
RUNBOOK = "https://runbooks.example.com/slo"

errors = SLO("checkout", "errors", objective=99.95, runbook_url=RUNBOOK, labels={"team": "payments"},
             indicator=SLO.ratio(errors='http_requests_total{endpoint="/pay", status=~"5.."}',
                                 total='http_requests_total{endpoint="/pay"}'))
fast = SLO("checkout", "latency", objective=99, runbook_url=RUNBOOK, page_severity="page",
           ticket_severity="ticket", indicator=SLO.latency(latency, 1, endpoint="/pay"))
up = SLO("checkout", "availability", objective=99.9, window="28d", runbook_url=RUNBOOK,
         indicator=SLO.availability(job="checkout"))
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    root = write_specs(tmp_path_factory.mktemp("slo"), {"checkout.py": SPEC})
    result = compile_specs([root / "specs"], root)
    assert [] == [f"{d.code} {d.message}" for d in result.diagnostics if d.severity is not Severity.INFO]
    assert result.artifacts is not None
    return result.artifacts


def _write(tree: dict[str, bytes], out: Path) -> Path:
    for path, data in tree.items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return out


def _promtool(promtool: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


# --- the model ---------------------------------------------------------------------------------------------


def test_error_budget_is_exact() -> None:
    """99.9 is an error budget of exactly 0.001, not 1 - 0.999 in binary floating point."""
    slo = SLO("api", "a", objective=99.9, indicator=SLO.availability(job="api"))
    assert Decimal("0.001") == slo.error_budget


def test_window_must_be_a_duration() -> None:
    """A window that is not a Prometheus duration is refused at the declaration, naming the field."""
    with pytest.raises(SpecError, match=r"'window' must be a Prometheus duration such as '30d' \(got '30 days'\)"):
        SLO("api", "a", objective=99.9, window="30 days", indicator=SLO.availability(job="api"))


def test_indicator_must_be_one_of_the_three() -> None:
    """A selector string where an indicator belongs says which constructors exist."""
    with pytest.raises(SpecError, match=r"'indicator' must be SLO.ratio\(...\), SLO.latency\(...\)"):
        SLO("api", "a", objective=99.9, indicator="up")  # type: ignore[arg-type]


def test_latency_needs_a_histogram() -> None:
    """A latency indicator over a counter is refused: it reads buckets."""
    requests = Counter("http_requests_total", "Requests")
    with pytest.raises(SpecError, match="'histogram' must be a Histogram"):
        SLO.latency(requests, 0.1)  # type: ignore[arg-type]


# --- rules -------------------------------------------------------------------------------------------------


def _rules(tree: dict[str, bytes]) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(tree["prometheus/rules/checkout.yml"])
    return {group["name"]: group for group in data["groups"]}


def test_thresholds_print_as_a_person_writes_them(built: dict[str, bytes]) -> None:
    """99.95% pages above 0.0072 and 0.003, tickets above 0.0015 and 0.0005: exact, no float noise."""
    group = _rules(built)["slo-checkout-errors"]
    page, ticket = (rule["expr"] for rule in group["rules"] if "alert" in rule)
    assert re.findall(r"> (\S+)", page) == ["0.0072", "0.0072", "0.003", "0.003"]
    assert re.findall(r"> (\S+)", ticket) == ["0.0015", "0.0015", "0.0005", "0.0005"]
    text = built["prometheus/rules/checkout.yml"].decode()
    assert not re.search(r"\d\.\d*(0000|9999)\d", text), "float noise in the rule file"


@pytest.mark.parametrize("objective", ["90", "99", "99.5", "99.9", "99.95", "99.99", "99.999", "97.3"])
def test_every_threshold_is_exact(objective: str) -> None:
    """For any objective written in decimal, each threshold is factor x budget computed exactly."""
    slo = SLO("api", "a", objective=float(objective), indicator=SLO.availability(job="api"))
    budget = 1 - Decimal(objective) / 100
    exprs = [rule.expr for rule in slo_rule_group(slo).rules if hasattr(rule, "for_")]
    found = [Decimal(t) for expr in exprs for t in re.findall(r"> (\S+)", expr)]
    wanted = [w.factor * budget for alert in WORKBOOK.alerts() for w in alert.windows for _ in (0, 1)]
    assert wanted == found


def test_rules_go_to_the_declaring_module_in_one_group_per_slo(built: dict[str, bytes]) -> None:
    """Each SLO is a group `slo-<service>-<name>` in its module's rule file: eight error ratios (five for the
    windows the alerts read, two more, the SLO window), objective, budget, budget left, page and ticket."""
    groups = _rules(built)
    assert ["slo-checkout-errors", "slo-checkout-latency", "slo-checkout-availability"] == list(groups)
    names = [rule.get("record") or rule.get("alert") for rule in groups["slo-checkout-availability"]["rules"]]
    windows = ["5m", "30m", "1h", "2h", "6h", "1d", "3d", "28d"]
    assert [f"slo:sli_error:ratio_rate{w}" for w in windows] + [
        "slo:objective:ratio",
        "slo:error_budget:ratio",
        "slo:error_budget:remaining",
        "CheckoutAvailabilityErrorBudgetBurn",
        "CheckoutAvailabilityErrorBudgetBurn",
    ] == names


def test_alerts_carry_severities_and_labels_for_routing(built: dict[str, bytes]) -> None:
    """The page and the ticket carry the configured severities, the SLO's labels and its own labels."""
    alerts = [rule for rule in _rules(built)["slo-checkout-latency"]["rules"] if "alert" in rule]
    assert [{"severity": "page", "service": "checkout", "slo": "latency"}] * 1 + [
        {"severity": "ticket", "service": "checkout", "slo": "latency"}
    ] == [alert["labels"] for alert in alerts]
    errors = [rule for rule in _rules(built)["slo-checkout-errors"]["rules"] if "alert" in rule]
    assert {"severity": "critical", "service": "checkout", "slo": "errors", "team": "payments"} == errors[0]["labels"]


def test_latency_reads_the_threshold_bucket_as_either_client_writes_it(built: dict[str, bytes]) -> None:
    """A whole-number threshold matches `le="1"` (Go client) and `le="1.0"` (prometheus_client)."""
    expr = _rules(built)["slo-checkout-latency"]["rules"][0]["expr"]
    assert (
        '(sum(rate(http_request_duration_seconds_count{endpoint="/pay"}[5m])) - '
        'sum(rate(http_request_duration_seconds_bucket{le=~"1|1.0", endpoint="/pay"}[5m]))) / '
        'sum(rate(http_request_duration_seconds_count{endpoint="/pay"}[5m]))'
    ) == expr


def test_promtool_accepts_the_rules(built: dict[str, bytes], promtool: str, tmp_path: Path) -> None:
    """`promtool check rules` loads every generated rule."""
    out = _write(built, tmp_path)
    result = _promtool(promtool, "check", "rules", "prometheus/rules/checkout.yml", cwd=out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 39 rules found" in result.stdout


# --- generated tests ---------------------------------------------------------------------------------------


def test_test_file_reads_the_rule_file_relative_to_itself(built: dict[str, bytes]) -> None:
    """build/prometheus/tests/slo-<service>.test.yml names ../rules/<module>.yml, so it runs from anywhere."""
    data = yaml.safe_load(built["prometheus/tests/slo-checkout.test.yml"])
    assert ["../rules/checkout.yml"] == data["rule_files"]
    names = [test["name"] for test in data["tests"]]
    assert len(names) == 9
    assert [n for n in names if "does not page" in n] == [
        "checkout/errors: a burn at 2x the budget opens a ticket and does not page",
        "checkout/latency: a burn at 2x the budget opens a ticket and does not page",
        "checkout/availability: a burn at 2x the budget opens a ticket and does not page",
    ]


def test_generated_tests_pass_with_the_real_promtool(built: dict[str, bytes], promtool: str, tmp_path: Path) -> None:
    """The fast burn pages when predicted, the slow burn opens only a ticket, no burn fires nothing."""
    out = _write(built, tmp_path)
    result = _promtool(promtool, "test", "rules", "prometheus/tests/slo-checkout.test.yml", cwd=out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def _with_policy(promtool: str, policy: BurnPolicy, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Rules emitted under `policy`, tested by the tests generated from the workbook, with the real promtool."""
    latency = Histogram("http_request_duration_seconds", "Latency", buckets=[0.1, 0.5])
    slo = SLO("api", "latency", objective=99.9, indicator=SLO.latency(latency, 0.1))
    (tmp_path / "rules").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / "rules" / "api.yml").write_bytes(to_yaml(rule_file([slo_rule_group(slo, policy)]), "specs/api.py"))
    tests = {"rule_files": ["../rules/api.yml"], "evaluation_interval": "1m", "tests": slo_tests(slo)}
    (tmp_path / "tests" / "api.test.yml").write_bytes(to_yaml(tests, "specs/api.py"))
    return _promtool(promtool, "test", "rules", "tests/api.test.yml", cwd=tmp_path)


def _scaled(alert: BurnAlert, times: Decimal) -> BurnAlert:
    return attrs.evolve(alert, windows=tuple(attrs.evolve(w, factor=w.factor * times) for w in alert.windows))


def _failures(output: str) -> dict[str, list[str]]:
    """promtool's failure report, by test name: what each failed check got."""
    found: dict[str, list[str]] = {}
    for block in re.split(r"\n\s*name: ", output)[1:]:
        name = block.split(",\n", 1)[0]
        found.setdefault(name, []).append(block.split("got:", 1)[1] if "got:" in block else block)
    return found


@pytest.mark.parametrize(
    ("policy", "failing", "got"),
    [
        pytest.param(
            attrs.evolve(WORKBOOK, page=_scaled(WORKBOOK.page, Decimal("0.1"))),
            "api/latency: a burn at 2x the budget opens a ticket and does not page",
            'severity="critical"',
            id="page-ten-times-low-pages-on-a-slow-burn",
        ),
        pytest.param(
            attrs.evolve(WORKBOOK, page=_scaled(WORKBOOK.page, Decimal(10))),
            "api/latency: a burn at 28.8x the budget pages after ",
            "got:[]",
            id="page-ten-times-high-misses-the-fast-burn",
        ),
        pytest.param(
            attrs.evolve(WORKBOOK, ticket=_scaled(WORKBOOK.ticket, Decimal(10))),
            "api/latency: a burn at 2x the budget opens a ticket and does not page",
            "got:[]",
            id="ticket-ten-times-high-misses-the-slow-burn",
        ),
    ],
)
def test_a_wrong_burn_factor_fails_the_generated_tests(
    policy: BurnPolicy, failing: str, got: str, promtool: str, tmp_path: Path
) -> None:
    """Rules emitted with a wrong factor fail the tests generated from the workbook, and for the behaviour, not
    the wording: a page ten times too low fires on the slow burn, ten times too high stays silent on the fast
    burn, a ticket ten times too high stays silent on the slow burn."""
    result = _with_policy(promtool, policy, tmp_path)
    assert result.returncode == 1, result.stdout
    failures = _failures(result.stdout + result.stderr)
    reports = [report for name, found in failures.items() if name.startswith(failing) for report in found]
    assert reports, list(failures)
    if got == "got:[]":
        assert any(report.strip().startswith("[]") for report in reports)
    else:
        assert any(got in report for report in reports)


def test_the_workbook_policy_passes_the_same_harness(promtool: str, tmp_path: Path) -> None:
    """The harness of the wrong-factor test passes with the right factors, so its failures are the factors'."""
    result = _with_policy(promtool, WORKBOOK, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_repository_slo_tests_pass(promtool: str, tmp_path: Path) -> None:
    """This repository's own SLOs (specs/slos.py) build, pass `promtool check rules` and their tests."""
    result = compile_specs([REPO / "specs"], REPO)
    assert result.artifacts is not None
    out = _write(result.artifacts, tmp_path)
    check = _promtool(promtool, "check", "rules", "prometheus/rules/slos.yml", cwd=out)
    assert check.returncode == 0, check.stdout + check.stderr
    test = _promtool(promtool, "test", "rules", "prometheus/tests/slo-api.test.yml", cwd=out)
    assert test.returncode == 0, test.stdout + test.stderr


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [("5..", "500"), ("5xx|503", "5xx"), ("[45]..", "400"), ("GET|POST", "GET"), ("a(b|c)", None), ("x{2}", None)],
)
def test_label_values_for_test_series(pattern: str, expected: str | None) -> None:
    """Input series get a label value the error matcher accepts; patterns too intricate to feed get none."""
    assert expected == first_match(pattern)


# --- dashboard ---------------------------------------------------------------------------------------------


def test_one_dashboard_per_service(built: dict[str, bytes]) -> None:
    """`slo-<service>` has a row per SLO with indicator, budget left, burn rate by window and alert state."""
    import json

    dashboard = json.loads(built["grafana/dashboards/slo-checkout.json"])
    rows = [panel["title"] for panel in dashboard["panels"] if panel["type"] == "row"]
    assert ["errors: 99.95% over 30d", "latency: 99% over 30d", "availability: 99.9% over 28d"] == rows
    panels = [panel for panel in dashboard["panels"] if panel["type"] != "row"]
    titles = [panel["title"] for panel in panels[:4]]
    assert [
        "errors: indicator (30d)",
        "errors: error budget remaining",
        "errors: burn rate by window",
        "errors: burn-rate alerts firing",
    ] == titles
    burn = panels[2]["targets"]
    assert ["5m", "30m", "1h", "2h", "6h", "1d", "3d"] == [target["legendFormat"] for target in burn]
    assert 'slo:sli_error:ratio_rate1h{service="checkout", slo="errors"} / 0.0005' == burn[2]["expr"]
    assert 'ALERTS{alertname="CheckoutErrorsErrorBudgetBurn", alertstate="firing"' in panels[3]["targets"][0]["expr"]


def test_readme_example_is_the_golden_case() -> None:
    """The README's SLO example is tests/golden/slo/specs/objectives.py, so the golden case tests it."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Service-level objectives") :]
    example = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert example is not None
    golden = REPO / "tests" / "golden" / "slo" / "specs" / "objectives.py"
    assert golden.read_text(encoding="utf-8") == example.group(1)


@pytest.mark.parametrize("service", ["../etc", "check out", "", "a" * 37])
def test_service_names_cannot_escape_build(service: str) -> None:
    """Service names become file names and uids: path separators, spaces and overlong names are refused."""
    with pytest.raises(SpecError, match=r"'service' must be 1-36 letters, digits, '-' or '_'"):
        SLO(service, "a", objective=99.9, indicator=SLO.availability(job="api"))

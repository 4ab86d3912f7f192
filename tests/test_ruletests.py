"""Rule tests: the series notation, the RuleTest vocabulary, the promtool test files it compiles to, and
`monitoring-dsl test` running them on the real promtool, with failures traced back to spec lines."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
import yaml

from monitoring_dsl.compiler import compile_specs
from monitoring_dsl.model.base import SpecError
from monitoring_dsl.model.ruletests import Fires, RuleTest, Sample, Series
from monitoring_dsl.model.series_notation import STALE, NotationError, parse_series, parse_values
from monitoring_dsl.promtool import parse_failures, run_test_files
from tests.conftest import REPO, run_cli

Project = Callable[[Mapping[str, str]], Path]

QUEUE_SPEC = """\
from monitoring_dsl import Alert, DoesNotFire, Fires, Gauge, RuleGroup, RuleTest

depth = Gauge("queue_depth", "Items waiting", labels=["queue"])

rules = RuleGroup("queues", [
    Alert("QueueBacklog", 'queue_depth{{queue="mail"}} > {threshold}', for_="5m", severity="warning",
          summary="Mail queue backlog", description="{{{{ $value }}}} items waiting"),
])

RuleTest("150 waiting mails page after 5m",
         series={{'queue_depth{{queue="mail", job="mailer", instance="m-1:9100"}}': "150x20"}},
         at="10m",
         alerts=[Fires("QueueBacklog", labels={{"queue": "mail", "job": "mailer", "instance": "m-1:9100"}})])

RuleTest("20 waiting mails stay quiet",
         series={{'queue_depth{{queue="mail"}}': "20x20"}},
         at="10m",
         alerts=[DoesNotFire("QueueBacklog")])
"""


def queue_spec(threshold: int = 100) -> str:
    return QUEUE_SPEC.format(threshold=threshold)


def boundary_spec() -> str:
    waiting = 'description="{{ $value }} items waiting"'
    return queue_spec().replace(waiting, waiting + ",\n          boundary_tests=True")


# --- the notation --------------------------------------------------------------------------------------------


def test_expanding_notation_expands_like_promtool() -> None:
    """`a+bxn` gives n+1 values, `axn` repeats, `_xn` is n missing samples, `stale` a marker."""
    assert [0.0, 10.0, 20.0, 30.0] == parse_values("0+10x3")
    assert [5.0, 4.0, 3.0] == parse_values("5-1x2")
    assert [1.0, 1.0, 1.0, None, None, STALE, 7.5] == parse_values("1x2 _x2 stale 7.5")
    assert [None] == parse_values("_")
    inf, nan = parse_values("Inf NaN")
    assert math.isinf(inf) and math.isnan(nan)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["1x", "0+x3", "abc", "1 2 three", "", "{{sum:1 count:1}}"])
def test_malformed_notation_is_refused(text: str) -> None:
    """Anything promtool 2.42 would refuse raises, naming the item."""
    with pytest.raises(NotationError):
        parse_values(text)


def test_series_parse_with_labels_in_any_quote() -> None:
    """A series is a name and concrete labels; `{__name__="x"}` names the metric too."""
    parsed = parse_series("""http_requests_total{status="500", path='/a"b'}""")
    assert ("http_requests_total", (("status", "500"), ("path", '/a"b'))) == (parsed.name, parsed.labels)
    assert ("up", ()) == (parse_series('{__name__="up"}').name, parse_series('{__name__="up"}').labels)


@pytest.mark.parametrize("text", ['x{a=~"b"}', 'x{a="b"', "x{a=b}", '{a="b"}', 'x{a="1", a="2"}'])
def test_malformed_series_are_refused(text: str) -> None:
    """Regex matchers, missing quotes or names, and repeated labels are not input series."""
    with pytest.raises(NotationError):
        parse_series(text)


# --- the vocabulary ------------------------------------------------------------------------------------------


def test_series_dict_and_list_are_the_same_test() -> None:
    """`series={...}` is shorthand for `series=[Series(...)]`."""
    as_dict = RuleTest("t", series={"up": "1x5"}, at="1m", alerts=[Fires("A")])
    as_list = RuleTest("t", series=[Series("up", "1x5")], at="1m", alerts=[Fires("A")])
    assert as_dict == as_list


def test_a_test_must_expect_something() -> None:
    """A RuleTest without alerts or samples is refused at its line."""
    with pytest.raises(SpecError, match="expects nothing"):
        RuleTest("t", series={"up": "1x5"}, at="1m")


def test_sample_value_must_be_a_number() -> None:
    """Validator messages name the field and what was given."""
    with pytest.raises(SpecError, match="'value' must be a number"):
        Sample("x", "1")  # type: ignore[arg-type]


def test_malformed_notation_is_reported_at_the_spec_line(project: Project) -> None:
    """A bad values string is an E002 at the `series=` of the RuleTest, before promtool runs."""
    root = project(
        {
            "app.py": """\
            from monitoring_dsl import Alert, Fires, RuleTest
            a = Alert("Down", "up == 0", for_="5m", severity="critical", summary="s")
            RuleTest("down",
                     series={'up{job="a"}': "0+x10"},
                     at="6m", alerts=[Fires("Down")])
            """
        }
    )
    result = run_cli("test", cwd=root)
    assert 2 == result.code
    assert "specs/app.py:4:" in result.stderr
    assert "E002" in result.stderr and "'0+x10'" in result.stderr


# --- the emitted files ---------------------------------------------------------------------------------------


def _build(root: Path) -> dict[str, bytes]:
    result = compile_specs([root / "specs"], root)
    assert result.artifacts is not None, [d.message for d in result.diagnostics]
    return result.artifacts


def test_test_file_points_at_the_generated_rules(project: Project) -> None:
    """One test file per module, with the header, `rule_files` relative to it, one group per RuleTest."""
    artifacts = _build(project({"queues.py": queue_spec()}))
    text = artifacts["prometheus/tests/queues.test.yml"].decode()
    assert text.startswith("# Generated by monitoring-dsl from specs/queues.py.")
    data = yaml.safe_load(text)
    assert ["../rules/queues.yml"] == data["rule_files"]
    assert ["150 waiting mails page after 5m", "20 waiting mails stay quiet"] == [t["name"] for t in data["tests"]]
    quiet = data["tests"][1]
    expected = [{"eval_time": "10m", "alertname": "QueueBacklog", "exp_alerts": []}]
    assert expected == quiet["alert_rule_test"]


def test_templated_annotations_not_given_compare_labels_through_alerts(project: Project) -> None:
    """Without annotations, an alert with templated ones is checked on the ALERTS series, labels only."""
    data = yaml.safe_load(_build(project({"queues.py": queue_spec()}))["prometheus/tests/queues.test.yml"])
    case = data["tests"][0]["promql_expr_test"][0]
    assert 'ALERTS{alertname="QueueBacklog",alertstate="firing"}' == case["expr"]
    assert [
        {
            "labels": 'ALERTS{alertname="QueueBacklog", alertstate="firing", instance="m-1:9100", job="mailer", '
            'queue="mail", severity="warning"}',
            "value": 1,
        }
    ] == case["exp_samples"]


def test_generated_tests_pass_promtool(project: Project, promtool: str) -> None:
    """The emitted rule and test files, written out, pass the real `promtool test rules`."""
    root = project({"queues.py": queue_spec()})
    out = root / "out"
    for path, data in _build(root).items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_bytes(data)
    completed = subprocess.run(
        [promtool, "test", "rules", "queues.test.yml"],
        cwd=out / "prometheus" / "tests",
        capture_output=True,
        text=True,
        check=False,
    )
    assert 0 == completed.returncode, completed.stderr


# --- monitoring-dsl test -------------------------------------------------------------------------------------


def test_passing_tests_exit_0_with_coverage(project: Project, promtool: str) -> None:
    """All tests pass: exit 0 and a summary naming how many rules are tested."""
    result = run_cli("test", cwd=project({"queues.py": queue_spec()}))
    assert 0 == result.code, result.stderr
    assert "1 of 1 file passed; 1 of 1 rules tested" in result.stdout


def test_wrong_threshold_fails_at_the_spec_line_with_a_diff(project: Project, promtool: str) -> None:
    """A threshold of 200 where the test expects 150 to page: exit 1, at the test's and the rule's lines,
    with the expected alert and the actual (none) as a diff."""
    result = run_cli("test", cwd=project({"queues.py": queue_spec(threshold=200)}))
    assert 1 == result.code
    lines = result.stderr.splitlines()
    head = "specs/queues.py:10:1: E025 rule test '150 waiting mails page after 5m' failed: alert QueueBacklog at 10m"
    assert any(line.startswith(head) for line in lines), result.stderr
    assert "alert 'QueueBacklog' declared at specs/queues.py:6" in result.stderr
    start = lines.index("    expected (-) and actual (+):")
    assert [
        '    - QueueBacklog{instance="m-1:9100", job="mailer", queue="mail", severity="warning"}',
        "    + (no alert firing)",
    ] == lines[start + 1 : start + 3]
    assert "0 of 1 file passed" in result.stdout


def test_must_not_fire_failure_shows_the_alert_that_fired(project: Project, promtool: str) -> None:
    """A threshold of 10 makes the quiet test fire: the diff shows the alert that appeared."""
    result = run_cli("test", cwd=project({"queues.py": queue_spec(threshold=10)}))
    assert 1 == result.code
    assert "specs/queues.py:15:1: E025 rule test '20 waiting mails stay quiet' failed" in result.stderr
    lines = result.stderr.splitlines()
    start = lines.index("    expected (-) and actual (+):")
    assert [
        "    - (no alert firing)",
        '    + QueueBacklog{queue="mail", severity="warning"}',
        "    +     description: 20 items waiting",
        "    +     summary: Mail queue backlog",
    ] == lines[start + 1 : start + 5]


RECORD_SPEC = """\
from monitoring_dsl import Counter, Record, RuleTest, Sample

requests = Counter("http_requests_total", "Requests", labels=["status"])
rate = Record("status:http_requests:rate5m", "sum by (status) (rate(http_requests_total[5m]))")

RuleTest("rate per status",
         series={{'http_requests_total{{status="200"}}': "0+60x10",
                  'http_requests_total{{status="500"}}': "0+6x10"}},
         at="5m",
         samples=[Sample('status:http_requests:rate5m{{status="200"}}', 1),
                  Sample('status:http_requests:rate5m{{status="500"}}', {value})])
"""


def test_record_samples_pass_and_fail_with_a_sample_diff(project: Project, promtool: str) -> None:
    """Expected samples of a record: right values pass; a wrong one fails with both samples shown."""
    good = run_cli("test", cwd=project({"rates.py": RECORD_SPEC.format(value=0.1)}))
    assert 0 == good.code, good.stderr
    bad = run_cli("test", cwd=project({"rates.py": RECORD_SPEC.format(value=0.2)}))
    assert 1 == bad.code
    assert "specs/rates.py:6:1: E025 rule test 'rate per status' failed: record status:http_requests:rate5m at 5m" in (
        bad.stderr
    )
    assert '      status:http_requests:rate5m{status="200"} 1' in bad.stderr
    assert '    - status:http_requests:rate5m{status="500"} 0.2' in bad.stderr
    assert '    + status:http_requests:rate5m{status="500"} 0.1' in bad.stderr


def test_bad_tests_are_diagnosed_before_promtool(project: Project) -> None:
    """An unknown alert in a test is an error at its line, exit 2, and no test runs."""
    spec = queue_spec().replace('DoesNotFire("QueueBacklog")', 'DoesNotFire("QueueBaklog")')
    result = run_cli("test", cwd=project({"queues.py": spec}))
    assert 2 == result.code
    assert "specs/queues.py:18:31: A320" in result.stderr
    assert "did you mean 'QueueBacklog'?" in result.stderr
    assert "no test was run" in result.stderr


def test_require_tests_fails_on_an_untested_alert(project: Project, promtool: str) -> None:
    """Coverage is an info by default, an error (exit 1) with --require-tests."""
    spec = queue_spec() + (
        'RuleGroup("flaps", [Alert("Flapping", "changes(up[10m]) > 3", for_="5m", severity="info", summary="s")])\n'
    )
    root = project({"queues.py": spec})
    relaxed = run_cli("test", cwd=root)
    assert 0 == relaxed.code, relaxed.stderr
    assert "A326 info: alert 'Flapping' has no rule test" in relaxed.stderr
    assert "1 of 2 rules tested" in relaxed.stdout
    strict = run_cli("test", "--require-tests", cwd=root)
    assert 1 == strict.code
    assert "A326 alert 'Flapping' has no rule test" in strict.stderr


def test_missing_promtool_exits_2_and_says_how_to_install(project: Project) -> None:
    """Without promtool on PATH: exit 2, and the message says `apt-get install prometheus`."""
    root = project({"queues.py": queue_spec()})
    executable = Path(sys.executable).parent / "monitoring-dsl"
    completed = subprocess.run(
        [str(executable), "test"],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": str(root / "no-such-dir")},
        check=False,
    )
    assert 2 == completed.returncode
    assert "E026 promtool is not installed" in completed.stderr
    assert "apt-get install prometheus" in completed.stderr


def test_boundary_tests_are_generated_marked_and_pass(project: Project, promtool: str) -> None:
    """`boundary_tests=True` on `series > X` with `for_` adds two marked tests that pass promtool."""
    spec = boundary_spec()
    root = project({"queues.py": spec})
    data = yaml.safe_load(_build(root)["prometheus/tests/queues.test.yml"])
    generated = [t for t in data["tests"] if t["name"].startswith("[generated] ")]
    assert [
        '[generated] QueueBacklog: queue_depth{queue="mail"} at 101 (> 100) fires after 5m',
        '[generated] QueueBacklog: queue_depth{queue="mail"} at 100 (not > 100) never fires',
    ] == [t["name"] for t in generated]
    assert ["101x8", "100x8"] == [t["input_series"][0]["values"] for t in generated]
    result = run_cli("test", cwd=root)
    assert 0 == result.code, result.stderr


def test_boundary_tests_catch_a_threshold_moved(project: Project, promtool: str) -> None:
    """The generated tests pin the threshold's side: `>=` instead of `>` makes the quiet one fail."""
    spec = boundary_spec()
    root = project({"queues.py": spec})
    _build(root)
    data = yaml.safe_load(_build(root)["prometheus/tests/queues.test.yml"])
    quiet = data["tests"][-1]
    assert 'queue_depth{queue="mail"}' == quiet["input_series"][0]["series"]
    # the same input against `>= 100` fires: prove it with promtool on a hand-edited rule file
    rules = root / "r.yml"
    rules.write_text(
        "groups:\n- name: q\n  rules:\n  - alert: QueueBacklog\n    expr: queue_depth >= 100\n    for: 5m\n",
        encoding="utf-8",
    )
    test = root / "t.yml"
    test.write_text(yaml.safe_dump({"rule_files": ["r.yml"], "tests": [quiet]}), encoding="utf-8")
    [outcome] = run_test_files(promtool, [test])
    assert not outcome.passed
    assert ['QueueBacklog{queue="mail"}'] == list(outcome.failures[0].actual)


# --- plain promtool test files -------------------------------------------------------------------------------

PLAIN_RULES = """\
groups:
- name: g
  rules:
  - alert: InstanceDown
    expr: up == 0
    for: 5m
    labels: {severity: page}
"""

PLAIN_TEST = """\
rule_files: [rules/down.yml]
evaluation_interval: 1m
tests:
- interval: 1m
  name: down instance pages
  input_series:
  - series: 'up{job="api", instance="a:1"}'
    values: 0x10
  alert_rule_test:
  - eval_time: 10m
    alertname: InstanceDown
    exp_alerts:
    - exp_labels: {job: api, instance: "a:1", severity: page}
"""


def _plain(root: Path, test_text: str) -> Path:
    (root / "rules").mkdir(parents=True, exist_ok=True)
    (root / "rules" / "down.yml").write_text(PLAIN_RULES, encoding="utf-8")
    path = root / "down.test.yml"
    path.write_text(test_text, encoding="utf-8")
    return path


def _promtool_verdict(promtool: str, path: Path) -> int:
    return subprocess.run(
        [promtool, "test", "rules", path.name], cwd=path.parent, capture_output=True, check=False
    ).returncode


def test_plain_test_file_gets_promtools_verdict(tmp_path: Path, promtool: str) -> None:
    """A test file the user wrote passes through both; with one expected value changed it fails through
    both, and the failure is shown at the test's line with the diff."""
    good = _plain(tmp_path / "good", PLAIN_TEST)
    bad = _plain(tmp_path / "bad", PLAIN_TEST.replace("severity: page}", "severity: ticket}"))
    assert (0, 0) == (_promtool_verdict(promtool, good), run_cli("test", str(good), cwd=tmp_path).code)
    result = run_cli("test", str(bad), cwd=tmp_path)
    assert (1, 1) == (_promtool_verdict(promtool, bad), result.code)
    assert "FAIL bad/down.test.yml" in result.stdout
    assert "bad/down.test.yml:11:5: E025 test 'down instance pages' failed: alert InstanceDown at 10m" in result.stderr
    assert '    - InstanceDown{instance="a:1", job="api", severity="ticket"}' in result.stderr
    assert '    + InstanceDown{instance="a:1", job="api", severity="page"}' in result.stderr


def test_parse_failures_reads_promtools_report(tmp_path: Path, promtool: str) -> None:
    """promtool's own failure report parses into test name, alert, time, expected and actual."""
    bad = _plain(tmp_path, PLAIN_TEST.replace("eval_time: 10m", "eval_time: 3m"))
    completed = subprocess.run(
        [promtool, "test", "rules", bad.name], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    [failure] = parse_failures(completed.stderr)
    assert ("alert", "down instance pages", "InstanceDown", "3m") == (
        failure.kind,
        failure.test_name,
        failure.alertname,
        failure.time,
    )
    assert (('InstanceDown{instance="a:1", job="api", severity="page"}',), ()) == (failure.expected, failure.actual)


def test_run_test_files_keeps_order_and_reports_unreadable_files(tmp_path: Path, promtool: str) -> None:
    """Files run in parallel, results come back in input order, and a file promtool cannot read fails."""
    good = _plain(tmp_path / "a", PLAIN_TEST)
    broken = tmp_path / "broken.test.yml"
    broken.write_text("rule_files: [nope.yml]\ntests: [{interval: 1m, nonsense: 1}]\n", encoding="utf-8")
    outcomes = run_test_files(promtool, [good, broken, good], jobs=2)
    assert [good, broken, good] == [o.path for o in outcomes]
    assert [True, False, True] == [o.passed for o in outcomes]
    assert "error" == outcomes[1].failures[0].kind


def test_this_repositorys_specs_pass_with_full_coverage(promtool: str) -> None:
    """`monitoring-dsl test specs` on the seed specs: every alert tested, every test passing."""
    result = run_cli("test", "specs", cwd=REPO)
    assert 0 == result.code, result.stderr
    assert "2 of 2 files passed; 7 of 7 rules tested" in result.stdout


def test_golden_test_files_pass_promtool(promtool: str) -> None:
    """Every promtool test file in the golden trees passes the real promtool against its golden rules."""
    files = sorted((REPO / "tests" / "golden").glob("*/expected/prometheus/tests/*.test.yml"))
    assert files, "no golden case has rule tests"
    outcomes = run_test_files(promtool, files)
    assert [] == [(o.path.name, o.output) for o in outcomes if not o.passed]


def test_tests_in_their_own_module_load_every_rule_file_they_need(project: Project, promtool: str) -> None:
    """A test module naming an alert of another module loads that module's rules and, transitively, the
    rules of the records the alert reads."""
    root = project(
        {
            "records.py": """\
            from monitoring_dsl import Counter, Record
            errors = Counter("http_errors_total", "Errors", labels=["endpoint"])
            rate = Record("endpoint:http_errors:rate5m", "sum by (endpoint) (rate(http_errors_total[5m]))")
            """,
            "alerts.py": """\
            from monitoring_dsl import Alert
            a = Alert("Errors", "endpoint:http_errors:rate5m > 1", for_="5m", severity="warning", summary="s")
            """,
            "checks.py": """\
            from monitoring_dsl import Fires, RuleTest, Sample
            RuleTest("errors page", series={'http_errors_total{endpoint="/pay"}': "0+120x20"}, at="10m",
                     alerts=[Fires("Errors", labels={"endpoint": "/pay"})],
                     samples=[Sample('endpoint:http_errors:rate5m{endpoint="/pay"}', 2)])
            """,
        }
    )
    data = yaml.safe_load(_build(root)["prometheus/tests/checks.test.yml"])
    assert ["../rules/alerts.yml", "../rules/records.yml"] == data["rule_files"]
    result = run_cli("test", cwd=root)
    assert 0 == result.code, result.stderr
    assert "1 of 1 file passed; 2 of 2 rules tested" in result.stdout


def test_allow_on_a_rule_test_suppresses_and_unused_allow_is_reported(project: Project) -> None:
    """`allow=` on a RuleTest suppresses its findings; one that suppresses nothing is E010."""
    root = project(
        {
            "app.py": """\
            from monitoring_dsl import Alert, DoesNotFire, RuleTest
            a = Alert("Down", "up == 0", for_="5m", severity="critical", summary="s")
            RuleTest("quiet", series={'up{job="a"}': "_x10 1x10"}, at="5m", alerts=[DoesNotFire("Down")],
                     allow={"A322": "nothing exists yet on purpose"})
            RuleTest("quiet later", series={'up{job="a"}': "1x10"}, at="5m", alerts=[DoesNotFire("Down")],
                     allow={"A320": "not needed"})
            """
        }
    )
    result = compile_specs([root / "specs"], root, emit=False)
    assert [("E010", 6)] == [(d.code, d.location.line) for d in result.diagnostics if d.location and d.code != "A312"]


def test_paths_without_tests_are_refused(tmp_path: Path) -> None:
    """A missing path, or a directory with neither specs nor test files, is E004 and exit 2."""
    (tmp_path / "empty").mkdir()
    result = run_cli("test", "empty", "nowhere.yml", cwd=tmp_path)
    assert 2 == result.code
    assert "E004 empty holds no spec modules and no promtool test files" in result.stderr
    assert "E004 path nowhere.yml does not exist" in result.stderr


def test_a_test_must_say_when() -> None:
    """Without `at=` on the test or on every expectation, the test is refused; `at=` on each is enough."""
    with pytest.raises(SpecError, match="does not say when"):
        RuleTest("t", series={"up": "1x5"}, alerts=[Fires("A")])
    assert "3m" == RuleTest("t", series={"up": "1x5"}, alerts=[Fires("A", at="3m")]).time_of(Fires("A", at="3m"))

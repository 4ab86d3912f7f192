"""`monitoring-dsl test`: compile the specs into a scratch directory, run every test file through promtool,
and trace every failure back to the spec line of its test and its rule, with expected and actual alerts or
samples as a diff. The command line only prints what `run_tests` returns."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Collection, Sequence, Set
from pathlib import Path

import attrs

from monitoring_dsl.checks.registry import diagnostic
from monitoring_dsl.compiler import compile_specs
from monitoring_dsl.diagnostics import Diagnostic, Related, Severity, has_errors
from monitoring_dsl.emit.rule_tests import test_group
from monitoring_dsl.load.discovery import display_path
from monitoring_dsl.model.base import SourceLocation
from monitoring_dsl.model.project import Project
from monitoring_dsl.model.rules import Alert, Record, parse_duration
from monitoring_dsl.model.ruletests import RuleTest
from monitoring_dsl.model.settings import Settings
from monitoring_dsl.promtool import INSTALL_HINT, Failure, Outcome, diff_lines, find_promtool, run_test_files
from monitoring_dsl.sources import Sources
from monitoring_dsl.testplan import generated_by_slo, tested_names, tests_by_module
from monitoring_dsl.writer import write_tree

TEST_FILE_SUFFIX = ".test.yml"
_TESTS_KEY_RE = re.compile(r"^tests\s*:", re.M)
_ALERTS_EXPR_RE = re.compile(r'^ALERTS\{alertname="(?P<name>[^"]+)",alertstate="firing"\}$')


@attrs.frozen
class Reported:
    """One failure as the user sees it: a diagnostic at the test, and the diff below it."""

    diagnostic: Diagnostic
    diff: tuple[str, ...]


def is_test_file(path: Path) -> bool:
    """Whether a YAML file is a promtool test file (it has a top-level `tests:`)."""
    try:
        return bool(_TESTS_KEY_RE.search(path.read_text(encoding="utf-8", errors="replace")))
    except OSError:
        return False


def plain_test_files(paths: Sequence[Path]) -> tuple[list[Path], list[Diagnostic]]:
    """promtool test files named directly, or found below directories (`tests:` at the top level), and E004
    for a path that does not exist or a directory that holds none."""
    found: list[Path] = []
    problems: list[Diagnostic] = []
    for path in paths:
        if path.is_dir():
            candidates = sorted(p for p in path.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())
            tests = [p for p in candidates if is_test_file(p)]
            if not tests:
                problems.append(
                    diagnostic(
                        "E004",
                        f"{display_path(path)} holds no spec modules and no promtool test files",
                        location=None,
                        help="pass spec directories, or promtool test files (YAML with a top-level `tests:`)",
                    )
                )
            found.extend(tests)
        elif path.exists():
            found.append(path)
        else:
            problems.append(
                diagnostic(
                    "E004",
                    f"path {display_path(path)} does not exist",
                    location=None,
                    help="pass spec directories or files, or promtool test files",
                )
            )
    return found, problems


@attrs.frozen
class TestRun:
    """What `monitoring-dsl test` found: `problems` when nothing could run (bad specs, no promtool); else the
    failures, the rules without tests, promtool's verdict on each file the user named, counts and coverage."""

    problems: list[Diagnostic]
    reported: list[Reported] = attrs.field(factory=list)
    untested: list[Diagnostic] = attrs.field(factory=list)
    verdicts: list[tuple[Path, bool]] = attrs.field(factory=list)
    files: int = 0
    passed: int = 0
    coverage: Coverage | None = None


def run_tests(
    spec_paths: Sequence[Path],
    plain_paths: Sequence[Path],
    root: Path,
    settings: Settings,
    sources: Sources,
    jobs: int | None = None,
    select: Collection[str] = (),
    ignore: Collection[str] = (),
) -> TestRun:
    """Compile the specs into a scratch directory (never `build/`), then run their test files and the
    plain ones through promtool, `jobs` at a time."""
    plain_files, problems = plain_test_files(plain_paths)
    compiled = None
    if spec_paths:
        compiled = compile_specs(spec_paths, root, sources, settings=settings, select=select, ignore=ignore)
        problems.extend(d for d in compiled.diagnostics if d.severity is Severity.ERROR)
        if not has_errors(compiled.diagnostics) and (compiled.artifacts is None or compiled.project is None):
            raise AssertionError("a compile without errors has artifacts")
    promtool = find_promtool()
    if promtool is None:
        problems.append(diagnostic("E026", "promtool is not installed", location=None, help=INSTALL_HINT))
    if problems or promtool is None:
        return TestRun(problems)
    with tempfile.TemporaryDirectory(prefix="monitoring-dsl-test-") as scratch:
        spec_files: list[Path] = []
        spec_tests = None
        run = TestRun([])
        if compiled is not None and compiled.artifacts is not None and compiled.project is not None:
            out = Path(scratch) / "build"
            write_tree(out, compiled.artifacts)
            spec_files = sorted((out / "prometheus" / "tests").glob("*" + TEST_FILE_SUFFIX))
            spec_tests = SpecTests(compiled.project, settings.evaluation_interval_seconds)
            run = TestRun(
                [],
                untested=[d for d in compiled.diagnostics if d.code in ("A326", "R411")],
                coverage=coverage(compiled.project, settings.evaluation_interval_seconds),
            )
        outcomes = run_test_files(promtool, [*spec_files, *plain_files], jobs)
        for outcome in outcomes:
            if spec_tests is not None and outcome.path in spec_files:
                run.reported.extend(spec_tests.report(outcome))
            else:
                run.reported.extend(plain_report(outcome, sources))
                run.verdicts.append((outcome.path, outcome.passed))
    return attrs.evolve(run, files=len(outcomes), passed=sum(1 for o in outcomes if o.passed))


# --- spec tests --------------------------------------------------------------------------------------------


@attrs.frozen
class Coverage:
    """How many alerts and records some test names."""

    tested: int
    total: int

    def line(self) -> str:
        return f"{self.tested} of {self.total} rules tested"


def coverage(project: Project, evaluation_seconds: float) -> Coverage:
    tests = [t for ts in tests_by_module(project, evaluation_seconds).values() for t in ts]
    names = tested_names(tests) | generated_by_slo(project)
    rules: list[Alert | Record] = [*project.alerts, *project.records]
    return Coverage(sum(1 for r in rules if r.name in names), len(rules))


class SpecTests:
    """The project's tests and rules, to trace promtool's failures in a generated test file back to specs."""

    def __init__(self, project: Project, evaluation_seconds: float):
        self.by_module = tests_by_module(project, evaluation_seconds)
        self.alerts: dict[str, Alert] = {}
        for alert in project.alerts:
            self.alerts.setdefault(alert.name, alert)
        self.records: dict[str, Record] = {}
        for record in project.records:
            self.records.setdefault(record.name, record)

    def module_of_file(self, path: Path) -> str | None:
        name = path.name
        return name[: -len(TEST_FILE_SUFFIX)] if name.endswith(TEST_FILE_SUFFIX) else None

    def _by_expr(self, tests: list[RuleTest], expr: str, time: str) -> list[RuleTest]:
        """The tests whose emitted `promql_expr_test` holds `expr` at `time` (promtool names no test for it)."""
        found = []
        for test in tests:
            group = test_group(test, self.alerts)
            cases = group.get("promql_expr_test", [])
            assert isinstance(cases, list)
            if any(c["expr"] == expr and _same_time(c["eval_time"], time) for c in cases):
                found.append(test)
        return found

    def report(self, outcome: Outcome) -> list[Reported]:
        module = self.module_of_file(outcome.path)
        tests = self.by_module.get(module or "", [])
        reported = []
        for failure in outcome.failures:
            if failure.kind == "alert":
                candidates = [t for t in tests if t.name == failure.test_name]
            elif failure.expr is not None and failure.time is not None:
                candidates = self._by_expr(tests, failure.expr, failure.time)
            else:
                candidates = []
            reported.append(self._reported(failure, candidates))
        return reported

    def _reported(self, failure: Failure, candidates: list[RuleTest]) -> Reported:
        test = candidates[0] if candidates else None
        alert_name = failure.alertname
        if failure.expr is not None and (match := _ALERTS_EXPR_RE.match(failure.expr)):
            alert_name = match["name"]
        rule: Alert | Record | None = None
        if alert_name is not None:
            rule = self.alerts.get(alert_name)
            what = f"alert {alert_name} at {failure.time}"
        elif failure.expr is not None:
            rule = self.records.get(failure.expr)
            what = f"{'record' if rule else 'query'} {failure.expr} at {failure.time}"
        else:
            what = "promtool could not run the test"
        if failure.kind == "error" and failure.expr is not None:
            what += " (the query failed)"
        related: list[Related] = []
        if rule is not None and rule.location is not None:
            kind = "alert" if isinstance(rule, Alert) else "record"
            related.append(Related(rule.location, f"{kind} {rule.name!r} declared"))
        for other in candidates[1:]:
            if other.location is not None:
                related.append(Related(other.location, f"or rule test {other.name!r}"))
        name = f"rule test {test.name!r}" if test is not None else "a rule test"
        generated = " (generated by boundary_tests=True)" if test is not None and test.generated else ""
        return Reported(
            diagnostic(
                "E025",
                f"{name}{generated} failed: {what}",
                location=test.location if test is not None else None,
                related=tuple(related),
                help=_help(failure, alert_name is not None),
            ),
            tuple(_diff(failure, alert_name)),
        )


def _same_time(emitted: object, reported: str) -> bool:
    """promtool prints Go durations (`10m0s`, `1h0m0s`); the test file holds ours (`10m`, `1h`)."""
    return parse_duration(str(emitted)) == _go_duration(reported)


_GO_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")


def _go_duration(text: str) -> float | None:
    if text == "0s":
        return 0.0
    parts = _GO_DURATION_RE.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    scale = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    return sum(float(n) * scale[u] for n, u in parts)


def _help(failure: Failure, alert: bool) -> str:
    if failure.kind == "error":
        return "promtool's own message is below"
    if alert:
        return "`-` alerts were expected and did not fire, `+` fired unexpectedly; fix the rule or the expectation"
    return "`-` samples were expected and missing, `+` appeared unexpectedly; fix the rule or the expectation"


def _alerts_from_samples(lines: Sequence[str], alertname: str) -> list[str]:
    """`ALERTS{alertname="X", alertstate="firing", a="b"} 1` as the alert `X{a="b"}`."""
    found = []
    for line in lines:
        labels = re.sub(r'(alertname|alertstate)="[^"]*"(, )?', "", line.rpartition(" ")[0].removeprefix("ALERTS"))
        labels = labels.replace(", }", "}").replace("{}", "")
        found.append(f"{alertname}{labels}")
    return found


def _diff(failure: Failure, alert_name: str | None) -> list[str]:
    if failure.kind == "error":
        return failure.text.splitlines()
    expected, actual = list(failure.expected), list(failure.actual)
    if failure.expr is not None and alert_name is not None:
        expected, actual = _alerts_from_samples(expected, alert_name), _alerts_from_samples(actual, alert_name)
    nothing = "no alert firing" if alert_name is not None else "no samples"
    return ["expected (-) and actual (+):", *diff_lines(expected, actual, nothing)]


# --- plain promtool test files -------------------------------------------------------------------------------


def plain_report(outcome: Outcome, sources: Sources) -> list[Reported]:
    """Failures of a test file the user wrote, at the line of the test case when it can be found."""
    shown = display_path(outcome.path)
    reported = []
    used: set[int] = set()
    for failure in outcome.failures:
        location = _plain_location(sources, shown, failure, used)
        what = (
            f"alert {failure.alertname} at {failure.time}"
            if failure.alertname
            else f"query {failure.expr} at {failure.time}"
            if failure.expr
            else "promtool could not run the tests"
        )
        name = f"test {failure.test_name!r}" if failure.test_name else "a test"
        reported.append(
            Reported(
                diagnostic(
                    "E025", f"{name} failed: {what}", location=location, help=_help(failure, bool(failure.alertname))
                ),
                tuple(_diff(failure, failure.alertname)),
            )
        )
    return reported


def _find(
    sources: Sources, path: str, needle: str, start: int = 1, time: str | None = None, skip: Set[int] = frozenset()
) -> SourceLocation | None:
    """The first line from `start` of a plain file that holds `needle`, is not in `skip`, and (when `time` is
    given) is in a YAML list item with `eval_time: time`."""
    number = start
    while (line := sources.line(path, number)) is not None:
        column = line.find(needle)
        if column >= 0 and number not in skip and (time is None or _item_eval_time(sources, path, number, time)):
            return SourceLocation(path, number, column + 1)
        number += 1
    return None


_EVAL_TIME_RE = re.compile(r"eval_time:\s*['\"]?(?P<time>[^'\"\s]+)")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" -"))


def _item_eval_time(sources: Sources, path: str, number: int, time: str) -> bool:
    """Whether the YAML item holding line `number` (its sibling keys) has `eval_time: time`."""
    indent = _indent(sources.line(path, number) or "")
    lines = [number]
    other = number
    while other > 1 and not (sources.line(path, other) or "").lstrip().startswith("- "):
        other -= 1
        lines.append(other)
    other = number + 1
    while (text := sources.line(path, other)) is not None and not text.lstrip().startswith("- "):
        if text.strip() and _indent(text) < indent:
            break
        lines.append(other)
        other += 1
    seconds = _go_duration(time)
    for line_number in lines:
        text = sources.line(path, line_number) or ""
        match = _EVAL_TIME_RE.search(text)
        if match and _indent(text) == indent and parse_duration(match["time"]) == seconds:
            return True
    return False


def _plain_location(sources: Sources, path: str, failure: Failure, used: set[int]) -> SourceLocation:
    """Where a failure of a plain test file is: its alert or query at its evaluation time, after its test's
    name when promtool gave one; else the name, else the file. Lines in `used` are taken by earlier failures."""
    named = _find(sources, path, failure.test_name) if failure.test_name else None
    start = named.line if named else 1
    needle = (
        f"alertname: {failure.alertname}" if failure.alertname else f"expr: {failure.expr}" if failure.expr else None
    )
    if needle:
        found = (
            _find(sources, path, needle, start, failure.time, used)
            or _find(sources, path, needle, start, failure.time)
            or _find(sources, path, needle, start)
        )
        if found:
            used.add(found.line)
            return found
    return named or SourceLocation(path, 1)


def render_reported(reported: Reported, text: str) -> str:
    """The rendered diagnostic followed by its diff, indented under it."""
    return text + ("\n" + "\n".join(f"    {line}" for line in reported.diff) if reported.diff else "")


__all__ = [
    "TEST_FILE_SUFFIX",
    "Coverage",
    "Reported",
    "SpecTests",
    "TestRun",
    "coverage",
    "is_test_file",
    "plain_report",
    "plain_test_files",
    "render_reported",
    "run_tests",
]

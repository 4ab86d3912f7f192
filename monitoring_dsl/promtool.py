"""The one adapter around the `promtool` binary: run `promtool test rules` on test files, in parallel, and
parse what it prints about failures into plain data (Prometheus 2.42's output format)."""

from __future__ import annotations

import concurrent.futures
import math
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import attrs

from monitoring_dsl.model.series_notation import format_number

INSTALL_HINT = "install it with `apt-get install prometheus` (Debian, Ubuntu) or from https://prometheus.io/download/"


def find_promtool() -> str | None:
    """The path of `promtool` on PATH, or None."""
    return shutil.which("promtool")


@attrs.frozen
class Failure:
    """One failed expectation as promtool reports it.

    `kind` is "alert" (an alert_rule_test), "expr" (a promql_expr_test) or "error" (anything else promtool
    said: a file it could not read, a query that failed). `expected` and `actual` hold one readable line per
    alert or sample: `Name{label="value"}` for alerts (with ` annotations {...}` when it has any), `name{...} 1.5`
    for samples.
    """

    kind: str
    text: str
    test_name: str | None = None
    alertname: str | None = None
    expr: str | None = None
    time: str | None = None
    expected: tuple[str, ...] = ()
    actual: tuple[str, ...] = ()


@attrs.frozen
class Outcome:
    """promtool's verdict on one test file: its exit code, its output, and the failures parsed from it."""

    path: Path
    returncode: int
    output: str
    failures: tuple[Failure, ...]

    @property
    def passed(self) -> bool:
        return self.returncode == 0


def run_test_file(promtool: str, path: Path, timeout: float = 300) -> Outcome:
    """`promtool test rules FILE`, run in the file's directory (promtool resolves `rule_files` from there)."""
    try:
        completed = subprocess.run(
            [promtool, "test", "rules", path.name],
            cwd=path.parent,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        message = f"promtool did not finish within {timeout:g}s"
        return Outcome(path, 1, message, (Failure("error", message),))
    output = completed.stderr
    failures = tuple(parse_failures(output)) if completed.returncode != 0 else ()
    if completed.returncode != 0 and not failures:
        failures = (Failure("error", (output or completed.stdout).strip() or f"exit code {completed.returncode}"),)
    return Outcome(path, completed.returncode, completed.stdout + completed.stderr, failures)


def run_test_files(promtool: str, paths: Sequence[Path], jobs: int | None = None) -> list[Outcome]:
    """Every file through promtool, at most `jobs` at once (default: one per core), results in input order."""
    workers = max(1, min(len(paths), jobs or os.cpu_count() or 1))
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda p: run_test_file(promtool, p), paths))


# --- parsing promtool's report ------------------------------------------------------------------------------

_NAME_RE = re.compile(r"^    name: (?P<name>.*),$")
_ALERT_RE = re.compile(r"^    alertname: (?P<alert>.*), time: (?P<time>\S+), ?$")
_EXPR_RE = re.compile(r'^    expr: (?P<expr>".*"), time: (?P<time>[^,\s]+),(?: err: (?P<err>.*))?$')
_SAMPLE_RE = re.compile(r'\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\} \S+?(?=, \{|$)')
_LABEL_RE = re.compile(r'(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)="(?P<value>(?:[^"\\]|\\.)*)"')


def _unquote(text: str) -> str:
    """A Go `%q` string back to its text."""
    body = text[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def _labels(text: str) -> list[tuple[str, str]]:
    return [(m["name"], m["value"]) for m in _LABEL_RE.finditer(text)]


def _braced(pairs: list[tuple[str, str]]) -> str:
    return "{" + ", ".join(f'{k}="{v}"' for k, v in pairs) + "}" if pairs else ""


def _number(text: str) -> str:
    try:
        value = float(text)
    except ValueError:
        return text
    return format_number(value) if not math.isnan(value) else "NaN"


def _samples(text: str) -> tuple[str, ...]:
    """`{__name__="x", a="b"} 1E+00, {...} 2E+00` (or `nil`) as `x{a="b"} 1` lines."""
    found = []
    for match in _SAMPLE_RE.finditer(text.strip()):
        labels_text, _, value = match.group().rpartition(" ")
        pairs = _labels(labels_text)
        name = next((v for k, v in pairs if k == "__name__"), "")
        found.append(f"{name}{_braced([(k, v) for k, v in pairs if k != '__name__'])} {_number(value)}")
    return tuple(found)


def _alerts(lines: list[str]) -> tuple[str, ...]:
    """The items of an `exp:[ 0: Labels:{...} Annotations:{...} ]` block, one per alert: `Name{labels}`, then
    one indented `key: value` line per annotation."""
    found: list[str] = []
    labels: list[tuple[str, str]] | None = None
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("Labels:"):
            labels = _labels(stripped[len("Labels:") :])
        elif stripped.startswith("Annotations:") and labels is not None:
            annotations = _labels(stripped[len("Annotations:") :])
            name = next((v for k, v in labels if k == "alertname"), "")
            head = f"{name}{_braced([(k, v) for k, v in labels if k != 'alertname'])}"
            found.append("\n".join([head, *(f"    {k}: {_unescape(v)}" for k, v in annotations)]))
            labels = None
    return tuple(found)


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), value)


def _alert_lists(lines: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split the lines after `alertname: ...` into the expected and the actual alert lists."""
    expected: list[str] = []
    actual: list[str] = []
    target = expected
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("exp:"):
            target = expected
        elif stripped.startswith("got:"):
            target = actual
        target.append(line)
    return _alerts(expected), _alerts(actual)


def parse_failures(output: str) -> list[Failure]:
    """The failures in promtool's report, in the order printed."""
    failures: list[Failure] = []
    lines = output.splitlines()
    pending_name: str | None = None
    index = 0
    loose: list[str] = []

    def flush_loose() -> None:
        text = "\n".join(line.strip() for line in loose if line.strip() and line.strip() != "FAILED:").strip()
        if text:
            failures.append(Failure("error", text))
        loose.clear()

    while index < len(lines):
        line = lines[index]
        if match := _NAME_RE.match(line):
            pending_name = match["name"]
            index += 1
            continue
        if match := _ALERT_RE.match(line):
            flush_loose()
            end = index + 1
            while end < len(lines) and lines[end].startswith("        "):
                end += 1
            block = lines[index:end]
            expected, actual = _alert_lists(lines[index + 1 : end])
            failures.append(
                Failure(
                    "alert",
                    "\n".join(block),
                    test_name=pending_name,
                    alertname=match["alert"],
                    time=match["time"],
                    expected=expected,
                    actual=actual,
                )
            )
            pending_name = None
            index = end
            continue
        if match := _EXPR_RE.match(line):
            flush_loose()
            expr = _unquote(match["expr"])
            if match["err"] is not None:
                failures.append(Failure("error", f"error: {match['err']}", expr=expr, time=match["time"]))
                index += 1
                continue
            end = index + 1
            expected_text = actual_text = ""
            while end < len(lines) and lines[end].startswith("        "):
                stripped = lines[end].strip()
                if stripped.startswith("exp:"):
                    expected_text = stripped[4:]
                elif stripped.startswith("got:"):
                    actual_text = stripped[4:]
                end += 1
            failures.append(
                Failure(
                    "expr",
                    "\n".join(lines[index:end]),
                    test_name=pending_name,
                    expr=expr,
                    time=match["time"],
                    expected=_samples(expected_text),
                    actual=_samples(actual_text),
                )
            )
            pending_name = None
            index = end
            continue
        if line.strip():
            loose.append(line)
        index += 1
    flush_loose()
    return failures


def _key(line: str) -> str:
    return line.split(":", 1)[0]


def _detail_diff(expected: list[str], actual: list[str]) -> list[str]:
    """Annotation lines in expected order, each changed one followed by its actual value."""
    lines: list[str] = []
    actual_by_key = {_key(line): line for line in actual}
    expected_keys = {_key(line) for line in expected}
    for line in expected:
        if line in actual:
            lines.append("  " + line)
            continue
        lines.append("- " + line)
        other = actual_by_key.get(_key(line))
        if other is not None:
            lines.append("+ " + other)
    lines.extend("+ " + line for line in actual if _key(line) not in expected_keys)
    return lines


def diff_lines(expected: Sequence[str], actual: Sequence[str], nothing: str) -> list[str]:
    """A readable diff of two lists of alerts or samples: `-` expected only, `+` actual only, `  ` both.

    Items may span lines (an alert, then its annotations); an expected and an actual alert with the same first
    line (name and labels) are shown once, with only their differing annotations marked.
    """
    lines: list[str] = []
    heads = {item.splitlines()[0]: item for item in actual}
    paired: set[str] = set()
    for item in expected:
        head, *details = item.splitlines()
        other = heads.get(head)
        if other is None:
            lines.extend("- " + line for line in item.splitlines())
            continue
        paired.add(other)
        other_details = other.splitlines()[1:]
        lines.append("  " + head)
        lines.extend(_detail_diff(details, other_details))
    for item in actual:
        if item not in paired:
            lines.extend("+ " + line for line in item.splitlines())
    if not expected:
        lines.insert(0, f"- ({nothing})")
    if not actual:
        lines.append(f"+ ({nothing})")
    return lines

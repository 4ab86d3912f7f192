"""Render diagnostics for people and tools: text, concise, json, github (workflow commands) and SARIF 2.1.0."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from monitoring_dsl.diagnostics import Diagnostic, Severity
from monitoring_dsl.sources import Sources


def _head(diagnostic: Diagnostic) -> str:
    location = diagnostic.location
    where = f"{location.path}:{location.line}:{location.column or 1}: " if location else ""
    severity = "" if diagnostic.severity is Severity.ERROR else f"{diagnostic.severity.value}: "
    return f"{where}{diagnostic.code} {severity}{diagnostic.message} [{diagnostic.name}]"


def render_text(diagnostic: Diagnostic, sources: Sources) -> str:
    """`path:line:col: CODE message [name]`, the source line with the span underlined, related places, help."""
    lines = [_head(diagnostic)]
    location = diagnostic.location
    source = sources.line(location.path, location.line) if location else None
    if location is not None and source is not None:
        gutter = " " * len(str(location.line))
        lines.append(f"{gutter} |")
        lines.append(f"{location.line} | {source.rstrip()}")
        if location.column:
            width = max(1, len(diagnostic.span)) if diagnostic.span else 1
            lines.append(f"{gutter} | {' ' * (location.column - 1)}{'^' * width}")
        for related in diagnostic.related:
            lines.append(f"{gutter} = note: {related.message} at {related.location}")
        if diagnostic.help:
            lines.append(f"{gutter} = help: {diagnostic.help}")
    else:
        for related in diagnostic.related:
            lines.append(f"  = note: {related.message} at {related.location}")
        if diagnostic.help:
            lines.append(f"  = help: {diagnostic.help}")
    return "\n".join(lines)


FORMATS = ("text", "concise", "json", "github", "sarif")


def printable(text: str) -> str:
    """`text` with lone surrogates (a title holding half an emoji, say) escaped as `\\udXXX`, so that any
    UTF-8 stream, a terminal's or a test runner's, can carry it."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def render(diagnostics: Iterable[Diagnostic], fmt: str, sources: Sources) -> str:
    """All diagnostics in format `fmt`, one of FORMATS, as text any UTF-8 stream can carry."""
    return printable(_render(list(diagnostics), fmt, sources))


def _render(diagnostics: list[Diagnostic], fmt: str, sources: Sources) -> str:
    if fmt == "concise":
        return "\n".join(_head(d) for d in diagnostics)
    if fmt == "json":
        return json.dumps([as_json(d) for d in diagnostics], indent=2, ensure_ascii=False)
    if fmt == "github":
        return "\n".join(as_github(d) for d in diagnostics)
    if fmt == "sarif":
        raise ValueError("SARIF needs the rule catalog: call render_sarif")
    return "\n\n".join(render_text(d, sources) for d in diagnostics)


def as_json(diagnostic: Diagnostic) -> dict[str, Any]:
    """One diagnostic as a JSON object: path, line, column, code, name, severity, message, help, related."""
    location = diagnostic.location
    return {
        "path": location.path if location else None,
        "line": location.line if location else None,
        "column": (location.column or 1) if location else None,
        "code": diagnostic.code,
        "name": diagnostic.name,
        "severity": diagnostic.severity.value,
        "message": diagnostic.message,
        "help": diagnostic.help,
        "related": [
            {"path": r.location.path, "line": r.location.line, "message": r.message} for r in diagnostic.related
        ],
    }


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


_GITHUB_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def as_github(diagnostic: Diagnostic) -> str:
    """A GitHub Actions workflow command: `::error file=specs/x.py,line=12,col=5::Q201 message`."""
    location = diagnostic.location
    properties = []
    if location is not None:
        properties = [f"file={_escape_property(location.path)}", f"line={location.line}"]
        if location.column:
            properties.append(f"col={location.column}")
    properties.append(f"title={_escape_property(f'{diagnostic.code} {diagnostic.name}')}")
    text = f"{diagnostic.code} {diagnostic.message}" + (f" (help: {diagnostic.help})" if diagnostic.help else "")
    return f"::{_GITHUB_LEVELS[diagnostic.severity]} {','.join(properties)}::{_escape_data(text)}"


_SARIF_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def render_sarif(
    diagnostics: Iterable[Diagnostic], rules: Mapping[str, tuple[str, Severity, str, str]], version: str
) -> str:
    """A SARIF 2.1.0 log with one run. `rules` maps code -> (name, severity, summary, full documentation)."""
    codes = sorted(rules)
    index = {code: position for position, code in enumerate(codes)}
    results = []
    for diagnostic in diagnostics:
        result: dict[str, Any] = {
            "ruleId": diagnostic.code,
            "level": _SARIF_LEVELS[diagnostic.severity],
            "message": {"text": diagnostic.message + (f" (help: {diagnostic.help})" if diagnostic.help else "")},
        }
        if diagnostic.code in index:
            result["ruleIndex"] = index[diagnostic.code]
        if diagnostic.location is not None:
            result["locations"] = [
                _sarif_location(diagnostic.location.path, diagnostic.location.line, diagnostic.location.column)
            ]
        if diagnostic.related:
            result["relatedLocations"] = [
                {
                    **_sarif_location(r.location.path, r.location.line, r.location.column),
                    "id": number,
                    "message": {"text": r.message},
                }
                for number, r in enumerate(diagnostic.related)
            ]
        results.append(result)
    driver = {
        "name": "monitoring-dsl",
        "version": version,
        "informationUri": "https://pypi.org/project/monitoring-dsl/",
        "rules": [
            {
                "id": code,
                "name": rules[code][0],
                "shortDescription": {"text": rules[code][2]},
                "fullDescription": {"text": rules[code][3]},
                "help": {"text": rules[code][3], "markdown": rules[code][3]},
                "defaultConfiguration": {"level": _SARIF_LEVELS[rules[code][1]]},
            }
            for code in codes
        ],
    }
    log = {"version": "2.1.0", "$schema": SARIF_SCHEMA, "runs": [{"tool": {"driver": driver}, "results": results}]}
    return printable(json.dumps(log, indent=2, ensure_ascii=False))


def _sarif_location(path: str, line: int, column: int) -> dict[str, Any]:
    region: dict[str, int] = {"startLine": max(line, 1)}
    if column:
        region["startColumn"] = column
    return {"physicalLocation": {"artifactLocation": {"uri": path}, "region": region}}


def summary(diagnostics: list[Diagnostic]) -> str:
    counts = {severity: 0 for severity in Severity}
    for diagnostic in diagnostics:
        counts[diagnostic.severity] += 1
    parts = [f"{counts[s]} {s.value}{'s' if counts[s] != 1 else ''}" for s in Severity if counts[s]]
    return ", ".join(parts) if parts else "no problems"

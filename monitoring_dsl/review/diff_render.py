"""The change list of `diff` as text for a terminal, markdown for a pull-request comment, or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence

from monitoring_dsl.review.diff import SECTIONS, Change

FORMATS = ("text", "markdown", "json")
TITLES = {"dashboard": "Dashboards", "alert": "Alerts", "record": "Recording rules", "file": "Other files"}
MARKS = {"added": "+", "removed": "-", "changed": "~", "moved": ">", "renamed": "→"}
COLLAPSE_AFTER = 10  # a markdown section with more changes than this is folded into <details>


def render_changes(changes: Sequence[Change], fmt: str) -> str:
    if fmt == "json":
        return _json(changes)
    if fmt == "markdown":
        return _markdown(changes)
    return _text(changes)


def summary_line(changes: Sequence[Change]) -> str:
    if not changes:
        return "no changes"
    counts = []
    for section in SECTIONS:
        count = sum(1 for c in changes if c.section == section)
        if count:
            counts.append(f"{TITLES[section].lower()}: {count}")
    total = len(changes)
    return f"{total} {'change' if total == 1 else 'changes'} ({', '.join(counts)})"


def _headline(change: Change) -> str:
    return f"{change.kind} {change.action}: {change.subject}"


def _field_text(old: str | None, new: str | None) -> str:
    return f"{old if old is not None else '(none)'} → {new if new is not None else '(none)'}"


def _text(changes: Sequence[Change]) -> str:
    lines: list[str] = []
    for section in SECTIONS:
        items = [c for c in changes if c.section == section]
        if not items:
            continue
        lines.append(TITLES[section])
        for change in items:
            lines.append(f"  {MARKS[change.action]} {_headline(change)}")
            for field in change.fields:
                lines.append(f"      {field.name}: {_field_text(field.old, field.new)}")
            for note in change.notes:
                lines.append(f"      {note}")
    lines.append(summary_line(changes))
    return "\n".join(lines)


def _code(text: str | None) -> str:
    if text is None:
        return "_(none)_"
    fence = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _markdown(changes: Sequence[Change]) -> str:
    lines = ["### Monitoring changes", "", summary_line(changes).capitalize() + ".", ""]
    for section in SECTIONS:
        items = [c for c in changes if c.section == section]
        if not items:
            continue
        collapsed = len(items) > COLLAPSE_AFTER
        heading = f"{TITLES[section]} ({len(items)})"
        if collapsed:
            lines += ["<details>", f"<summary><b>{heading}</b></summary>", ""]
        else:
            lines += [f"#### {heading}", ""]
        for change in items:
            lines.append(f"- **{change.kind} {change.action}**: {_code(change.subject)}")
            for field in change.fields:
                lines.append(f"  - {field.name}: {_code(field.old)} → {_code(field.new)}")
            for note in change.notes:
                lines.append(f"  - {note}")
        lines.append("")
        if collapsed:
            lines += ["</details>", ""]
    return "\n".join(lines).rstrip() + "\n"


def _json(changes: Sequence[Change]) -> str:
    data = [
        {
            "kind": c.kind,
            "action": c.action,
            "subject": c.subject,
            "fields": [{"name": f.name, "old": f.old, "new": f.new} for f in c.fields],
            "notes": list(c.notes),
        }
        for c in changes
    ]
    return json.dumps({"changes": data, "summary": summary_line(changes)}, indent=2, ensure_ascii=False)

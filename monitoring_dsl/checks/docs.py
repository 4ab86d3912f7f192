"""Documentation pages of the check catalog, generated from each check's docstring.

`python -m monitoring_dsl.checks.docs docs/checks` rewrites the pages; a test keeps the committed pages equal
to what the registry says, so documentation never drifts from behaviour.
"""

from __future__ import annotations

import sys
from pathlib import Path

from monitoring_dsl.checks import REGISTRY
from monitoring_dsl.checks.registry import FAMILIES, CheckInfo

# codes documented outside the check run, by the module that documents them, when not the loader's kind
_EMITTED_BY = {"monitoring_dsl.checks.ruletests": "`monitoring-dsl test`"}


def page(info: CheckInfo) -> str:
    """One check's page: title, severity, who emits it, then its docstring."""
    lines = info.doc.strip().splitlines()
    body = "\n".join(lines[1:]).strip()
    emitted = (
        "the checker"
        if info.function is not None
        else _EMITTED_BY.get(info.module, "the loader, configuration or writer")
    )
    return (
        f"# {info.code} {info.name}\n\n"
        f"**{lines[0] if lines else info.name}**\n\n"
        f"Severity: {info.severity.value}. Reported by {emitted}.\n\n"
        f"## What it does\n\n{body}\n"
    ).rstrip() + "\n"


def index() -> str:
    rows = [
        "# Check catalog",
        "",
        "Every code monitoring-dsl can report. Codes are stable and never reused.",
        "",
    ]
    for letter, family in FAMILIES.items():
        codes = [c for c in sorted(REGISTRY) if c.startswith(letter)]
        if not codes:
            continue
        rows += [f"## {letter}: {family}", "", "| code | name | severity | summary |", "|---|---|---|---|"]
        for code in codes:
            info = REGISTRY[code]
            rows.append(f"| [{code}]({code}.md) | {info.name} | {info.severity.value} | {info.summary} |")
        rows.append("")
    return "\n".join(rows)


def pages() -> dict[str, str]:
    """File name -> text for the whole docs/checks directory."""
    files = {f"{code}.md": page(info) for code, info in sorted(REGISTRY.items())}
    files["README.md"] = index()
    return files


def main(argv: list[str]) -> int:
    target = Path(argv[1] if len(argv) > 1 else "docs/checks")
    target.mkdir(parents=True, exist_ok=True)
    wanted = pages()
    for stale in target.glob("*.md"):
        if stale.name not in wanted:
            stale.unlink()
    for name, text in wanted.items():
        (target / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(wanted)} pages to {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

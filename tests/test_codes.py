# (STYLE.md: `assert expected == actual`, expected first.)
"""Every E0xx code is declared once, in monitoring_dsl/codes.py, and diagnostics are built with typed arguments:
the stages outside the check run call a `Code`, the checks call `registry.diagnostic`, nobody else builds one."""

from __future__ import annotations

import re

from monitoring_dsl import codes
from monitoring_dsl.checks import REGISTRY
from monitoring_dsl.diagnostics import Severity
from monitoring_dsl.model.base import SourceLocation
from tests.conftest import REPO

PACKAGE = REPO / "monitoring_dsl"
# Where a Diagnostic may be constructed: the record's own module (Code.__call__) and the check registry.
BUILDERS = {"diagnostics.py", "checks/registry.py"}


def test_every_e_code_in_the_catalog_is_declared_in_codes_and_documented() -> None:
    documented = {code: (info.name, info.severity) for code, info in REGISTRY.items() if code.startswith("E")}
    declared = {code: (c.name, c.severity) for code, c in codes.PIPELINE.items()}
    assert declared == documented


def test_pipeline_codes_are_in_code_order_and_unique() -> None:
    assert sorted(codes.PIPELINE) == list(codes.PIPELINE)
    assert len({c.name for c in codes.PIPELINE.values()}) == len(codes.PIPELINE)


def test_a_code_builds_its_diagnostic() -> None:
    where = SourceLocation("specs/api.py", 3, 5)
    built = codes.SPEC_FAILED("NameError: name 'x' is not defined", where, help="define x")
    assert ("E001", "spec-failed", Severity.ERROR) == (built.code, built.name, built.severity)
    assert (where, "define x", None) == (built.location, built.help, built.span)


def test_no_module_builds_a_diagnostic_by_hand() -> None:
    constructed = re.compile(r"\bDiagnostic\(")
    offenders = [
        path.relative_to(PACKAGE).as_posix()
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).as_posix() not in BUILDERS and constructed.search(path.read_text("utf-8"))
    ]
    assert [] == offenders, "build diagnostics with a Code from codes.py or with checks.registry.diagnostic"


def test_no_module_types_an_e_code_name_again() -> None:
    names = {c.name for c in codes.PIPELINE.values()}
    quoted = re.compile(r"\"(" + "|".join(map(re.escape, sorted(names))) + r")\"")
    offenders = [
        path.relative_to(PACKAGE).as_posix()
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "codes.py" and quoted.search(path.read_text("utf-8"))
    ]
    assert [] == offenders

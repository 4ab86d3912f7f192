# (STYLE.md: `assert expected == actual`, expected first.)
"""Bad input through the real CLI: exit code 2, a located message without a traceback, and build/ untouched.

Each test first builds a valid spec set, snapshots every file and directory of the project outside specs/
(build/ with its dotfiles, and any debris a writer might leave beside it), then breaks the specs, rebuilds
and compares the snapshot byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from monitoring_dsl.checkcache import FILENAME as FINDINGS_FILENAME
from monitoring_dsl.load.bytecode import CACHE_DIR
from monitoring_dsl.load.restore import FILENAME as MODULES_FILENAME
from monitoring_dsl.outputcache import FILENAME as OUTPUT_FILENAME
from monitoring_dsl.querycache import FILENAME, LABELS_FILENAME
from tests.conftest import Run, run_cli

TRACEBACK = "Traceback (most recent call last)"

CATALOG = """
    from monitoring_dsl import Counter, Histogram

    requests = Counter("http_requests_total", "Requests", labels=["method", "endpoint", "status"])
    latency = Histogram("http_request_duration_seconds", "Latency", labels=["endpoint"],
                        buckets=[0.1, 0.5, 1.0])
"""

API = """
    from monitoring_dsl import Alert, Dashboard, Row, RuleGroup, TimeSeries

    from catalog import requests

    api = Dashboard(
        "API",
        uid="api",
        rows=[Row("Traffic", [TimeSeries("Requests", requests.rate(by=["endpoint"]), unit="reqps")])],
    )

    alerts = RuleGroup("api", [
        Alert("HighErrorRate", 'sum(rate(http_requests_total{status=~"5.."}[5m])) > 1',
              for_="5m", severity="warning", summary="errors"),
    ])
"""

Project = Callable[[Mapping[str, "str | bytes"]], Path]


KEPT_ANYWAY = (
    (CACHE_DIR, "bytecode"),
    (CACHE_DIR, FILENAME),
    (CACHE_DIR, LABELS_FILENAME),
    (CACHE_DIR, FINDINGS_FILENAME),
    (CACHE_DIR, OUTPUT_FILENAME),
    (CACHE_DIR, MODULES_FILENAME),
)


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every path under `root` except specs/ (dotfiles included): file bytes, None for a directory. Compiled
    spec modules (load/bytecode.py) and query facts (querycache.py) are left out: a failed build may keep
    those of the modules that compiled and the queries it parsed, as Python keeps __pycache__; the record of
    the last good build is in."""
    tree: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if relative.parts[0] == "specs" or relative.parts[:2] in KEPT_ANYWAY:
            continue
        tree[relative.as_posix()] = path.read_bytes() if path.is_file() else None
    return tree


def failure(run: Run, where: str | None, fragments: list[str]) -> dict[str, object]:
    """What a test asserts about a failed build, as one comparable record.

    `where` is `specs/<file>.py:<line>`; it must start a diagnostic line (the `path:line:col:` head).
    """
    return {
        "exit code": run.code,
        "located": where is None or re.search(rf"(?m)^{re.escape(where)}:\d+: ", run.stderr) is not None,
        "missing from stderr": [f for f in fragments if f not in run.stderr],
        "traceback": TRACEBACK in run.stderr,
    }


EXPECTED_FAILURE = {"exit code": 2, "located": True, "missing from stderr": [], "traceback": False}


@pytest.fixture
def built(project: Project) -> Path:
    """A project whose specs built successfully, so build/ holds a previous good output."""
    root = project({"catalog.py": CATALOG, "api.py": API})
    run = run_cli("build", cwd=root)
    assert (0, "") == (run.code, run.stderr)
    assert {
        "build/.monitoring-dsl-manifest",
        "build/grafana/dashboards/api.json",
        "build/prometheus/rules/api.yml",
    } <= set(snapshot(root))
    return root


def break_and_build(
    root: Path, project: Project, specs: Mapping[str, str | bytes], *args: str
) -> tuple[Run, dict[str, bytes | None]]:
    """Write `specs`, rebuild, and return the run and the snapshot taken before it."""
    project(specs)
    before = snapshot(root)
    return run_cli("build", *args, cwd=root), before


def lines(*text: str) -> str:
    """A spec module's source, one argument per line."""
    return "\n".join(text) + "\n"


# Each row: a spec set that breaks the build (added to the good one), the extra CLI arguments, where the first
# diagnostic must be (`specs/<file>.py:<line>`, or None for problems outside the specs) and what stderr must say.
BROKEN_SPECS = [
    pytest.param(
        {"bad.py": lines("x = 1", "", "if x == 1", "    y = 2")},
        (),
        "specs/bad.py:3",
        ["E001", "syntax error"],
        id="python syntax error is E001 at the line Python reports",
    ),
    pytest.param(
        {"bad.py": lines("x = 1", "", "y = undefined_name")},
        (),
        "specs/bad.py:3",
        ["E001", "NameError", "undefined_name"],
        id="NameError at import is E001 naming the exception and the name",
    ),
    pytest.param(
        {
            "bad.py": lines(
                "from monitoring_dsl import Counter",
                "",
                'jobs = Counter("jobs_total", "Jobs run",',
                '               lables=["queue"])',
            )
        },
        (),
        "specs/bad.py:4",
        ["E002", "'lables'", "did you mean 'labels'"],
        id="unknown keyword is E002 at the keyword with the nearest one",
    ),
    pytest.param(
        {
            "bad.py": lines(
                "from monitoring_dsl import Histogram",
                "",
                'job_time = Histogram("job_duration_seconds", "Job duration",',
                '                     buckets="fast")',
            )
        },
        (),
        "specs/bad.py:4",
        ["E002", "'buckets'", "'fast'"],
        id="wrong type is E002 naming the field and the value",
    ),
    pytest.param(
        {
            "bad.py": lines(
                "from monitoring_dsl import Alert",
                "",
                'broken = Alert("Broken",',
                '               "sum(rate(http_requests_total[5m]) > 1",',
                '               for_="5m", severity="warning", summary="s")',
            )
        },
        (),
        "specs/bad.py:4",
        ["Q200", "invalid PromQL", "parenthesis"],
        id="unbalanced parentheses in an alert are Q200 at the expression",
    ),
    pytest.param(
        {
            "bad.py": lines(
                "from monitoring_dsl import Dashboard, TimeSeries",
                "",
                'other = Dashboard("Other", uid="other", panels=[',
                '    TimeSeries("Requests",',
                '               "sum(rate(http_request_totl[5m]))"),',
                "])",
            )
        },
        (),
        "specs/bad.py:5",
        ["Q210", "http_request_totl", "did you mean", "http_requests_total"],
        id="misspelt metric in a panel is Q210 with the declared name",
    ),
    pytest.param(
        {
            "bad.py": lines(
                "from monitoring_dsl import Dashboard", "", 'other = Dashboard("Other",', '                  uid="api")'
            )
        },
        (),
        "specs/bad.py:4",
        ["D501", "'api'"],
        id="duplicate dashboard uid is D501 at the second uid",
    ),
    pytest.param(
        {"bad.py": b'x = 1\n\ny = "\xff\xfe caf\xe9"\n'},
        (),
        "specs/bad.py:3",
        ["E003", "UTF-8", "0xff"],
        id="spec that is not UTF-8 is E003 at the first bad byte",
    ),
    pytest.param(
        {"bad.py": lines("# a typo in a sibling spec module's name", "", "from catalgo import requests")},
        (),
        "specs/bad.py:3",
        ["E001", "catalgo", "did you mean", "'catalog'"],
        id="misspelt sibling import is E001 suggesting the spec module",
    ),
    pytest.param(
        {"bad.py": lines("import sys", "", "sys.exit(3)")},
        (),
        "specs/bad.py:3",
        ["E001", "SystemExit"],
        id="sys.exit in a spec is E001 and the exit code stays 2",
    ),
    pytest.param({}, ("nope/",), None, ["E004", "nope", "does not exist"], id="missing specs path is E004"),
]


@pytest.mark.parametrize(("specs", "args", "where", "fragments"), BROKEN_SPECS)
def test_broken_specs_fail_at_their_line_and_leave_build_alone(
    built: Path,
    project: Project,
    specs: Mapping[str, str | bytes],
    args: tuple[str, ...],
    where: str | None,
    fragments: list[str],
) -> None:
    """A broken spec set exits 2 with the diagnostic at the user's line, no traceback, and build/ as it was."""
    run, before = break_and_build(built, project, specs, *args)
    assert EXPECTED_FAILURE == failure(run, where, fragments), run.stderr
    assert before == snapshot(built)


def test_debug_prints_the_traceback(built: Path, project: Project) -> None:
    """With --debug the traceback of the failing spec is printed, down to the spec's own line."""
    project({"bad.py": lines("x = 1", "", "y = undefined_name")})
    run = run_cli("build", "--debug", cwd=built)
    actual = (run.code, TRACEBACK in run.stderr, 'File "specs/bad.py", line 3' in run.stderr)
    assert (2, True, True) == actual, run.stderr


def test_path_traversal_uid(built: Path, project: Project) -> None:
    """uid '../../etc/passwd' is D502, and nothing is written inside or outside the output directory."""
    outside_before = sorted(p.name for p in built.parent.iterdir())
    specs = {
        "bad.py": lines(
            "from monitoring_dsl import Dashboard",
            "",
            'evil = Dashboard("Evil",',
            '                 uid="../../etc/passwd")',
        )
    }
    run, before = break_and_build(built, project, specs)
    assert EXPECTED_FAILURE == failure(run, "specs/bad.py:4", ["D502", "../../etc/passwd"]), run.stderr
    assert before == snapshot(built)
    assert outside_before == sorted(p.name for p in built.parent.iterdir())
    assert [] == [p for p in built.parent.rglob("*") if p.name in ("etc", "passwd", "passwd.json")]


# Each row: something in the way of the output directory, the --out given, and what stderr must say.
BAD_OUTPUTS = [
    pytest.param({"blocker": b"not a directory\n"}, "blocker/build", ["E006", "blocker/build"], id="parent is a file"),
    pytest.param(
        {"notes/todo.txt": b"my own work\n"}, "notes", ["E006", "todo.txt"], id="directory holds foreign files"
    ),
]


@pytest.mark.parametrize(("files", "out", "fragments"), BAD_OUTPUTS)
def test_unusable_output_directory(built: Path, files: Mapping[str, bytes], out: str, fragments: list[str]) -> None:
    """An output directory that cannot be written is E006 naming it; nothing on disk changes."""
    for name, data in files.items():
        (built / name).parent.mkdir(parents=True, exist_ok=True)
        (built / name).write_bytes(data)
    before = snapshot(built)
    run = run_cli("build", "--out", out, cwd=built)
    assert EXPECTED_FAILURE == failure(run, None, fragments), run.stderr
    assert before == snapshot(built)


# --- build --check ------------------------------------------------------------------------------------------


def test_check_after_build_is_clean(built: Path) -> None:
    """Right after a successful build, `build --check` exits 0."""
    run = run_cli("build", "--check", cwd=built)
    assert (0, "") == (run.code, run.stderr)


def test_check_lists_the_changed_file(built: Path, project: Project) -> None:
    """After a spec changes, `build --check` exits 1 and lists only the output file that would change."""
    project({"api.py": API.replace('unit="reqps"', 'unit="ops"')})
    run = run_cli("build", "--check", cwd=built)
    listed = [line.strip() for line in run.stderr.splitlines() if line.startswith("  ")]
    assert (1, ["grafana/dashboards/api.json"]) == (run.code, listed), run.stderr


def test_check_writes_nothing(built: Path, project: Project) -> None:
    """`build --check` on stale output leaves build/ as it was."""
    project({"api.py": API.replace('unit="reqps"', 'unit="ops"')})
    before = snapshot(built)
    run_cli("build", "--check", cwd=built)
    assert before == snapshot(built)


def test_check_lists_output_of_a_deleted_spec(built: Path, project: Project) -> None:
    """After a spec is deleted, `build --check` exits 1 and lists the output file it used to produce."""
    project(
        {
            "extra.py": """
        from monitoring_dsl import Dashboard, TimeSeries

        extra = Dashboard("Extra", uid="extra", panels=[TimeSeries("Up", "up")])
    """
        }
    )
    assert 0 == run_cli("build", cwd=built).code
    (built / "specs" / "extra.py").unlink()
    run = run_cli("build", "--check", cwd=built)
    listed = [line.strip() for line in run.stderr.splitlines() if line.startswith("  ")]
    assert (1, True) == (run.code, "grafana/dashboards/extra.json" in listed), run.stderr


def test_build_removes_output_of_a_deleted_spec(built: Path, project: Project) -> None:
    """After a spec is deleted, a real build removes the output file it used to produce."""
    project(
        {
            "extra.py": """
        from monitoring_dsl import Dashboard, TimeSeries

        extra = Dashboard("Extra", uid="extra", panels=[TimeSeries("Up", "up")])
    """
        }
    )
    assert 0 == run_cli("build", cwd=built).code
    assert (built / "build" / "grafana" / "dashboards" / "extra.json").is_file()
    (built / "specs" / "extra.py").unlink()
    run = run_cli("build", cwd=built)
    assert (0, False) == (run.code, (built / "build" / "grafana" / "dashboards" / "extra.json").exists())

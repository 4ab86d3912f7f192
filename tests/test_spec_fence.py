"""Specs run fenced: what they print, raise, change or exit with never escapes into the tool's own behaviour."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import run_cli, write_specs

GOOD = """
from monitoring_dsl import Counter, Dashboard, TimeSeries

requests = Counter("http_requests_total", "Requests", labels=["code"])
Dashboard("API", uid="api", panels=[TimeSeries("Rate", "sum(rate(http_requests_total[5m]))", unit="reqps")])
"""


def test_spec_print_never_corrupts_json_or_sarif(tmp_path: Path) -> None:
    write_specs(tmp_path, {"api.py": "print('hello from the spec')\n" + GOOD})
    for fmt in ("json", "sarif"):
        run = run_cli("lint", "--format", fmt, cwd=tmp_path)
        assert run.code in (0, 1), run.stderr
        json.loads(run.stdout)  # stdout is exactly the document
        assert "hello from the spec" in run.stderr and "specs/api.py" in run.stderr


def test_spec_print_is_shown_on_stderr_by_build(tmp_path: Path) -> None:
    write_specs(tmp_path, {"api.py": "import sys\nprint('out')\nprint('err', file=sys.stderr)\n" + GOOD})
    run = run_cli("build", cwd=tmp_path)
    assert run.code == 0, run.stderr
    assert "out" not in run.stdout.replace("wrote", "")
    assert "  | out" in run.stderr and "  | err" in run.stderr


@pytest.mark.parametrize(
    ("raiser", "shown"),
    [
        ("raise SystemExit(3)", "SystemExit: 3"),
        ("import sys; sys.exit(4)", "SystemExit: 4"),
        ("raise KeyboardInterrupt", "KeyboardInterrupt"),
        ("raise GeneratorExit", "GeneratorExit"),
        ("import os; os._exit(3)", "os._exit(3)"),
        (
            "class Weird(Exception):\n    def __str__(self):\n        raise ValueError('no')\nraise Weird()",
            "Weird whose message cannot be shown",
        ),
    ],
)
def test_base_exceptions_from_a_spec_are_diagnostics_at_their_line(tmp_path: Path, raiser: str, shown: str) -> None:
    lines = GOOD.strip("\n").count("\n") + 1
    write_specs(tmp_path, {"api.py": GOOD.strip("\n") + "\n" + raiser + "\n"})
    raise_line = lines + raiser.count("\n") + 1
    run = run_cli("build", cwd=tmp_path)
    assert run.code == 2, (run.code, run.stderr)
    assert "Traceback" not in run.stderr, run.stderr
    assert f"specs/api.py:{raise_line}:" in run.stderr and "E001" in run.stderr, run.stderr
    assert shown in run.stderr, run.stderr


def test_spec_clearing_sys_modules_does_not_lose_other_specs(tmp_path: Path) -> None:
    write_specs(
        tmp_path,
        {
            "a_clear.py": "import sys\nfor n in [m for m in sys.modules if m.startswith('monitoring_dsl')]:\n"
            "    del sys.modules[n]\n",
            "b_api.py": GOOD,
        },
    )
    (tmp_path / "build").mkdir()
    run = run_cli("build", cwd=tmp_path)
    assert run.code == 0, run.stderr
    assert "wrote 2 files" in run.stdout  # the dashboard and the instrumentation module of its metric
    assert (tmp_path / "build/grafana/dashboards/api.json").is_file()


def test_spec_changing_sys_path_and_cwd_is_undone(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    write_specs(
        tmp_path,
        {
            "a_mess.py": f"import os, sys\nos.chdir({str(elsewhere)!r})\nsys.path.clear()\nsys.meta_path.clear()\n",
            "b_api.py": "import a_mess\n" + GOOD,
        },
    )
    run = run_cli("build", cwd=tmp_path)
    assert run.code == 0, run.stderr
    assert (tmp_path / "build/grafana/dashboards/api.json").is_file()


def test_ctrl_c_while_a_spec_runs_exits_130_without_traceback(tmp_path: Path) -> None:
    write_specs(tmp_path, {"api.py": "import time\nopen('started', 'w').close()\ntime.sleep(30)\n" + GOOD})
    executable = Path(sys.executable).parent / "monitoring-dsl"
    process = subprocess.Popen([str(executable), "build"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "started").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err.decode()
    assert b"Traceback" not in err and b"interrupted" in err
    assert not (tmp_path / "build").exists()


def test_spec_leaving_a_thread_running_is_reported_and_does_not_hang(tmp_path: Path) -> None:
    spec = "import threading, time\n\ndef serve():\n    time.sleep(3600)\n\nthreading.Thread(target=serve).start()\n"
    write_specs(tmp_path, {"api.py": spec + GOOD})
    started = time.monotonic()
    run = run_cli("build", cwd=tmp_path, timeout=60)
    assert time.monotonic() - started < 30
    assert run.code == 2, run.stderr
    assert "specs/api.py:3:" in run.stderr and "thread" in run.stderr and "still running" in run.stderr


def test_unreadable_pyproject_is_e007() -> None:
    """Run as an unprivileged user, since root reads any file."""
    if shutil.which("setpriv") is None or os.geteuid() != 0:
        pytest.skip("needs root and setpriv to drop privileges")
    shared = Path(tempfile.mkdtemp(prefix="monitoring-dsl-e007-"))  # pytest's tmp_path is private to root
    try:
        _lint_unreadable_pyproject(shared)
    finally:
        shutil.rmtree(shared)


def _lint_unreadable_pyproject(root: Path) -> None:
    write_specs(root, {"api.py": GOOD})
    (root / "pyproject.toml").write_text("[tool.monitoring-dsl]\n")
    os.chmod(root / "pyproject.toml", 0)
    os.chmod(root, 0o755)
    executable = Path(sys.executable).parent / "monitoring-dsl"
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", str(executable)]
    runs = subprocess.run([*nobody, "--version"], cwd=root, capture_output=True, text=True, timeout=60, check=False)
    if runs.returncode != 0:
        pytest.skip(f"the unprivileged user cannot run the virtualenv here: {runs.stderr[-300:]}")
    completed = subprocess.run([*nobody, "lint"], cwd=root, capture_output=True, text=True, timeout=60, check=False)
    assert completed.returncode == 2, completed.stderr
    assert "E007" in completed.stderr and "cannot be read" in completed.stderr
    assert "Traceback" not in completed.stderr

"""`monitoring-dsl up` with the real prometheus and alertmanager on 127.0.0.1, and an alert travelling
Prometheus -> Alertmanager -> a webhook served by the test. Every process started is stopped."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from monitoring_dsl.compiler import compile_specs
from monitoring_dsl.up import LocalStack, UpError, running
from monitoring_dsl.writer import write_tree
from tests.conftest import run_cli, run_process, write_specs

FAST_STACK = """
from monitoring_dsl import Alert, Prometheus, Route, Routing, RuleGroup, Webhook

prometheus = Prometheus(scrape_interval="1s", evaluation_interval="1s")
hook = Webhook("hook", url="{url}", send_resolved=False)
routing = Routing(receivers=[hook], default=hook, routes=[Route(hook, match={{"severity": "critical"}})],
                  group_wait="1s", group_interval="1s", repeat_interval="1h")
rules = RuleGroup("e2e", [
    Alert("AlwaysFiring", "vector(1) > 0", severity="critical", summary="fires at once",
          labels={{"service": "e2e", "team": "platform"}}),
])
"""


def _build(root: Path, url: str = "http://127.0.0.1:9/") -> tuple[object, Path]:
    write_specs(root, {"stack.py": FAST_STACK.format(url=url)})
    result = compile_specs([root / "specs"], root)
    assert result.artifacts is not None and result.project is not None, [d.message for d in result.diagnostics]
    write_tree(root / "build", result.artifacts)
    return result.project, root / "build"


def _no_process_uses(run_dir: Path) -> bool:
    listing = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, timeout=10).stdout
    return str(run_dir) not in listing


def test_up_check_starts_and_stops_the_stack(tmp_path: Path, stack_binaries: tuple[str, str]) -> None:
    """`up --check` exits 0 once both servers are ready with the rules loaded, and leaves nothing running."""
    write_specs(tmp_path, {"stack.py": FAST_STACK.format(url="http://127.0.0.1:9/")})
    run = run_process("up", "--check", cwd=tmp_path, timeout=90)
    assert 0 == run.code, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("alertmanager  http://127.0.0.1:")
    assert lines[1].startswith("prometheus    http://127.0.0.1:")
    assert "ready: 2 servers up, 1 rule group(s) loaded; stopping" == lines[2]
    assert not (tmp_path / "build" / ".run").exists()
    assert _no_process_uses(tmp_path / "build" / ".run")
    assert 0 == run_cli("build", "--check", cwd=tmp_path).code  # up built exactly what build would


def test_up_without_a_stack_is_e030(tmp_path: Path) -> None:
    write_specs(tmp_path, {"a.py": 'from monitoring_dsl import Counter\nc = Counter("jobs_total", "Jobs")\n'})
    run = run_process("up", "--check", cwd=tmp_path)
    assert 2 == run.code
    assert "E030" in run.stderr


def test_up_without_binaries_is_e031(tmp_path: Path) -> None:
    """With a PATH that holds no prometheus, up says which binary is missing and how to install it."""
    write_specs(tmp_path, {"stack.py": FAST_STACK.format(url="http://127.0.0.1:9/")})
    executable = Path(sys.executable).parent / "monitoring-dsl"
    completed = subprocess.run(
        [str(executable), "up", "--check"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PATH": str(tmp_path / "empty")},
    )
    assert 2 == completed.returncode
    assert "E031" in completed.stderr
    assert "prometheus is not on PATH" in completed.stderr


def test_server_that_exits_is_e032_with_its_log(tmp_path: Path, stack_binaries: tuple[str, str]) -> None:
    """A rule file Prometheus refuses makes it exit at start: E032 carries the end of its log."""
    project, out = _build(tmp_path)
    (out / "prometheus" / "rules" / "stack.yml").write_text("groups: [{name: x, rules: [{alert: A, expr: '('}]}]\n")
    with pytest.raises(UpError) as raised, running(project, out, timeout=20):  # type: ignore[arg-type]
        pass
    assert "E032" == raised.value.code
    assert "prometheus exited" in raised.value.message
    assert not (out / ".run").exists()


def test_missing_rule_group_is_e033(tmp_path: Path, stack_binaries: tuple[str, str]) -> None:
    """Prometheus up but without a rule group of the build: E033 names the group."""
    project, out = _build(tmp_path)
    (out / "prometheus" / "rules" / "stack.yml").unlink()
    with pytest.raises(UpError) as raised, running(project, out, timeout=3):  # type: ignore[arg-type]
        pass
    assert ("E033", True) == (raised.value.code, "e2e" in raised.value.message)
    assert _no_process_uses(out / ".run")


def test_run_dir_of_a_live_up_is_e034(tmp_path: Path) -> None:
    """A run directory locked by a live process is left alone."""
    project, out = _build(tmp_path)
    holder = subprocess.Popen(["sleep", "30"])
    try:
        (out / ".run").mkdir()
        (out / ".run" / "up.pid").write_text(f"{holder.pid}\n")
        stack = LocalStack(project, out)  # type: ignore[arg-type]
        with pytest.raises(UpError) as raised:
            stack._claim_run_dir()
        stack.stop()
        assert "E034" == raised.value.code
        assert (out / ".run" / "up.pid").is_file()
    finally:
        holder.kill()
        holder.wait()


# --- end to end ---------------------------------------------------------------------------------------------


@pytest.fixture
def webhook() -> Iterator[tuple[str, queue.Queue[dict[str, object]]]]:
    """An HTTP server on 127.0.0.1 that queues every JSON body POSTed to it."""
    received: queue.Queue[dict[str, object]] = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.put(json.loads(body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/alerts", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_alert_reaches_the_webhook_with_its_labels(
    tmp_path: Path, stack_binaries: tuple[str, str], webhook: tuple[str, queue.Queue[dict[str, object]]]
) -> None:
    """An alert fires in the real Prometheus, is routed by the real Alertmanager, and arrives at the test."""
    url, received = webhook
    project, out = _build(tmp_path, url)
    with running(project, out, timeout=30):  # type: ignore[arg-type]
        payload = received.get(timeout=30)
    alerts = payload["alerts"]
    assert isinstance(alerts, list) and alerts
    assert {
        "alertname": "AlwaysFiring",
        "severity": "critical",
        "service": "e2e",
        "team": "platform",
    } == alerts[0]["labels"]
    assert ("firing", "hook") == (payload["status"], payload["receiver"])
    assert "fires at once" == alerts[0]["annotations"]["summary"]
    assert _no_process_uses(out / ".run")


def test_ctrl_c_stops_both_servers(tmp_path: Path, stack_binaries: tuple[str, str]) -> None:
    """`up` runs until SIGINT (Ctrl-C), then stops both servers, removes its run directory and exits 0."""
    import signal

    write_specs(tmp_path, {"stack.py": FAST_STACK.format(url="http://127.0.0.1:9/")})
    executable = Path(sys.executable).parent / "monitoring-dsl"
    up = subprocess.Popen(
        [str(executable), "up"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert up.stdout is not None
        lines = [up.stdout.readline() for _ in range(3)]
        assert lines[2].startswith("ready (1 rule group(s) loaded); Ctrl-C stops both"), lines
        url = lines[1].split()[1]
        from monitoring_dsl.up import http_get

        assert 200 == http_get(f"{url}/-/ready")[0]
        up.send_signal(signal.SIGINT)
        out, err = up.communicate(timeout=30)
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
    assert (0, "stopping\n") == (up.returncode, out), err
    assert 0 == http_get(f"{url}/-/ready")[0]
    assert not (tmp_path / "build" / ".run").exists()
    assert _no_process_uses(tmp_path / "build" / ".run")

"""Run the generated stack locally: Prometheus and Alertmanager as processes on 127.0.0.1, for `monitoring-dsl up`.

The configs are the ones `build` wrote; only what depends on this machine (free ports, absolute rule paths)
goes into a Prometheus config of its own in the run directory `<out>/.run`, next to both servers' data. The
run directory is removed when the stack stops, so the next `build` finds only files it wrote.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import attrs

from monitoring_dsl.emit.prometheus_config import prometheus_config
from monitoring_dsl.emit.prometheus_config import server as prometheus_server
from monitoring_dsl.emit.serialize import to_commented_yaml
from monitoring_dsl.model.project import Project
from monitoring_dsl.model.rules import parse_duration

RUN_DIR = ".run"
PROMETHEUS_BINARIES = ("prometheus",)
ALERTMANAGER_BINARIES = ("alertmanager", "prometheus-alertmanager")  # Debian names it prometheus-alertmanager


class UpError(Exception):
    """The local stack could not run; `code` is one of E030-E034, `help` says what to do."""

    def __init__(self, code: str, message: str, help: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.help = help


def find_binary(names: tuple[str, ...]) -> str:
    for name in names:
        path = shutil.which(name)
        if path is not None:
            return path
    raise UpError(
        "E031",
        f"{' or '.join(names)} is not on PATH",
        help="install it (Debian: apt-get install prometheus prometheus-alertmanager; or `make tools`)",
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    """GET `url` (loopback only); (status, body), or (0, b"") when nothing answers."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"refusing to fetch {url}: the local stack listens on 127.0.0.1 only")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return int(error.code), b""
    except (urllib.error.URLError, OSError):
        return 0, b""


@attrs.define
class Server:
    """One started process and where it listens."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@attrs.define
class LocalStack:
    """Prometheus (and Alertmanager when the specs declare routing) started from the build in `out`."""

    project: Project
    out: Path
    servers: list[Server] = attrs.field(factory=list)
    claimed: bool = False

    @property
    def run_dir(self) -> Path:
        return self.out / RUN_DIR

    def server(self, name: str) -> Server:
        return next(s for s in self.servers if s.name == name)

    def _claim_run_dir(self) -> None:
        lock = self.run_dir / "up.pid"
        if lock.is_file():
            try:
                pid = int(lock.read_text().strip())
            except ValueError:
                pid = 0
            if pid and pid != os.getpid() and _pid_alive(pid):
                raise UpError(
                    "E034",
                    f"{self.run_dir} is in use by another `monitoring-dsl up` (process {pid})",
                    help="stop it with Ctrl-C; if no such process is yours, remove the directory",
                )
        shutil.rmtree(self.run_dir, ignore_errors=True)
        self.run_dir.mkdir(parents=True)
        lock.write_text(f"{os.getpid()}\n")
        self.claimed = True

    def _spawn(self, name: str, command: list[str], url: str) -> Server:
        log = self.run_dir / f"{name}.log"
        with log.open("wb") as handle:
            process = subprocess.Popen(
                command, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )
        server = Server(name, url, process, log)
        self.servers.append(server)
        return server

    def start(self) -> None:
        """Start the servers; returns as soon as the processes exist (see `wait_ready`)."""
        prometheus_bin = find_binary(PROMETHEUS_BINARIES)
        alertmanager_bin = find_binary(ALERTMANAGER_BINARIES) if self.project.routings else None
        self._claim_run_dir()
        prometheus_port = free_port()
        alertmanager_port = free_port() if alertmanager_bin else 0
        rules = sorted((self.out / "prometheus" / "rules").glob("*.yml"))
        config = prometheus_config(
            self.project,
            alertmanager_target=f"127.0.0.1:{alertmanager_port}",
            self_target=f"127.0.0.1:{prometheus_port}",
            rule_files=[str(path.resolve()) for path in rules],
        )
        config_path = self.run_dir / "prometheus.yml"
        config_path.write_bytes(to_commented_yaml(config, "the build in " + self.out.name + " for monitoring-dsl up"))
        if alertmanager_bin is not None:
            self._spawn(
                "alertmanager",
                [
                    alertmanager_bin,
                    f"--config.file={self.out / 'alertmanager' / 'alertmanager.yml'}",
                    f"--storage.path={self.run_dir / 'alertmanager'}",
                    f"--web.listen-address=127.0.0.1:{alertmanager_port}",
                    "--cluster.listen-address=",  # a single local instance: no gossip port
                ],
                f"http://127.0.0.1:{alertmanager_port}",
            )
        self._spawn(
            "prometheus",
            [
                prometheus_bin,
                f"--config.file={config_path}",
                f"--storage.tsdb.path={self.run_dir / 'prometheus'}",
                f"--web.listen-address=127.0.0.1:{prometheus_port}",
                # Prometheus learns of Alertmanager a few seconds after its first evaluation; resending at the
                # evaluation interval (not the default 1m) delivers an alert that fired before then promptly
                f"--rules.alert.resend-delay={_resend_delay(self.project)}",
            ],
            f"http://127.0.0.1:{prometheus_port}",
        )

    def check_alive(self) -> None:
        for server in self.servers:
            code = server.process.poll()
            if code is not None:
                raise UpError(
                    "E032",
                    f"{server.name} exited with status {code}:\n{server.log_tail()}",
                    help=f"its whole log is {server.log}",
                )

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Until every server answers `/-/ready` with 200; E032 when one exits or time runs out."""
        deadline = time.monotonic() + timeout
        waiting = list(self.servers)
        while waiting:
            self.check_alive()
            waiting = [s for s in waiting if http_get(f"{s.url}/-/ready")[0] != 200]
            if not waiting:
                return
            if time.monotonic() > deadline:
                names = ", ".join(s.name for s in waiting)
                raise UpError(
                    "E032",
                    f"{names} did not become ready within {timeout:g}s:\n{waiting[0].log_tail()}",
                    help="see the log above; a slow machine may need --timeout",
                )
            time.sleep(0.2)

    def expected_groups(self) -> set[str]:
        return {group.name for groups in self.project.rule_groups_by_module().values() for group in groups}

    def wait_rules(self, timeout: float = 30.0) -> None:
        """Until Prometheus's /api/v1/rules lists every rule group of the build with no failed rule; E033."""
        expected = self.expected_groups()
        deadline = time.monotonic() + timeout
        loaded: set[str] = set()
        while True:
            self.check_alive()
            status, body = http_get(f"{self.server('prometheus').url}/api/v1/rules")
            if status == 200:
                groups = json.loads(body)["data"]["groups"]
                loaded = {g["name"] for g in groups}
                broken = [r["name"] for g in groups for r in g["rules"] if r.get("health") == "err"]
                if broken:
                    raise UpError("E033", f"Prometheus failed to evaluate rule(s): {', '.join(broken)}")
                if expected <= loaded:
                    return
            if time.monotonic() > deadline:
                missing = ", ".join(sorted(expected - loaded))
                raise UpError(
                    "E033",
                    f"Prometheus did not load rule group(s) {missing} within {timeout:g}s",
                    help="run `promtool check rules` on the build's rule files",
                )
            time.sleep(0.2)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM each server, SIGKILL what is still running after `timeout`, then remove the run directory."""
        for server in self.servers:
            if server.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    server.process.send_signal(signal.SIGTERM)
        for server in self.servers:
            try:
                server.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()
        self.servers.clear()
        if self.claimed:
            shutil.rmtree(self.run_dir, ignore_errors=True)
            self.claimed = False


def _resend_delay(project: Project) -> str:
    interval = prometheus_server(project).evaluation_interval
    return interval if (parse_duration(interval) or 60) < 60 else "1m"


@contextlib.contextmanager
def running(project: Project, out: Path, timeout: float = 30.0) -> Iterator[LocalStack]:
    """The stack started, ready and with its rules loaded; always stopped on leaving."""
    if not project.has_stack:
        raise UpError(
            "E030",
            "the specs declare no stack (no Service, Prometheus or Routing), so there is nothing to run",
            help='declare one, e.g. Prometheus(scrape_interval="15s") in specs/stack.py',
        )
    stack = LocalStack(project, out)
    try:
        stack.start()
        stack.wait_ready(timeout)
        stack.wait_rules(timeout)
        yield stack
    finally:
        stack.stop()

"""A real `prometheus` process on 127.0.0.1 for end-to-end tests: free port, temporary data dir, always stopped."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.servers import free_port


def scrape_config(target: str, rule_files: list[str], interval: str = "1s") -> str:
    """prometheus.yml scraping `target` (host:port) as job "api", evaluating `rule_files`, every `interval`.

    The job is named as in the seed stack (specs/stack.py), whose availability SLO reads `up{job="api"}`."""
    rules = "".join(f"  - {json.dumps(path)}\n" for path in rule_files)
    return (
        "global:\n"
        f"  scrape_interval: {interval}\n"
        f"  evaluation_interval: {interval}\n"
        "rule_files:\n"
        f"{rules}"
        "scrape_configs:\n"
        "  - job_name: api\n"
        f"    scrape_interval: {interval}\n"
        "    static_configs:\n"
        f"      - targets: [{json.dumps(target)}]\n"
    )


def get_json(url: str, timeout: float = 5) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


@contextmanager
def run_prometheus(binary: str, workdir: Path, config: str) -> Iterator[str]:
    """Start prometheus with `config`; yield its base URL once ready; terminate (then kill) it on exit."""
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "prometheus.yml"
    config_path.write_text(config, encoding="utf-8")
    port = free_port()
    log = (workdir / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config_path}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"prometheus exited with {process.returncode}: {_tail(workdir)}")
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"prometheus was not ready within 30 s: {_tail(workdir)}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def _tail(workdir: Path) -> str:
    try:
        return (workdir / "prometheus.log").read_text(errors="replace")[-2000:]
    except OSError:
        return ""

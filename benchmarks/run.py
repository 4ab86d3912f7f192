"""Benchmark a build of workload L against `promtool check rules`, as DESIGN.md's performance budgets say.

Generates the workload into a temporary directory, then measures in this one invocation, wall-clock, the
median of N runs:

  build      `monitoring-dsl build specs --out OUT`, into a fresh output directory each run
  promtool   `promtool check rules OUT/prometheus/rules/*.yml`, the reference every ratio divides by
  rebuild    the same build again into the same OUT, nothing changed (served by the build cache)
  lint       `monitoring-dsl lint specs`, when `monitoring-dsl --help` lists a `lint` command
  memory     peak resident memory of a build, measured in a child process of its own (median of N)

It reports whether each budget is met; it does not assert them. The exit status is non-zero only when a
command fails (the build reports errors, promtool rejects the rules, ...).

    python benchmarks/run.py [--size L|S] [--repeat N] [--json FILE] [--keep]

`--json` writes, besides every run, the headline figures `build_ratio`, `lint_ratio`, `noop_ratio` (medians
divided by promtool's median in the same invocation) and `peak_rss_mb`; `make bench` writes them to
benchmarks/results/latest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from workload import generate  # benchmarks/ is sys.path[0] when this file runs as a script

# DESIGN.md, "Performance budgets": ratios to `promtool check rules` of the emitted rules, and a memory cap.
BUDGETS = {"build": 1.0, "rebuild": 0.1, "lint": 0.5}
MEMORY_BUDGET_MB = 500.0
NAMES = {"build": "build", "lint": "lint", "rebuild": "noop"}  # the keys of the headline ratios in --json

# Runs the command given in argv as its only child, then reports that child's peak RSS. RUSAGE_CHILDREN is
# the maximum over all waited-for children of the calling process, so the wrapper must have no other child.
MEMORY_WRAPPER = """\
import json, resource, subprocess, sys
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"returncode": proc.returncode, "maxrss": usage.ru_maxrss,
                  "stdout": proc.stdout, "stderr": proc.stderr}))
"""


class CommandFailed(Exception):
    def __init__(self, what: str, command: Sequence[str], proc: subprocess.CompletedProcess[str]):
        super().__init__(what)
        self.what = what
        self.command = command
        self.proc = proc


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def timed(command: Sequence[str], cwd: Path, timeout: float | None) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Wall-clock seconds of one run of `command`, and its result."""
    start = time.perf_counter()
    proc = subprocess.run(list(command), cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    return time.perf_counter() - start, proc


def monitoring_dsl() -> str:
    """The console script installed next to this interpreter (the venv's), else the one on PATH."""
    beside = Path(sys.executable).parent / "monitoring-dsl"
    if beside.exists():
        return str(beside)
    found = shutil.which("monitoring-dsl")
    if found is None:
        sys.exit("monitoring-dsl is not installed next to this Python or on PATH; run `make venv`")
    return found


def has_command(tool: str, name: str) -> bool:
    """Whether `tool --help` lists the subcommand `name` under "Commands:"."""
    proc = subprocess.run([tool, "--help"], capture_output=True, text=True, check=False)
    in_commands = False
    for line in proc.stdout.splitlines():
        if line.strip().lower().startswith("commands"):
            in_commands = True
        elif in_commands and line.strip():
            if not line.startswith(" "):
                in_commands = False
            elif line.split()[0] == name:
                return True
    return False


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def promtool_version(promtool: str) -> str:
    proc = subprocess.run([promtool, "--version"], capture_output=True, text=True, check=False)
    return (proc.stdout.strip().splitlines() or [""])[0]


class Bench:
    def __init__(self, work: Path, repeat: int, timeout: float | None):
        self.work = work
        self.repeat = repeat
        self.timeout = timeout
        self.tool = monitoring_dsl()
        self.promtool = shutil.which("promtool") or "/usr/bin/promtool"
        self.runs: dict[str, list[float]] = {}
        self.notes: dict[str, str] = {}

    def run(self, what: str, command: Sequence[str], ok_codes: Sequence[int] = (0,)) -> float:
        seconds, proc = timed(command, self.work, self.timeout)
        if proc.returncode not in ok_codes:
            raise CommandFailed(what, command, proc)
        self.runs.setdefault(what, []).append(seconds)
        self.notes[what] = last_line(proc.stdout) or last_line(proc.stderr)
        progress(f"  {what} run {len(self.runs[what])}/{self.repeat}: {seconds:.3f} s")
        return seconds

    def median(self, what: str) -> float:
        return statistics.median(self.runs[what])

    def build(self, out: str) -> list[str]:
        return [self.tool, "build", "specs", "--out", out]

    def measure(self, lint: bool) -> tuple[Path, float, subprocess.CompletedProcess[str]]:
        """Run every measurement; returns the output directory, the median peak memory in MB, and the last
        memory run's result."""
        out = ""
        for index in range(self.repeat):
            out = f"out-{index}"
            shutil.rmtree(self.work / out, ignore_errors=True)
            self.run("build", self.build(out))
        built = self.work / out
        rule_files = sorted(str(p.relative_to(self.work)) for p in (built / "prometheus" / "rules").rglob("*.y*ml"))
        if not rule_files:
            sys.exit(f"the build wrote no rule files under {built / 'prometheus' / 'rules'}")
        for _ in range(self.repeat):
            self.run("promtool", [self.promtool, "check", "rules", *rule_files])
        for _ in range(self.repeat):
            self.run("rebuild", self.build(out))
        if lint:
            for _ in range(self.repeat):
                self.run("lint", [self.tool, "lint", "specs"], ok_codes=(0, 1))  # 1: findings, still a run
        peaks = []
        proc = subprocess.CompletedProcess([], 0)
        for index in range(self.repeat):
            shutil.rmtree(self.work / "out-memory", ignore_errors=True)  # a fresh directory: a full build
            command = [sys.executable, "-c", MEMORY_WRAPPER, *self.build("out-memory")]
            _, proc = timed(command, self.work, self.timeout)
            report = json.loads(proc.stdout) if proc.returncode == 0 and proc.stdout.strip() else None
            if report is None or report["returncode"] != 0:
                if report is not None:
                    proc = subprocess.CompletedProcess(
                        command, report["returncode"], report["stdout"], report["stderr"]
                    )
                raise CommandFailed("build (memory)", command, proc)
            # ru_maxrss is in kilobytes on Linux, bytes on macOS
            maxrss_bytes = report["maxrss"] * (1 if sys.platform == "darwin" else 1024)
            peaks.append(maxrss_bytes / 1e6)
            progress(f"  peak memory of a build, run {index + 1}/{self.repeat}: {peaks[-1]:.0f} MB")
        self.runs["peak_memory_mb"] = peaks
        return built, statistics.median(peaks), proc


def verdict(ok: bool) -> str:
    return "meets" if ok else "misses"


def describe(counts: dict[str, int | str]) -> str:
    def n(key: str) -> str:
        return f"{int(counts[key]):,}"

    return (
        f"workload {counts['size']}: {n('spec_modules')} spec modules, {n('metrics')} metrics, "
        f"{n('dashboards')} dashboards ({n('panels')} panels), {n('rules')} rules ({n('alerts')} alerts, "
        f"{n('records')} records) in {n('rule_groups')} groups"
    )


def report(bench: Bench, counts: dict[str, int | str], peak_mb: float, lint: bool) -> tuple[str, dict[str, object]]:
    reference = bench.median("promtool")
    rows = [("measurement", "seconds", "x promtool", "budget", "verdict")]
    rows.append(("promtool check rules (reference)", f"{reference:.3f}", "1.00x", "", ""))
    budgets: dict[str, dict[str, object]] = {}
    labels = {"build": "build", "rebuild": "rebuild, nothing changed", "lint": "lint"}
    for what in ("build", "rebuild", "lint"):
        if what == "lint" and not lint:
            rows.append(("lint", "not available", "", f"<= {BUDGETS['lint']}x", "n/a"))
            continue
        seconds = bench.median(what)
        ratio = seconds / reference
        ok = ratio <= BUDGETS[what]
        budgets[what] = {"seconds": seconds, "ratio": ratio, "budget_ratio": BUDGETS[what], "meets": ok}
        rows.append((labels[what], f"{seconds:.3f}", f"{ratio:.2f}x", f"<= {BUDGETS[what]}x", verdict(ok)))
    memory_ok = peak_mb < MEMORY_BUDGET_MB
    budgets["peak_memory"] = {"mb": peak_mb, "budget_mb": MEMORY_BUDGET_MB, "meets": memory_ok}
    rows.append(
        (
            "peak memory of a build",
            f"{peak_mb:.0f} MB",
            "",
            f"< {MEMORY_BUDGET_MB:.0f} MB",
            verdict(memory_ok),
        )
    )
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [describe(counts) + f"; median of {bench.repeat} run(s)", ""]
    for index, row in enumerate(rows):
        cells = [
            row[0].ljust(widths[0]),
            *(cell.rjust(widths[i]) for i, cell in enumerate(row[1:4], 1)),
            row[4].ljust(widths[4]),
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    if not lint:
        lines.append("lint: not available (`monitoring-dsl --help` lists no `lint` command)")
    lines.append(f"build said: {bench.notes.get('build', '')}")
    lines.append(f"rebuild said: {bench.notes.get('rebuild', '')}")
    ratios = {f"{name}_ratio": budgets[what]["ratio"] for what, name in NAMES.items() if what in budgets}
    data: dict[str, object] = {
        **ratios,
        "peak_rss_mb": peak_mb,
        "statistic": "median",
        "workload": counts,
        "repeat": bench.repeat,
        "seconds": {what: statistics.median(times) for what, times in bench.runs.items() if what != "peak_memory_mb"},
        "runs": bench.runs,
        "peak_memory_mb": peak_mb,
        "budgets": budgets,
        "lint_available": lint,
        "notes": bench.notes,
        "environment": {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "promtool": promtool_version(bench.promtool),
        },
    }
    return "\n".join(lines), data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=["L", "S"], default="L", help="workload size (default: L; S is 1/20)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement, the median counts (default: 3)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the numbers to FILE as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the working directory and print its path")
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="give up on any single command after this long (default: no limit)",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    work = Path(tempfile.mkdtemp(prefix="monitoring-dsl-bench-"))
    try:
        progress(f"generating workload {args.size} in {work}")
        counts = generate(work / "specs", args.size)
        progress("  " + describe(counts))
        bench = Bench(work, args.repeat, args.timeout)
        lint = has_command(bench.tool, "lint")
        try:
            _, peak_mb, _ = bench.measure(lint)
        except CommandFailed as failure:
            print(f"benchmark stopped: {failure.what} failed (exit {failure.proc.returncode})", file=sys.stderr)
            print(
                "command: " + " ".join(failure.command[:6]) + (" ..." if len(failure.command) > 6 else ""),
                file=sys.stderr,
            )
            print(f"in: {work}", file=sys.stderr)
            if failure.proc.stdout:
                print(failure.proc.stdout[-5000:], file=sys.stderr)
            print(failure.proc.stderr[-20000:], file=sys.stderr)
            args.keep = True
            return 1
        except subprocess.TimeoutExpired as expired:
            print(
                f"benchmark stopped: {' '.join(map(str, expired.cmd[:3]))} ran over {args.timeout} s",
                file=sys.stderr,
            )
            return 1
        table, data = report(bench, counts, peak_mb, lint)
        print(table)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(data, indent=2) + "\n")
            progress(f"wrote {args.json}")
        return 0
    finally:
        if args.keep:
            progress(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

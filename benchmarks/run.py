"""Benchmark a build of workload L against `promtool check rules`, as DESIGN.md's performance budgets say.

Generates the workload into a temporary directory, then measures in this one invocation, wall-clock, the
median of N runs:

  build      `monitoring-dsl build specs --out OUT`, into a fresh output directory each run, with no
             .monitoring-dsl-cache (nothing compiled or learnt before: a fresh clone's first build)
  promtool   `promtool check rules OUT/prometheus/rules/*.yml`, the reference every ratio divides by
  rebuild    the same build again into the same OUT, nothing changed (served by the build cache)
  edit       one alert's threshold changed in one spec module, then the same build again: what a commit
             costs when .monitoring-dsl-cache is kept (a developer's checkout, or CI that keeps it)
  lint       `monitoring-dsl lint specs`, when `monitoring-dsl --help` lists a `lint` command, each run with no
             .monitoring-dsl-cache (it checks everything, as the first lint of a fresh clone does)
  relint     the same lint again, nothing changed (served by the lint cache); reported, with no budget
  edit-lint  one threshold changed, as for edit, then the same lint again
  memory     peak resident memory of a build, measured in a child process of its own (median of N)

It reports whether each budget is met; it does not assert them. The exit status is non-zero only when a
command fails (the build reports errors, promtool rejects the rules, ...).

    python benchmarks/run.py [--size L|S] [--scale F] [--repeat N] [--json FILE] [--keep]

`--json` writes, besides every run, the headline figures `build_ratio`, `lint_ratio`, `noop_ratio`,
`edit_ratio`, `edit_lint_ratio` and `relint_ratio` (medians divided by promtool's median in the same
invocation) and `peak_rss_mb`; `make bench` writes them to benchmarks/results/latest.json. The edit rows are
held to the budgets of build and lint, and reported beside them, not instead of them.

`--scaling` measures instead build, promtool and lint at several multiples of the workload (`--scales`,
default 0.1, 1 and 4 x L), each in a directory of its own, and prints per size the medians, the ratios to
promtool and the seconds per 1,000 rules: when cost grows linearly, that last figure stays flat. `make
bench-scaling` writes it to benchmarks/results/scaling.json.

    python benchmarks/run.py --scaling [--scales 0.1,1,4] [--repeat N] [--repeat-largest N] [--json FILE]

The code measured is the monitoring_dsl package of the checkout this file is in (its directory goes first on
PYTHONPATH), whichever checkout the interpreter's environment has installed. Its compiled modules are kept in
the workload directory, as Python keeps them beside an installed package, even where the environment sets
PYTHONDONTWRITEBYTECODE (see tool_environment): the first command compiles them, the others reuse them.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from workload import generate, label, scaled  # benchmarks/ is sys.path[0] when this file runs as a script

# The checkout this file is in: its monitoring_dsl package is the code measured, not whichever checkout the
# venv's console script was installed (editable) from.
ROOT = Path(__file__).resolve().parent.parent
# `monitoring-dsl ARGS` as the console script runs it; -P keeps the working directory off sys.path.
ENTRY = "import sys; from monitoring_dsl.cli import entry; sys.argv[0] = 'monitoring-dsl'; sys.exit(entry())"

# DESIGN.md, "Performance budgets": ratios to `promtool check rules` of the emitted rules, and a memory cap.
# A lint with nothing changed has no budget of its own; it is measured beside the rebuild's.
BUDGETS = {"build": 1.0, "rebuild": 0.1, "edit": 1.0, "lint": 0.5, "edit-lint": 0.5}
CACHE_DIR = ".monitoring-dsl-cache"  # monitoring_dsl.buildcache.CACHE_DIR, in the directory the commands run in
MEMORY_BUDGET_MB = 500.0
# The keys of the headline ratios in --json
NAMES = {"build": "build", "lint": "lint", "rebuild": "noop", "edit": "edit", "edit-lint": "edit_lint"}
# What an edit changes: the threshold of the first alert compared with a number in a spec module
EDITABLE = re.compile(r"(Alert\('[^']*', '[^'\n]*> )(\d+)(')")

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


def timed(
    command: Sequence[str], cwd: Path, timeout: float | None, env: dict[str, str] | None = None
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Wall-clock seconds of one run of `command`, and its result."""
    start = time.perf_counter()
    proc = subprocess.run(list(command), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    return time.perf_counter() - start, proc


def tool_environment(bytecode: Path | None = None) -> dict[str, str]:
    """This environment with the checkout first on PYTHONPATH, so that its monitoring_dsl is imported.

    With `bytecode` (a directory), Python keeps the compiled modules there (PYTHONPYCACHEPREFIX), as it does
    beside an installed package, even where the environment sets PYTHONDONTWRITEBYTECODE: this machine does,
    and then every run compiles the tool's own modules again (0.2-0.25 s a command, measured on a lint after
    an edit), a cost no user with a normal Python pays."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    if bytecode is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(bytecode)
    return env


def monitoring_dsl() -> list[str]:
    """The command that runs `monitoring-dsl` with this interpreter (run it with tool_environment())."""
    return [sys.executable, "-P", "-c", ENTRY]


def shown(command: Sequence[str] | str) -> str:
    """A command as a person would type it: `monitoring-dsl build ...`, the first few arguments."""
    words = [command] if isinstance(command, str) else [str(word) for word in command]
    tool = monitoring_dsl()
    if words[: len(tool)] == tool:
        words = ["monitoring-dsl", *words[len(tool) :]]
    return " ".join(words[:6]) + (" ..." if len(words) > 6 else "")


def measured_package(env: dict[str, str]) -> str:
    """The directory of the monitoring_dsl package that the measured commands import."""
    command = [sys.executable, "-P", "-c", "import monitoring_dsl; print(monitoring_dsl.__file__)"]
    proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"monitoring_dsl cannot be imported by {sys.executable}: {last_line(proc.stderr)}; run `make venv`")
    return str(Path(proc.stdout.strip()).parent)


def revision() -> str:
    """The checkout's commit, with `+changes` when its working tree differs from it."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False)
    if head.returncode != 0:
        return "unknown"
    status = subprocess.run(
        ["git", "status", "--porcelain", "--", "monitoring_dsl"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return head.stdout.strip() + ("+changes" if status.stdout.strip() else "")


def has_command(tool: Sequence[str], name: str, env: dict[str, str] | None = None) -> bool:
    """Whether `tool --help` lists the subcommand `name` under "Commands:"."""
    proc = subprocess.run([*tool, "--help"], env=env, capture_output=True, text=True, check=False)
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
        self.env = tool_environment(work / "bytecode")
        self.promtool = shutil.which("promtool") or "/usr/bin/promtool"
        self.runs: dict[str, list[float]] = {}
        self.notes: dict[str, str] = {}

    def run(self, what: str, command: Sequence[str], ok_codes: Sequence[int] = (0,)) -> float:
        seconds, proc = timed(command, self.work, self.timeout, self.env)
        if proc.returncode not in ok_codes:
            raise CommandFailed(what, command, proc)
        self.runs.setdefault(what, []).append(seconds)
        # lint prints its findings on stdout and its summary ("1000 infos in 6 files") on stderr
        summary = proc.stderr if what in ("lint", "relint", "edit-lint") else proc.stdout
        self.notes[what] = last_line(summary) or last_line(proc.stdout) or last_line(proc.stderr)
        progress(f"  {what} run {len(self.runs[what])}/{self.repeat}: {seconds:.3f} s")
        return seconds

    def median(self, what: str) -> float:
        return statistics.median(self.runs[what])

    def build(self, out: str) -> list[str]:
        return [*self.tool, "build", "specs", "--out", out]

    def builds_and_promtool(self) -> str:
        """Time the builds, each into a fresh output directory, then promtool on the last one's rule files;
        returns that output directory."""
        out = ""
        for index in range(self.repeat):
            out = f"out-{index}"
            shutil.rmtree(self.work / out, ignore_errors=True)
            shutil.rmtree(self.work / CACHE_DIR, ignore_errors=True)
            self.run("build", self.build(out))
        built = self.work / out
        rule_files = sorted(str(p.relative_to(self.work)) for p in (built / "prometheus" / "rules").rglob("*.y*ml"))
        if not rule_files:
            sys.exit(f"the build wrote no rule files under {built / 'prometheus' / 'rules'}")
        for _ in range(self.repeat):
            self.run("promtool", [self.promtool, "check", "rules", *rule_files])
        return out

    def lints(self, relint: bool = True) -> None:
        """Each lint starts with no .monitoring-dsl-cache (it checks everything, then records its caches, as a
        first lint in a fresh clone does); `relint` then lints again with nothing changed, served by the lint
        cache, and lints after editing one module."""
        lint = [*self.tool, "lint", "specs"]
        for _ in range(self.repeat):
            shutil.rmtree(self.work / CACHE_DIR, ignore_errors=True)
            self.run("lint", lint, ok_codes=(0, 1))  # 1: findings, still a run
        if relint:
            for _ in range(self.repeat):
                self.run("relint", lint, ok_codes=(0, 1))
            for _ in range(self.repeat):
                self.edit_one_module()
                self.run("edit-lint", lint, ok_codes=(0, 1))

    def edit_one_module(self) -> None:
        """Raise the threshold of the first alert in the first spec module that has one by 1: one query of the
        project changes, as in a typical commit."""
        for path in sorted((self.work / "specs").glob("*.py")):
            text = path.read_text()
            match = EDITABLE.search(text)
            if match:
                edited = f"{match.group(1)}{int(match.group(2)) + 1}{match.group(3)}"
                path.write_text(text[: match.start()] + edited + text[match.end() :])
                return
        sys.exit("no alert with a numeric threshold to edit in the workload's specs")

    def measure(self, lint: bool) -> tuple[Path, float, subprocess.CompletedProcess[str]]:
        """Run every measurement; returns the output directory, the median peak memory in MB, and the last
        memory run's result."""
        out = self.builds_and_promtool()
        built = self.work / out
        for _ in range(self.repeat):
            self.run("rebuild", self.build(out))
        for _ in range(self.repeat):
            self.edit_one_module()
            self.run("edit", self.build(out))
        if lint:
            self.lints()
        peaks = []
        proc = subprocess.CompletedProcess([], 0)
        for index in range(self.repeat):
            shutil.rmtree(self.work / "out-memory", ignore_errors=True)  # a fresh directory: a full build
            command = [sys.executable, "-c", MEMORY_WRAPPER, *self.build("out-memory")]
            _, proc = timed(command, self.work, self.timeout, self.env)
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
    labels = {
        "build": "build, fresh clone",
        "rebuild": "rebuild, nothing changed",
        "edit": "build after editing one module",
        "lint": "lint, fresh clone",
        "edit-lint": "lint after editing one module",
    }
    for what in ("build", "rebuild", "edit", "lint", "edit-lint"):
        if what in ("lint", "edit-lint") and not lint:
            rows.append((labels[what], "not available", "", f"<= {BUDGETS[what]}x", "n/a"))
            continue
        seconds = bench.median(what)
        ratio = seconds / reference
        ok = ratio <= BUDGETS[what]
        budgets[what] = {"seconds": seconds, "ratio": ratio, "budget_ratio": BUDGETS[what], "meets": ok}
        rows.append((labels[what], f"{seconds:.3f}", f"{ratio:.2f}x", f"<= {BUDGETS[what]}x", verdict(ok)))
    relint: dict[str, float] = {}
    if "relint" in bench.runs:  # no budget of its own: DESIGN.md's lint budget is for a lint that checks
        relint = {"seconds": bench.median("relint"), "ratio": bench.median("relint") / reference}
        rows.append(("lint, nothing changed", f"{relint['seconds']:.3f}", f"{relint['ratio']:.2f}x", "", ""))
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
    if lint:
        lines.append(f"lint said: {bench.notes.get('lint', '')}")
    ratios = {f"{name}_ratio": budgets[what]["ratio"] for what, name in NAMES.items() if what in budgets}
    data: dict[str, object] = {
        **ratios,
        **({"relint_ratio": relint["ratio"]} if relint else {}),
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
        "environment": environment(bench),
    }
    return "\n".join(lines), data


def environment(bench: Bench) -> dict[str, object]:
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "promtool": promtool_version(bench.promtool),
        "bytecode": "kept in the workload directory (PYTHONPYCACHEPREFIX), whatever PYTHONDONTWRITEBYTECODE says",
        "monitoring_dsl": measured_package(bench.env),
        "revision": revision(),
    }


# --- --scaling ----------------------------------------------------------------------------------------------

SCALES = (0.1, 1.0, 4.0)
SCALED = ("build", "promtool", "lint")  # what --scaling measures at each size


def measure_scale(
    work: Path, size: str, scale: float, repeat: int, timeout: float | None, lint: bool
) -> dict[str, object]:
    """Generate `scale` x `size` into `work` and time its builds, promtool and lints there."""
    name = label(size, scale)
    progress(f"generating workload {name} in {work}")
    counts = generate(work / "specs", size, scale)
    progress("  " + describe(counts))
    bench = Bench(work, repeat, timeout)
    bench.builds_and_promtool()
    if lint:
        bench.lints(relint=False)
    seconds = {what: bench.median(what) for what in SCALED if what in bench.runs}
    rules = int(counts["rules"])
    return {
        "scale": scale,
        "workload": counts,
        "repeat": repeat,
        "seconds": seconds,
        "ratio_to_promtool": {what: seconds[what] / seconds["promtool"] for what in seconds if what != "promtool"},
        "seconds_per_1000_rules": {what: value * 1000 / rules for what, value in seconds.items()},
        "runs": bench.runs,
        "notes": bench.notes,
    }


def scaling_report(points: list[dict[str, object]], lint: bool) -> str:
    """One row per workload and measurement, then how the seconds grew from each size to the next."""

    def get(point: dict[str, object], key: str, what: str) -> float:
        table = point[key]
        assert isinstance(table, dict)
        return float(table[what])

    measured = [what for what in SCALED if lint or what != "lint"]
    rows = [("workload", "rules", "measurement", "seconds", "x promtool", "s/1k rules", "marginal s/1k", "runs")]
    for point in points:
        counts = point["workload"]
        assert isinstance(counts, dict)
        for index, what in enumerate(measured):
            marginal = point["marginal_seconds_per_1000_rules"]
            rows.append(
                (
                    str(counts["size"]) if index == 0 else "",
                    f"{int(counts['rules']):,}" if index == 0 else "",
                    what,
                    f"{get(point, 'seconds', what):.3f}",
                    "1.00x" if what == "promtool" else f"{get(point, 'ratio_to_promtool', what):.2f}x",
                    f"{get(point, 'seconds_per_1000_rules', what):.3f}",
                    f"{get(point, 'marginal_seconds_per_1000_rules', what):.3f}" if marginal else "",
                    str(point["repeat"]),
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "wall-clock medians of `runs` runs; x promtool divides by promtool's median on the same workload;",
        "s/1k rules is seconds per 1,000 rules, marginal s/1k the extra seconds per 1,000 extra rules over the",
        "workload above (flat when cost grows linearly; the first workload carries the fixed start-up cost)",
        "",
    ]
    for index, row in enumerate(rows):
        cells = [row[0].ljust(widths[0]), row[1].rjust(widths[1]), row[2].ljust(widths[2])]
        cells += [cell.rjust(widths[i]) for i, cell in enumerate(row[3:], 3)]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append("")
    for before, after in itertools.pairwise(points):
        names = [str(point["workload"]["size"]) for point in (before, after)]  # type: ignore[index]
        span = get(after, "workload", "rules") / get(before, "workload", "rules")
        growth = ", ".join(
            f"{what} {get(after, 'seconds', what) / get(before, 'seconds', what):.1f}x" for what in measured
        )
        lines.append(f"{names[0]} -> {names[1]}: {span:.3g}x the rules, the seconds grow {growth}")
    if not lint:
        lines.append("lint: not available (`monitoring-dsl --help` lists no `lint` command)")
    for point in points:
        notes = point["notes"]
        assert isinstance(notes, dict)
        size = point["workload"]["size"]  # type: ignore[index]
        lines.append(
            f"{size}: build said: {notes.get('build', '')}" + (f"; lint said: {notes['lint']}" if lint else "")
        )
    return "\n".join(lines)


def add_marginal(points: list[dict[str, object]]) -> None:
    """Give each point the extra seconds per 1,000 extra rules over the point before it (None for the first)."""
    previous: dict[str, object] | None = None
    for point in points:
        marginal = None
        if previous is not None:
            rules = int(point["workload"]["rules"]) - int(previous["workload"]["rules"])  # type: ignore[index]
            seconds, before = point["seconds"], previous["seconds"]
            assert isinstance(seconds, dict) and isinstance(before, dict)
            marginal = {what: (seconds[what] - before[what]) * 1000 / rules for what in seconds}
        point["marginal_seconds_per_1000_rules"] = marginal
        previous = point


def run_scaling(args: argparse.Namespace, work: Path) -> dict[str, object]:
    probe = Bench(work, args.repeat, args.timeout)
    lint = has_command(probe.tool, "lint", probe.env)
    progress(f"measuring the monitoring_dsl in {measured_package(probe.env)}")
    points = []
    largest = max(args.scales)
    for scale in args.scales:
        repeat = args.repeat_largest if scale == largest and args.repeat_largest else args.repeat
        directory = work / f"scale-{label(args.size, scale)}"
        points.append(measure_scale(directory, args.size, scale, repeat, args.timeout, lint))
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)  # 4 x L writes hundreds of MB
    add_marginal(points)
    print(scaling_report(points, lint))
    return {
        "statistic": "median",
        "size": args.size,
        "scales": list(args.scales),
        "lint_available": lint,
        "scaling": points,
        "environment": environment(probe),
    }


def report_failure(failure: CommandFailed, work: Path) -> None:
    print(f"benchmark stopped: {failure.what} failed (exit {failure.proc.returncode})", file=sys.stderr)
    print(f"command: {shown(failure.command)}", file=sys.stderr)
    print(f"in: {work}", file=sys.stderr)
    if failure.proc.stdout:
        print(failure.proc.stdout[-5000:], file=sys.stderr)
    print(failure.proc.stderr[-20000:], file=sys.stderr)


def scales(text: str) -> tuple[float, ...]:
    try:
        values = tuple(sorted({float(part) for part in text.split(",") if part.strip()}))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of numbers: {text!r}") from None
    if not values or values[0] <= 0:
        raise argparse.ArgumentTypeError("scales must be positive numbers")
    return values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=["L", "S"], default="L", help="workload size (default: L; S is 1/20)")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="measure this multiple of the size's workload (default: 1)"
    )
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
    scaling = parser.add_argument_group("scaling", "build, promtool and lint at several multiples of the workload")
    scaling.add_argument("--scaling", action="store_true", help="measure how cost grows with the workload's size")
    scaling.add_argument(
        "--scales",
        type=scales,
        default=SCALES,
        metavar="F,F,...",
        help="the multiples of --size to measure (default: 0.1,1,4)",
    )
    scaling.add_argument(
        "--repeat-largest",
        type=int,
        default=None,
        metavar="N",
        help="runs per measurement at the largest scale (default: --repeat)",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1 or (args.repeat_largest is not None and args.repeat_largest < 1):
        parser.error("--repeat and --repeat-largest must be at least 1")
    try:
        for scale in args.scales if args.scaling else (args.scale,):
            scaled(args.size, scale)
    except ValueError as error:
        parser.error(str(error))

    work = Path(tempfile.mkdtemp(prefix="monitoring-dsl-bench-"))
    try:
        try:
            if args.scaling:
                data = run_scaling(args, work)
            else:
                name = label(args.size, args.scale)
                progress(f"generating workload {name} in {work}")
                counts = generate(work / "specs", args.size, args.scale)
                progress("  " + describe(counts))
                bench = Bench(work, args.repeat, args.timeout)
                lint = has_command(bench.tool, "lint", bench.env)
                progress(f"measuring the monitoring_dsl in {measured_package(bench.env)}")
                _, peak_mb, _ = bench.measure(lint)
                table, data = report(bench, counts, peak_mb, lint)
                print(table)
        except CommandFailed as failure:
            report_failure(failure, work)
            args.keep = True
            return 1
        except subprocess.TimeoutExpired as expired:
            print(f"benchmark stopped: {shown(expired.cmd)} ran over {args.timeout} s", file=sys.stderr)
            return 1
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

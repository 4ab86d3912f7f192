"""The command line: thin click commands over the compiler. Exit codes: 0 ok, 1 findings or stale, 2 failure."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
import time
import traceback
from pathlib import Path

import attrs
import click

from monitoring_dsl import _EARLY_SIGNALS, __version__, codes, interrupts
from monitoring_dsl.config import CODE_PREFIX_RE, Config, ConfigError, load_config
from monitoring_dsl.diagnostics import Diagnostic, Severity, has_errors
from monitoring_dsl.load.bytecode import CACHE_DIR
from monitoring_dsl.load.discovery import display_path
from monitoring_dsl.model.base import SourceLocation, nearest
from monitoring_dsl.render import FORMATS, render, render_sarif, summary
from monitoring_dsl.sources import Sources
from monitoring_dsl.writer import WriteError, stale_files, write_cache, write_tree

EXIT_OK, EXIT_FINDINGS, EXIT_FAILURE = 0, 1, 2
INCOMPLETE = {"E045"}  # an internal error: some object was not fully checked, so the run did not do its job


def _fail(diagnostics: list[Diagnostic], fmt: str, sources: Sources) -> None:
    click.echo(render(diagnostics, fmt, sources), err=True)
    click.echo(f"\n{summary(diagnostics)}; nothing was written", err=True)
    sys.exit(EXIT_FAILURE)


def _config(ctx: click.Context) -> Config:
    try:
        return load_config(Path.cwd())
    except OSError as error:  # unreadable (permissions, a FIFO, an I/O error)
        diagnostic = codes.CONFIG_INVALID(
            f"pyproject.toml cannot be read: {error.strerror or error}",
            SourceLocation("pyproject.toml", 1),
            help="make pyproject.toml a readable file, or run from another directory",
        )
        _fail([diagnostic], "text", Sources())
        raise AssertionError("unreachable") from None
    except ConfigError as error:
        diagnostic = codes.CONFIG_INVALID(error.message, SourceLocation(error.path, error.line), help=error.help)
        _fail([diagnostic], "text", Sources())
        raise AssertionError("unreachable") from None


# build and lint: how many processes share the checks (compiler.check_and_emit)
CHECK_JOBS = click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Processes that check (and emit) at once; the output is the same for any value "
    "(default: 2 for a large project on a machine with 2 cores or more, else 1).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="monitoring-dsl")
def main() -> None:
    """Monitoring as code: compile specs/*.py into dashboards, rules and the rest of the stack."""


@main.command()
@click.argument("specs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), help="Output directory (default: build/).")
@click.option("--check", "check_only", is_flag=True, help="Write nothing; exit 1 if the output is stale.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "concise"]),
    default="text",
    show_default=True,
    help="How to print diagnostics.",
)
@click.option("--debug", is_flag=True, help="Print tracebacks of specs that failed to import.")
@click.option(
    "--no-cache",
    is_flag=True,
    help="Load, check and emit even when no input changed since the last build (and record no cache).",
)
@CHECK_JOBS
@click.pass_context
def build(
    ctx: click.Context,
    specs: tuple[Path, ...],
    out: Path | None,
    check_only: bool,
    fmt: str,
    debug: bool,
    no_cache: bool,
    jobs: int | None,
) -> None:
    """Check SPECS (files or directories) and write everything they declare into the output directory.

    Errors stop the build and leave the previous output untouched; warnings are printed and do not. A build
    whose inputs (spec files, files they import or read, pyproject.toml, the tool itself) did not change since
    the last one prints what that one printed and writes nothing; --no-cache builds anyway.
    """
    from monitoring_dsl import buildcache

    config = _config(ctx)
    paths = list(specs) or list(config.specs)
    # absolute before any spec runs: a spec calling os.chdir() must not move the output
    out_dir = Path(os.path.abspath(out or config.out))
    use_cache = not no_cache and not check_only
    command = buildcache.command_key(paths, fmt, config.root)
    cache = buildcache.cache_file(config.root, out_dir)
    if use_cache:
        printed = buildcache.lookup(cache, out_dir, command, paths)
        if printed is not None:
            if printed["stderr"]:
                click.echo(printed["stderr"], err=True, nl=False)
            click.echo(printed["stdout"])
            return
    from monitoring_dsl.compiler import compile_specs

    sources = Sources()
    recorder = buildcache.Recorder()
    with recorder.recording():
        result = compile_specs(
            paths,
            config.root,
            sources,
            settings=config.settings,
            select=config.select,
            ignore=config.ignore,
            infos=False,  # build shows no info; `lint` runs those checks
            jobs=jobs,
            cache_dir=None if no_cache else config.root / CACHE_DIR,
        )
    inputs = buildcache.inputs(command, paths, recorder) if use_cache else None
    spec_text = _spec_output_text(result.spec_output)
    click.echo(spec_text, err=True, nl=False)
    if debug:
        for trace in result.tracebacks:
            click.echo(trace, err=True)
    # build shows what needs attention, failed or not; infos (an unused metric, say) are for `lint`
    shown = [d for d in result.diagnostics if d.severity.rank >= Severity.WARNING.rank]
    if has_errors(result.diagnostics) or result.artifacts is None:
        _fail(shown, fmt, sources)
        return
    shown_text = render(shown, fmt, sources) + "\n\n" if shown else ""
    click.echo(shown_text, err=True, nl=False)
    artifacts = result.artifacts
    if check_only:
        stale = stale_files(out_dir, artifacts)
        if stale:
            click.echo(f"{display_path(out_dir)} is stale; `monitoring-dsl build` would change:", err=True)
            for path in stale:
                click.echo(f"  {path}", err=True)
            sys.exit(EXIT_FINDINGS)
        click.echo(f"{display_path(out_dir)} is up to date ({_files(len(artifacts))})")
        return
    try:
        changed = write_tree(out_dir, artifacts)
    except WriteError as error:
        diagnostic = codes.OUTPUT_NOT_WRITABLE(error.message, help=error.help)
        _fail([*result.diagnostics, diagnostic], fmt, sources)
        return
    said = f"{_files(len(artifacts))} in {display_path(out_dir)} ({summary(shown)})"
    click.echo(f"{'wrote' if changed else 'unchanged,'} {said}")
    if inputs is not None:
        printed = {"stderr": spec_text + shown_text, "stdout": f"unchanged, {said}"}
        data = buildcache.record(out_dir, list(artifacts), inputs, printed)
        if data is not None:
            with contextlib.suppress(WriteError):  # the cache only saves time: a build that wrote succeeded
                write_cache(cache, data)


@main.command("test")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--require-tests", is_flag=True, help="Fail (exit 1) when an alert or record has no test.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="promtool runs at once (default: cores).")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "concise"]), default="text", show_default=True, help="Report style."
)
@click.pass_context
def test_command(ctx: click.Context, paths: tuple[Path, ...], require_tests: bool, jobs: int | None, fmt: str) -> None:
    """Run the rule tests of the specs, and promtool test files, on Prometheus's engine (`promtool test rules`).

    PATHS are spec directories or files (default: the specs of [tool.monitoring-dsl]) and promtool test
    files (or directories holding them). Exit 0 all pass, 1 a test failed (or, with --require-tests, a rule
    has no test), 2 promtool is missing or the specs have errors.
    """
    from monitoring_dsl.testrun import render_reported, run_tests

    started = time.monotonic()
    config = _config(ctx)
    sources = Sources()
    spec_paths = [p for p in paths if p.suffix == ".py" or (p.is_dir() and any(p.glob("*.py")))]
    plain_paths = [p for p in paths if p not in spec_paths]
    if not paths:
        spec_paths = list(config.specs)
    result = run_tests(
        spec_paths, plain_paths, config.root, config.settings, sources, jobs, config.select, config.ignore
    )
    if result.problems:
        click.echo(render(result.problems, fmt, sources), err=True)
        click.echo(f"\n{summary(result.problems)}; no test was run", err=True)
        sys.exit(EXIT_FAILURE)
    for item in result.reported:
        click.echo(render_reported(item, render([item.diagnostic], fmt, sources)) + "\n", err=True)
    untested = result.untested
    if untested:
        if require_tests:
            untested = [attrs.evolve(d, severity=Severity.ERROR) for d in untested]
        click.echo(render(untested, "concise", sources) + "\n", err=True)
    for path, passed in result.verdicts:  # the files the user named: promtool's verdict on each
        click.echo(f"{'PASS' if passed else 'FAIL'} {display_path(path)}")
    summary_line = f"{result.passed} of {_files(result.files)} passed"
    if result.coverage is not None:
        summary_line += f"; {result.coverage.line()}"
    click.echo(f"{summary_line} ({time.monotonic() - started:.1f}s)")
    if result.passed < result.files or (require_tests and untested):
        sys.exit(EXIT_FINDINGS)


def _spec_output_text(output: tuple[tuple[str, str], ...]) -> str:
    """What spec modules printed while they were imported (shown on stderr), each under the spec's path."""
    lines = []
    for path, text in output:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")  # lone surrogates, shown escaped
        lines.append(f"{path}: the spec printed while it was imported:")
        lines.extend(f"  | {line}" for line in text.rstrip("\n").split("\n"))
    return "".join(line + "\n" for line in lines)


def _files(count: int) -> str:
    return f"{count} file" if count == 1 else f"{count} files"


@main.command("up")
@click.option("--out", type=click.Path(path_type=Path), help="Output directory (default: build/).")
@click.option("--check", "check_only", is_flag=True, help="Start, wait until ready with rules loaded, stop, exit 0.")
@click.option("--timeout", type=float, default=30.0, show_default=True, help="Seconds to wait for readiness.")
@click.pass_context
def up_command(ctx: click.Context, out: Path | None, check_only: bool, timeout: float) -> None:
    """Build, then run Prometheus and Alertmanager from the build on 127.0.0.1 until Ctrl-C.

    The binaries come from PATH (`prometheus`, and `alertmanager` or Debian's `prometheus-alertmanager`); ports
    are free ones; their data lives in <out>/.run and is removed when they stop.
    """
    from monitoring_dsl.compiler import compile_specs
    from monitoring_dsl.up import UpError, running

    config = _config(ctx)
    out_dir = out or config.out
    sources = Sources()
    result = compile_specs(
        list(config.specs), config.root, sources, settings=config.settings, select=config.select, ignore=config.ignore
    )
    if has_errors(result.diagnostics) or result.artifacts is None or result.project is None:
        _fail(result.diagnostics, "text", sources)
        return
    try:
        write_tree(out_dir, result.artifacts)
    except WriteError as error:
        diagnostic = codes.OUTPUT_NOT_WRITABLE(error.message, help=error.help)
        _fail([diagnostic], "text", sources)
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # SIGTERM, and SIGINT even where the shell ignored it, stop the stack cleanly

    previous = {signum: signal.signal(signum, interrupt) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        with running(result.project, out_dir, timeout) as stack:
            for server in stack.servers:
                click.echo(f"{server.name:<13} {server.url}")
            rules = len(stack.expected_groups())
            if check_only:
                click.echo(f"ready: {len(stack.servers)} servers up, {rules} rule group(s) loaded; stopping")
            else:
                with contextlib.suppress(KeyboardInterrupt):
                    click.echo(f"ready ({rules} rule group(s) loaded); Ctrl-C stops both")
                    while True:
                        stack.check_alive()
                        time.sleep(0.5)
                click.echo("stopping")
            for signum in previous:  # a second Ctrl-C must not cut the shutdown short and leave a server running
                signal.signal(signum, signal.SIG_IGN)
    except KeyboardInterrupt:  # Ctrl-C before the servers were ready: they were stopped on the way out
        click.echo("interrupted; stopped", err=True)
        sys.exit(130)
    except UpError as error:
        diagnostic = codes.PIPELINE[error.code](error.message, help=error.help)
        click.echo(render([diagnostic], "text", sources), err=True)
        sys.exit(EXIT_FAILURE)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@main.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True, help="How to print findings."
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info"]),
    default=None,
    help="Exit 1 when a finding is at least this severe (default: warning, or fail_on in pyproject).",
)
@click.option("--select", "select", default=None, help="Comma-separated codes or prefixes to run (e.g. Q2,A301).")
@click.option("--ignore", "ignore", default=None, help="Comma-separated codes or prefixes to skip.")
@click.option(
    "--no-cache",
    is_flag=True,
    help="Check even when no input changed since the last lint with the same options (and record no cache).",
)
@CHECK_JOBS
@click.pass_context
def lint_command(
    ctx: click.Context,
    paths: tuple[Path, ...],
    fmt: str,
    fail_on: str | None,
    select: str | None,
    ignore: str | None,
    no_cache: bool,
    jobs: int | None,
) -> None:
    """Run every check over PATHS and report all findings; write nothing but its cache.

    PATHS are spec directories or files, Prometheus rule files (YAML with `groups:`) and Grafana dashboard
    JSON; a directory contributes its spec modules and every .yml/.yaml/.json below it. Default: the specs of
    [tool.monitoring-dsl]. Exit 0 clean, 1 findings at or above --fail-on, 2 nothing could be checked or
    a check failed on some object (E045: the run is incomplete). A lint whose inputs (the files it read,
    pyproject.toml, the tool itself) did not change since the last one with the same options prints what
    that one printed and exits as it did; --no-cache checks anyway.
    """
    from monitoring_dsl import buildcache

    config = _config(ctx)
    chosen = _codes(select, config.select, "--select")
    skipped = _codes(ignore, config.ignore, "--ignore")
    threshold = Severity(fail_on or config.fail_on)
    given = list(paths) or list(config.specs)
    command = {
        **buildcache.command_key(given, fmt, config.root),
        "lint": {"select": list(chosen), "ignore": list(skipped), "fail_on": threshold.value, "out": str(config.out)},
    }
    cache = buildcache.lint_cache_file(config.root, command)
    if not no_cache:
        printed = buildcache.lookup(cache, None, command, ())
        if printed is not None and _replay(printed):
            sys.exit(printed["exit"])
    recorder = buildcache.Recorder()
    with recorder.recording():
        cache_dir = None if no_cache else config.root / CACHE_DIR
        said, code = _lint(config, given, fmt, chosen, skipped, threshold, jobs, cache_dir)
    for to_stderr, text in said:
        click.echo(text, err=to_stderr, nl=False)
    if not no_cache:
        inputs = buildcache.inputs(command, (), recorder)
        if inputs is not None:
            data = buildcache.record_lint(inputs, {"said": said, "exit": code})
            with contextlib.suppress(WriteError):  # the cache only saves time: a read-only checkout still lints
                write_cache(cache, data)
    sys.exit(code)


def _lint(
    config: Config,
    paths: list[Path],
    fmt: str,
    chosen: tuple[str, ...],
    skipped: tuple[str, ...],
    threshold: Severity,
    jobs: int | None,
    cache_dir: Path | None,
) -> tuple[list[tuple[bool, str]], int]:
    """What `lint` prints, in order, as (on stderr?, text), and its exit code."""
    from monitoring_dsl.checks import selected
    from monitoring_dsl.compiler import lint

    sources = Sources()
    result = lint(
        paths,
        config.root,
        sources,
        config.settings,
        chosen,
        skipped,
        skip=[config.out],
        jobs=jobs,
        cache_dir=cache_dir,
    )
    diagnostics = [d for d in result.diagnostics if selected(d.code, chosen, skipped)]
    said = [(True, _spec_output_text(result.spec_output))]  # on stderr: never mixed into json or sarif
    if fmt == "sarif":
        said.append((False, render_sarif(diagnostics, _rule_table(), __version__) + "\n"))
    elif fmt == "json" or diagnostics:
        said.append((False, render(diagnostics, fmt, sources) + "\n"))
    if fmt in ("text", "concise"):
        said.append((True, ("\n" if diagnostics else "") + f"{summary(diagnostics)} in {_files(result.checked)}\n"))
    if result.checked == 0 or any(d.code in INCOMPLETE for d in diagnostics):
        return said, EXIT_FAILURE
    if any(d.severity.rank >= threshold.rank for d in diagnostics):
        return said, EXIT_FINDINGS
    return said, EXIT_OK


def _replay(printed: dict[str, object]) -> bool:
    """Print what a cached lint printed; False (printing nothing) when the record is not one lint wrote."""
    said = printed.get("said")
    if not isinstance(printed.get("exit"), int) or not isinstance(said, list):
        return False
    if not all(isinstance(item, list) and len(item) == 2 and isinstance(item[1], str) for item in said):
        return False
    for to_stderr, text in said:
        click.echo(text, err=bool(to_stderr), nl=False)
    return True


def _codes(option: str | None, configured: tuple[str, ...], flag: str) -> tuple[str, ...]:
    if option is None:
        return configured
    codes = tuple(code.strip().upper() for code in option.split(",") if code.strip())
    for code in codes:
        if not CODE_PREFIX_RE.match(code):
            raise click.BadParameter(f"{code!r} is not a check code or prefix such as Q201 or Q2", param_hint=flag)
    return codes


def _rule_table() -> dict[str, tuple[str, Severity, str, str]]:
    from monitoring_dsl.checks import REGISTRY

    return {code: (info.name, info.severity, info.summary, info.doc) for code, info in REGISTRY.items()}


@main.command("diff")
@click.argument("base", required=False, default="HEAD")
@click.argument("head", required=False, default=".")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="text for a terminal, markdown for a pull-request comment, json for tools.",
)
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write the change list to this file too.")
def diff_command(base: str, head: str, fmt: str, output: Path | None) -> None:
    """What changes from BASE to HEAD: dashboards, rows, panels, alerts, records and routing.

    Each side is an output directory (e.g. build/), a git revision of the specs (built in a temporary
    directory), or `.` for the specs on disk. Default: HEAD against the working tree.
    """
    from monitoring_dsl.review.diff import diff_snapshots
    from monitoring_dsl.review.diff_render import render_changes
    from monitoring_dsl.review.revisions import SideError, resolve_side
    from monitoring_dsl.review.snapshot import read_snapshot

    root = Path.cwd()
    sides = []
    for side in (base, head):
        try:
            sides.append(resolve_side(side, root))
        except SideError as error:
            diagnostic = codes.DIFF_SIDE_UNUSABLE(error.message, help=error.help)
            _fail([*error.diagnostics, diagnostic], "text", Sources())
    changes = diff_snapshots(read_snapshot(sides[0][1]), read_snapshot(sides[1][1]))
    text = render_changes(changes, fmt)
    if output is not None:
        output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    click.echo(text)
    if fmt == "text":
        click.echo(f"(from {sides[0][0]} to {sides[1][0]})", err=True)


@main.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out", type=click.Path(path_type=Path), default=Path("specs"), show_default=True, help="Spec directory."
)
@click.option("--force", is_flag=True, help="Overwrite spec modules of the same name.")
def import_command(paths: tuple[Path, ...], out: Path, force: bool) -> None:
    """Turn Grafana dashboard JSON and Prometheus rule files (PATHS: files or directories) into spec modules.

    Each file becomes a module; the metrics the queries read go into catalog.py, inferred and marked so.
    """
    from monitoring_dsl.review.import_specs import import_counts, import_paths

    result = import_paths(list(paths))
    sources = Sources()
    problems = list(result.diagnostics)
    clashes = sorted(name for name in result.files if (out / name).exists())
    if clashes and not force:
        problems.append(
            codes.IMPORT_WOULD_OVERWRITE(
                f"{display_path(out)} already has {', '.join(clashes)}",
                help="pass --force to replace them, or import into another directory with --out",
            )
        )
    if has_errors(problems) and ((clashes and not force) or not result.files):
        _fail(problems, "text", sources)
    if problems:
        click.echo(render(problems, "text", sources) + "\n", err=True)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in sorted(result.files.items()):
        (out / name).write_text(text, encoding="utf-8")
    counts = import_counts(result)
    click.echo(f"wrote {_files(len(result.files))} in {display_path(out)} ({counts}); `monitoring-dsl lint` next")


@main.command("preview")
@click.argument("specs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=Path("preview"), show_default=True, help="Where.")
@click.option("--prometheus", "prometheus_url", default=None, help="Draw each query's data from this Prometheus.")
@click.option("--timeout", type=click.FloatRange(min=0.5), default=10.0, show_default=True, help="Seconds per query.")
def preview_command(specs: tuple[Path, ...], out: Path, prometheus_url: str | None, timeout: float) -> None:
    """Write a static HTML page per dashboard (and index.html) drawn on Grafana's 24-column grid.

    The pages need no network: open OUT/index.html in a browser, or upload OUT as a CI artefact.
    """
    from monitoring_dsl.compiler import compile_specs
    from monitoring_dsl.review.live import fetch_series
    from monitoring_dsl.review.preview import dashboards, preview_pages
    from monitoring_dsl.verify.api import PrometheusAPI, Unreachable

    config = _config(click.get_current_context())
    sources = Sources()
    result = compile_specs(
        list(specs) or list(config.specs),
        config.root,
        sources,
        settings=config.settings,
        select=config.select,
        ignore=config.ignore,
    )
    shown = [d for d in result.diagnostics if d.severity.rank >= Severity.WARNING.rank]
    if has_errors(result.diagnostics) or result.artifacts is None:
        _fail(shown, "text", sources)
        return
    live = None
    if prometheus_url is not None:
        try:
            live, failed = fetch_series(dashboards(result.artifacts), PrometheusAPI(prometheus_url, timeout))
        except Unreachable as error:
            help = "start Prometheus, check the URL (e.g. http://127.0.0.1:9090), or preview without --prometheus"
            _fail(
                [codes.PREVIEW_PROMETHEUS_UNREACHABLE(str(error), help=help)],
                "text",
                sources,
            )
            return
        for problem in failed:
            click.echo(f"query failed: {problem}", err=True)
    pages = preview_pages(result.artifacts, live)
    try:
        write_tree(out, pages)
    except WriteError as error:
        diagnostic = codes.OUTPUT_NOT_WRITABLE(error.message, help=error.help)
        _fail([diagnostic], "text", sources)
    click.echo(
        f"wrote {len(pages) - 1} dashboard previews in {display_path(out)}; open {display_path(out / 'index.html')}"
    )


@main.command("checks")
def checks_command() -> None:
    """List every check: code, name, default severity and what it finds."""
    from monitoring_dsl.checks import REGISTRY

    for code, info in sorted(REGISTRY.items()):
        click.echo(f"{code}  {info.name:<28} {info.severity.value:<8} {info.summary}")


@main.command("explain")
@click.argument("code")
def explain_command(code: str) -> None:
    """Print the documentation of check CODE (e.g. Q210)."""
    from monitoring_dsl.checks import REGISTRY
    from monitoring_dsl.checks.docs import page

    info = REGISTRY.get(code.upper())
    if info is None:
        hint = nearest(code.upper(), REGISTRY)
        click.echo(f"unknown check code {code!r}" + (f"; did you mean {hint}?" if hint else ""), err=True)
        click.echo("`monitoring-dsl checks` lists them all", err=True)
        sys.exit(EXIT_FAILURE)
    click.echo(page(info), nl=False)


@main.command("verify")
@click.argument("specs", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--prometheus", "url", required=True, metavar="URL", help="Prometheus to query, e.g. http://127.0.0.1:9090"
)
@click.option("--timeout", type=click.FloatRange(min=0.5), default=10.0, show_default=True, help="Seconds per query.")
@click.option(
    "--concurrency", type=click.IntRange(min=1, max=32), default=4, show_default=True, help="Queries in flight at once."
)
@click.option(
    "--scrape-interval",
    default=None,
    help="The datasource's scrape interval for $__rate_interval (default: scrape_interval in pyproject).",
)
@click.option("--job", default=None, help="Scrape job of the service, for the declared/exposed series lists.")
@click.option(
    "--allow",
    multiple=True,
    metavar="NAME",
    help="Accept problems of this dashboard uid, panel title, rule name or $variable (repeatable).",
)
@click.option("--allow-empty", is_flag=True, help="Report empty queries without failing.")
@click.option("--quiet", is_flag=True, help="Print only the problems and the summary.")
@click.pass_context
def verify_command(
    ctx: click.Context,
    specs: tuple[Path, ...],
    url: str,
    timeout: float,
    concurrency: int,
    scrape_interval: str | None,
    job: str | None,
    allow: tuple[str, ...],
    allow_empty: bool,
    quiet: bool,
) -> None:
    """Run every panel, variable and rule query of SPECS against a live Prometheus.

    Each query is reported at its spec line as ok, empty (with the selector or label at fault when it can be
    told) or failing. Exit 0 all ok, 1 something empty or failing (unless allowed), 2 could not verify.
    """
    from monitoring_dsl.compiler import compile_specs
    from monitoring_dsl.model.rules import parse_duration
    from monitoring_dsl.verify import Options, PrometheusAPI, Unreachable, verify
    from monitoring_dsl.verify.report import render_report

    config = _config(ctx)
    sources = Sources()
    result = compile_specs(
        list(specs) or list(config.specs), config.root, sources, emit=False, settings=config.settings, select=("E",)
    )
    if has_errors(result.diagnostics) or result.project is None:
        errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
        click.echo(render(errors, "text", sources), err=True)
        click.echo(f"\n{summary(errors)}; nothing was verified", err=True)
        sys.exit(EXIT_FAILURE)
    interval = parse_duration(scrape_interval) if scrape_interval else config.settings.scrape_interval_seconds
    if not interval:
        raise click.BadParameter(f"{scrape_interval!r} is not a duration such as '15s'", param_hint="--scrape-interval")
    options = Options(
        scrape_interval=interval, concurrency=concurrency, allow=frozenset(allow), allow_empty=allow_empty, job=job
    )
    try:
        report = verify(result.project, PrometheusAPI(url, timeout=timeout), options)
    except Unreachable as error:
        click.echo(f"monitoring-dsl verify: {error}", err=True)
        sys.exit(EXIT_FAILURE)

    def where(location: SourceLocation | None) -> str:
        return f"{display_path(Path(location.path))}:{location.line}" if location is not None else "<built in>"

    click.echo(render_report(report, where, show_ok=not quiet))
    if report.problems(allow_empty):
        sys.exit(EXIT_FINDINGS)


EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C


def entry() -> None:
    """The console script: the click group, with an unexpected exception reported as a bug and exit 2.

    Ctrl-C and SIGTERM unwind normally (the writer removes its temporary file; the output directory holds
    every file old or new) and exit 130 and 143.
    """
    try:
        _entry()
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else EXIT_FAILURE)
    else:
        code = EXIT_OK
    # The work is done and its exit code decided: a signal from now on must not turn it into a death by
    # signal while the interpreter tears down (which restores the default handlers), and a thread a spec left
    # running (reported as E001) must not keep the process waiting forever.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def _entry() -> None:
    interrupts.install()
    for stream in (sys.stdout, sys.stderr):  # a lone surrogate in a title or query is shown as \udXXX
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    try:
        if _EARLY_SIGNALS:  # arrived while the pipeline was being imported
            raise interrupts.Interrupted(_EARLY_SIGNALS[0])
        code = main(standalone_mode=False)  # returns the exit code of --help and --version
        sys.exit(code if isinstance(code, int) else EXIT_OK)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except interrupts.Interrupted as stop:
        _interrupted("interrupted" if stop.signum == signal.SIGINT else "terminated", stop.exit_code)
    except (KeyboardInterrupt, click.exceptions.Abort):
        _interrupted("interrupted", EXIT_INTERRUPTED)
    except Exception as error:  # anything click did not handle is a bug in monitoring-dsl
        traceback.print_exc()
        click.echo(
            f"monitoring-dsl: internal error ({type(error).__name__}: {error}). This is a bug in monitoring-dsl; "
            "please report it with the traceback above.",
            err=True,
        )
        sys.exit(EXIT_FAILURE)


def _interrupted(what: str, code: int) -> None:
    """Report an interruption and exit with `code`, even if a second signal arrives while reporting it."""
    interrupts.ignore()
    with contextlib.suppress(OSError):
        click.echo(f"\nmonitoring-dsl: {what}", err=True)
    sys.exit(code)


if __name__ == "__main__":
    entry()

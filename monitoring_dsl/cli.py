"""The command line: thin click commands over the compiler. Exit codes: 0 ok, 1 findings or stale, 2 failure."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
import traceback
from pathlib import Path

import click

from monitoring_dsl import _EARLY_SIGNALS, __version__, interrupts
from monitoring_dsl.checks import REGISTRY, selected
from monitoring_dsl.checks.docs import page
from monitoring_dsl.compiler import compile_specs, lint
from monitoring_dsl.config import CODE_PREFIX_RE, Config, ConfigError, load_config
from monitoring_dsl.diagnostics import Diagnostic, Severity, has_errors
from monitoring_dsl.loader import display_path
from monitoring_dsl.model.base import SourceLocation, nearest
from monitoring_dsl.render import FORMATS, render, render_sarif, summary
from monitoring_dsl.sources import Sources
from monitoring_dsl.writer import WriteError, stale_files, write_tree

EXIT_OK, EXIT_FINDINGS, EXIT_FAILURE = 0, 1, 2


def _fail(diagnostics: list[Diagnostic], fmt: str, sources: Sources) -> None:
    click.echo(render(diagnostics, fmt, sources), err=True)
    click.echo(f"\n{summary(diagnostics)}; nothing was written", err=True)
    sys.exit(EXIT_FAILURE)


def _config(ctx: click.Context) -> Config:
    try:
        return load_config(Path.cwd())
    except OSError as error:  # unreadable (permissions, a FIFO, an I/O error)
        diagnostic = Diagnostic(
            "E007",
            "config-invalid",
            Severity.ERROR,
            f"pyproject.toml cannot be read: {error.strerror or error}",
            SourceLocation("pyproject.toml", 1),
            help="make pyproject.toml a readable file, or run from another directory",
        )
        _fail([diagnostic], "text", Sources())
        raise AssertionError("unreachable") from None
    except ConfigError as error:
        diagnostic = Diagnostic(
            "E007",
            "config-invalid",
            Severity.ERROR,
            error.message,
            SourceLocation(error.path, 1),
            help=error.help,
        )
        _fail([diagnostic], "text", Sources())
        raise AssertionError("unreachable") from None


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
@click.pass_context
def build(
    ctx: click.Context, specs: tuple[Path, ...], out: Path | None, check_only: bool, fmt: str, debug: bool
) -> None:
    """Check SPECS (files or directories) and write everything they declare into the output directory.

    Errors stop the build and leave the previous output untouched; warnings are printed and do not.
    """
    config = _config(ctx)
    paths = list(specs) or list(config.specs)
    # absolute before any spec runs: a spec calling os.chdir() must not move the output
    out_dir = Path(os.path.abspath(out or config.out))
    sources = Sources()
    result = compile_specs(
        paths, config.root, sources, settings=config.settings, select=config.select, ignore=config.ignore
    )
    _show_spec_output(result.spec_output)
    if debug:
        for trace in result.tracebacks:
            click.echo(trace, err=True)
    if has_errors(result.diagnostics) or result.artifacts is None:
        _fail(result.diagnostics, fmt, sources)
        return
    # build shows what needs attention; infos (an unused metric, say) are for `lint`
    shown = [d for d in result.diagnostics if d.severity.rank >= Severity.WARNING.rank]
    if shown:
        click.echo(render(shown, fmt, sources) + "\n", err=True)
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
        diagnostic = Diagnostic("E006", "output-not-writable", Severity.ERROR, error.message, None, help=error.help)
        _fail([*result.diagnostics, diagnostic], fmt, sources)
        return
    state = "wrote" if changed else "unchanged,"
    click.echo(f"{state} {_files(len(artifacts))} in {display_path(out_dir)} ({summary(shown)})")


def _show_spec_output(output: tuple[tuple[str, str], ...]) -> None:
    """What spec modules printed while they were imported, on stderr, each under the spec's path."""
    for path, text in output:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")  # lone surrogates, shown escaped
        click.echo(f"{path}: the spec printed while it was imported:", err=True)
        for line in text.rstrip("\n").split("\n"):
            click.echo(f"  | {line}", err=True)


def _files(count: int) -> str:
    return f"{count} file" if count == 1 else f"{count} files"


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
@click.pass_context
def lint_command(
    ctx: click.Context, paths: tuple[Path, ...], fmt: str, fail_on: str | None, select: str | None, ignore: str | None
) -> None:
    """Run every check over PATHS and report all findings; write nothing.

    PATHS are spec directories or files, Prometheus rule files (YAML with `groups:`) and Grafana dashboard
    JSON; a directory contributes its spec modules and every .yml/.yaml/.json below it. Default: the specs of
    [tool.monitoring-dsl]. Exit 0 clean, 1 findings at or above --fail-on, 2 nothing could be checked.
    """
    config = _config(ctx)
    chosen = _codes(select, config.select, "--select")
    skipped = _codes(ignore, config.ignore, "--ignore")
    threshold = Severity(fail_on or config.fail_on)
    sources = Sources()
    result = lint(
        list(paths) or list(config.specs), config.root, sources, config.settings, chosen, skipped, skip=[config.out]
    )
    diagnostics = [d for d in result.diagnostics if selected(d.code, chosen, skipped)]
    _show_spec_output(result.spec_output)  # on stderr: never mixed into json or sarif
    if fmt == "sarif":
        click.echo(render_sarif(diagnostics, _rule_table(), __version__))
    elif fmt == "json" or diagnostics:
        click.echo(render(diagnostics, fmt, sources))
    if fmt in ("text", "concise"):
        click.echo(("\n" if diagnostics else "") + f"{summary(diagnostics)} in {_files(result.checked)}", err=True)
    if result.checked == 0:
        sys.exit(EXIT_FAILURE)
    if any(d.severity.rank >= threshold.rank for d in diagnostics):
        sys.exit(EXIT_FINDINGS)


def _codes(option: str | None, configured: tuple[str, ...], flag: str) -> tuple[str, ...]:
    if option is None:
        return configured
    codes = tuple(code.strip().upper() for code in option.split(",") if code.strip())
    for code in codes:
        if not CODE_PREFIX_RE.match(code):
            raise click.BadParameter(f"{code!r} is not a check code or prefix such as Q201 or Q2", param_hint=flag)
    return codes


def _rule_table() -> dict[str, tuple[str, Severity, str, str]]:
    return {code: (info.name, info.severity, info.summary, info.doc) for code, info in REGISTRY.items()}


@main.command("checks")
def checks_command() -> None:
    """List every check: code, name, default severity and what it finds."""
    for code, info in sorted(REGISTRY.items()):
        click.echo(f"{code}  {info.name:<28} {info.severity.value:<8} {info.summary}")


@main.command("explain")
@click.argument("code")
def explain_command(code: str) -> None:
    """Print the documentation of check CODE (e.g. Q210)."""
    info = REGISTRY.get(code.upper())
    if info is None:
        hint = nearest(code.upper(), REGISTRY)
        click.echo(f"unknown check code {code!r}" + (f"; did you mean {hint}?" if hint else ""), err=True)
        click.echo("`monitoring-dsl checks` lists them all", err=True)
        sys.exit(EXIT_FAILURE)
    click.echo(page(info), nl=False)


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

"""The command line: thin click commands over the compiler. Exit codes: 0 ok, 1 findings or stale, 2 failure."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from monitoring_dsl import __version__
from monitoring_dsl.compiler import compile_specs
from monitoring_dsl.config import Config, ConfigError, load_config
from monitoring_dsl.diagnostics import Diagnostic, Severity, has_errors
from monitoring_dsl.loader import display_path
from monitoring_dsl.model.base import SourceLocation
from monitoring_dsl.render import render, summary
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
    out_dir = out or config.out
    sources = Sources()
    result = compile_specs(paths, config.root, sources)
    if debug:
        for trace in result.tracebacks:
            click.echo(trace, err=True)
    if has_errors(result.diagnostics) or result.artifacts is None:
        _fail(result.diagnostics, fmt, sources)
        return
    if result.diagnostics:
        click.echo(render(result.diagnostics, fmt, sources) + "\n", err=True)
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
    click.echo(f"{state} {_files(len(artifacts))} in {display_path(out_dir)} ({summary(result.diagnostics)})")


def _files(count: int) -> str:
    return f"{count} file" if count == 1 else f"{count} files"


if __name__ == "__main__":
    main()

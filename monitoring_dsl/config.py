"""Project settings from `[tool.monitoring-dsl]` in `pyproject.toml`, with defaults for a bare directory."""

from __future__ import annotations

import tomllib
from pathlib import Path

import attrs

from monitoring_dsl.model.base import nearest


class ConfigError(Exception):
    """`[tool.monitoring-dsl]` is malformed; `help` says how to fix it."""

    def __init__(self, message: str, path: str, help: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.help = help


@attrs.frozen
class Config:
    root: Path
    specs: tuple[Path, ...]
    out: Path


KEYS = {"specs": "a list of directories or files", "out": "a directory"}


def load_config(root: Path) -> Config:
    """Settings for the project at `root`; paths in the file are relative to it."""
    pyproject = root / "pyproject.toml"
    table: dict[str, object] = {}
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ConfigError(f"pyproject.toml is not valid TOML: {error}", "pyproject.toml") from None
        section = data.get("tool", {}).get("monitoring-dsl", {})
        if not isinstance(section, dict):
            raise ConfigError("[tool.monitoring-dsl] must be a table", "pyproject.toml")
        table = section
    for key in table:
        if key not in KEYS:
            hint = nearest(key, KEYS)
            raise ConfigError(
                f"unknown key {key!r} in [tool.monitoring-dsl]" + (f"; did you mean {hint!r}?" if hint else ""),
                "pyproject.toml",
                help="known keys: " + ", ".join(f"{k} ({v})" for k, v in KEYS.items()),
            )
    specs = table.get("specs", ["specs"])
    if isinstance(specs, str):
        specs = [specs]
    if not isinstance(specs, list) or not all(isinstance(s, str) for s in specs):
        raise ConfigError(f"[tool.monitoring-dsl] 'specs' must be {KEYS['specs']} (got {specs!r})", "pyproject.toml")
    out = table.get("out", "build")
    if not isinstance(out, str) or not out:
        raise ConfigError(f"[tool.monitoring-dsl] 'out' must be {KEYS['out']} (got {out!r})", "pyproject.toml")
    return Config(root, tuple(root / s for s in specs), root / out)

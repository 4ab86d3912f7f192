"""Project settings from `[tool.monitoring-dsl]` in `pyproject.toml`, with defaults for a bare directory."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import attrs

from monitoring_dsl.model.base import nearest
from monitoring_dsl.model.rules import parse_duration
from monitoring_dsl.model.settings import Settings


class ConfigError(Exception):
    """`[tool.monitoring-dsl]` is malformed; `help` says how to fix it."""

    def __init__(self, message: str, path: str, help: str | None = None, key: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.help = help
        self.key = key  # the key of the table that is wrong, if one is
        self.line = 1  # its line in pyproject.toml, set by load_config


@attrs.frozen
class Config:
    root: Path
    specs: tuple[Path, ...]
    out: Path
    settings: Settings = attrs.field(factory=Settings)
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: str = "warning"


KEYS = {
    "specs": "a list of directories or files",
    "out": "a directory",
    "scrape_interval": "a Prometheus duration such as '15s' (Prometheus's default is '1m')",
    "evaluation_interval": "a Prometheus duration such as '30s' (Prometheus's default is '1m')",
    "prometheus_version": "the target Prometheus version as 'MAJOR.MINOR', e.g. '2.42'",
    "select": "a list of check codes or code prefixes to run",
    "ignore": "a list of check codes or code prefixes to skip",
    "fail_on": "'error', 'warning' or 'info'",
    "target_labels": "a list of label names that service discovery or relabelling attach to every series",
    "external_labels": "a list of label names that Prometheus's external_labels add (e.g. cluster, region)",
}
LABEL_NAME_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


def load_config(root: Path) -> Config:
    """Settings for the project at `root`; paths in the file are relative to it.

    A wrong key or value is reported at the line of that key in pyproject.toml."""
    pyproject = root / "pyproject.toml"
    text = ""
    table: dict[str, object] = {}
    if pyproject.is_file():
        try:
            text = pyproject.read_text(encoding="utf-8")
            data = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ConfigError(f"pyproject.toml is not valid TOML: {error}", "pyproject.toml") from None
        section = data.get("tool", {}).get("monitoring-dsl", {})
        if not isinstance(section, dict):
            raise ConfigError("[tool.monitoring-dsl] must be a table", "pyproject.toml")
        table = section
    try:
        return _from_table(root, table)
    except ConfigError as error:
        if error.key is not None:
            error.line = key_line(text, error.key)
        raise


def _from_table(root: Path, table: dict[str, object]) -> Config:
    for key in table:
        if key not in KEYS:
            hint = nearest(key, KEYS)
            raise ConfigError(
                f"unknown key {key!r} in [tool.monitoring-dsl]" + (f"; did you mean {hint!r}?" if hint else ""),
                "pyproject.toml",
                help="known keys: " + ", ".join(f"{k} ({v})" for k, v in KEYS.items()),
                key=key,
            )
    specs = table.get("specs", ["specs"])
    if isinstance(specs, str):
        specs = [specs]
    if not isinstance(specs, list) or not all(isinstance(s, str) for s in specs):
        raise ConfigError(
            f"[tool.monitoring-dsl] 'specs' must be {KEYS['specs']} (got {specs!r})", "pyproject.toml", key="specs"
        )
    out = table.get("out", "build")
    if not isinstance(out, str) or not out:
        raise ConfigError(
            f"[tool.monitoring-dsl] 'out' must be {KEYS['out']} (got {out!r})", "pyproject.toml", key="out"
        )
    settings = Settings(
        scrape_interval=_duration(table, "scrape_interval", "1m"),
        evaluation_interval=_duration(table, "evaluation_interval", "1m"),
        prometheus_version=_version(table),
        target_labels=_labels(table, "target_labels"),
        external_labels=_labels(table, "external_labels"),
    )
    fail_on = table.get("fail_on", "warning")
    if fail_on not in ("error", "warning", "info"):
        raise ConfigError(
            f"[tool.monitoring-dsl] 'fail_on' must be {KEYS['fail_on']} (got {fail_on!r})",
            "pyproject.toml",
            key="fail_on",
        )
    return Config(
        root,
        tuple(root / s for s in specs),
        root / out,
        settings,
        _codes(table, "select"),
        _codes(table, "ignore"),
        str(fail_on),
    )


def _duration(table: dict[str, object], key: str, default: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or not parse_duration(value):
        raise ConfigError(
            f"[tool.monitoring-dsl] {key!r} must be {KEYS[key]} (got {value!r})", "pyproject.toml", key=key
        )
    return value


def _version(table: dict[str, object]) -> str:
    value = table.get("prometheus_version", "2.42")
    if not isinstance(value, str) or not re.fullmatch(r"\d+\.\d+(\.\d+)?", value):
        raise ConfigError(
            f"[tool.monitoring-dsl] 'prometheus_version' must be {KEYS['prometheus_version']} (got {value!r})",
            "pyproject.toml",
            key="prometheus_version",
        )
    return value


def _codes(table: dict[str, object], key: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and CODE_PREFIX_RE.match(v) for v in value):
        raise ConfigError(
            f"[tool.monitoring-dsl] {key!r} must be {KEYS[key]} (got {value!r})",
            "pyproject.toml",
            help="codes look like 'Q201'; a prefix such as 'Q2' or 'D' selects a family",
            key=key,
        )
    return tuple(value)


CODE_PREFIX_RE = re.compile(r"^[EMQARDS]\d{0,3}$")


def key_line(text: str, key: str) -> int:
    """The line of `key = ...` in the `[tool.monitoring-dsl]` table of pyproject.toml `text` (1 when not found)."""
    in_table = False
    pattern = re.compile(rf"""^\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*=""")
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_table = stripped.split("#", 1)[0].strip() in ("[tool.monitoring-dsl]", '[tool."monitoring-dsl"]')
        elif in_table and pattern.match(line):
            return number
    return 1


def _labels(table: dict[str, object], key: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and LABEL_NAME_RE.match(v) for v in value):
        raise ConfigError(
            f"[tool.monitoring-dsl] {key!r} must be {KEYS[key]} (got {value!r})",
            "pyproject.toml",
            help='label names are identifiers, e.g. ["namespace", "pod"]',
            key=key,
        )
    return tuple(dict.fromkeys(str(v) for v in value))

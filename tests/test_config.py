"""`[tool.monitoring-dsl]` in pyproject.toml: defaults, paths, and errors for keys that do not exist."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitoring_dsl.config import ConfigError, load_config
from tests.conftest import run_cli


def test_defaults_without_pyproject(tmp_path: Path) -> None:
    """A bare directory builds specs/ into build/."""
    config = load_config(tmp_path)
    assert ((tmp_path / "specs",), tmp_path / "build") == (config.specs, config.out)


def test_paths_come_from_the_table(tmp_path: Path) -> None:
    """`specs` and `out` are read relative to the project root."""
    (tmp_path / "pyproject.toml").write_text('[tool.monitoring-dsl]\nspecs = ["monitoring"]\nout = "gen"\n')
    config = load_config(tmp_path)
    assert ((tmp_path / "monitoring",), tmp_path / "gen") == (config.specs, config.out)


def test_unknown_key_is_an_error(tmp_path: Path) -> None:
    """A misspelt key is refused with the key it probably meant."""
    (tmp_path / "pyproject.toml").write_text('[tool.monitoring-dsl]\nspec = ["specs"]\n')
    with pytest.raises(ConfigError, match="did you mean 'specs'"):
        load_config(tmp_path)


def test_wrong_type_is_an_error(tmp_path: Path) -> None:
    """`out` must be a string."""
    (tmp_path / "pyproject.toml").write_text("[tool.monitoring-dsl]\nout = 3\n")
    with pytest.raises(ConfigError, match="'out' must be a directory"):
        load_config(tmp_path)


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    """Through the CLI, a bad key is E007 in pyproject.toml with exit code 2."""
    (tmp_path / "pyproject.toml").write_text('[tool.monitoring-dsl]\nsepcs = ["specs"]\n')
    run = run_cli("build", cwd=tmp_path)
    assert 2 == run.code
    assert "pyproject.toml:2:1: E007 unknown key 'sepcs' in [tool.monitoring-dsl]; did you mean 'specs'?" in run.stderr


def test_target_and_external_labels_are_read(tmp_path: Path) -> None:
    """`target_labels` and `external_labels` become settings that every label check sees."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.monitoring-dsl]\ntarget_labels = ["namespace", "pod"]\nexternal_labels = ["cluster"]\n'
    )
    settings = load_config(tmp_path).settings
    assert (("namespace", "pod"), ("cluster",)) == (settings.target_labels, settings.external_labels)


def test_bad_label_list_points_at_its_line(tmp_path: Path) -> None:
    """A label list that is not a list of identifiers is refused at the key's own line."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.monitoring-dsl]\ntarget_labels = "pod"\n')
    with pytest.raises(ConfigError, match="'target_labels' must be a list of label names") as raised:
        load_config(tmp_path)
    assert 5 == raised.value.line

# (STYLE.md: `assert expected == actual`, expected first.)
"""Discovery is one module (monitoring_dsl/load/discovery.py): `lint DIR` and `load_plain_files([DIR])` walk a
directory of rule files and dashboards the same way."""

from __future__ import annotations

from pathlib import Path

from monitoring_dsl.load.discovery import expand_plain, split_inputs


def _touch(root: Path, *names: str) -> None:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x", encoding="utf-8")


def test_lint_and_the_importer_walk_a_directory_alike(tmp_path: Path) -> None:
    _touch(tmp_path, "b.yml", "a/c.json", ".git/d.json", "node_modules/e.yml", "build/f.yml", "notes.txt", "s.py")
    specs, plain = split_inputs([tmp_path], skip=[tmp_path / "build"])
    assert [tmp_path] == specs
    assert [tmp_path / "a/c.json", tmp_path / "b.yml"] == plain
    expanded = list(expand_plain([tmp_path], []))
    assert [tmp_path / "a/c.json", tmp_path / "b.yml", tmp_path / "build/f.yml"] == expanded

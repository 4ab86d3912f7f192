# (STYLE.md: `assert expected == actual`, expected first.)
"""Our dashboards against real ones: every option key we emit is one real Grafana 10+ dashboards use."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from tests.test_outputs import SPEC_SETS, _artifacts, _panels


def _realworld_panel_keys(realworld: Path) -> dict[str, dict[str, set[str]]]:
    """Option and field-default keys of each panel type in the corpus's dashboards of schemaVersion 36+."""
    keys: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for file in sorted((realworld / "dashboards").rglob("*.json")):
        data = json.loads(file.read_text(encoding="utf-8"))
        try:
            if int(data.get("schemaVersion", 0)) < 36:
                continue
        except (TypeError, ValueError):
            continue
        for panel in _panels(data):
            kind = panel.get("type", "")
            keys[kind]["options"].update((panel.get("options") or {}).keys())
            keys[kind]["defaults"].update(((panel.get("fieldConfig") or {}).get("defaults") or {}).keys())
    return keys


# Keys Grafana documents that no corpus dashboard happens to set.
DOCUMENTED_EXTRA = {
    ("text", "options", "mode"),
    ("heatmap", "defaults", "links"),
    ("heatmap", "defaults", "unit"),
    ("heatmap", "defaults", "thresholds"),
    ("table", "defaults", "links"),
    ("piechart", "defaults", "links"),
    ("piechart", "defaults", "unit"),
    ("piechart", "defaults", "thresholds"),
    ("gauge", "defaults", "links"),
}


def test_panel_shapes_match_current_grafana(realworld: Path) -> None:
    """Every option key we emit appears in real Grafana 10+ dashboards of the same panel type."""
    known = _realworld_panel_keys(realworld)
    unknown = set()
    for name in SPEC_SETS:
        for path, data in _artifacts(name).items():
            if not path.startswith("grafana/dashboards/"):
                continue
            for panel in _panels(json.loads(data)):
                kind = panel["type"]
                if kind == "row":
                    continue
                for section, keys in (
                    ("options", panel.get("options", {})),
                    ("defaults", panel.get("fieldConfig", {}).get("defaults", {})),
                ):
                    for key in keys:
                        if key not in known[kind][section] and (kind, section, key) not in DOCUMENTED_EXTRA:
                            unknown.add((kind, section, key))
    assert set() == unknown

# (STYLE.md: `assert expected == actual`, expected first.)
"""emit/grafana.py builds each panel type from one table; every panel type of the model has its entry."""

from __future__ import annotations

import pytest

from monitoring_dsl.emit import grafana
from monitoring_dsl.model import dashboards as m


def _panel_types() -> set[type[m.Panel]]:
    found, todo = set(), [m.Panel]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.add(sub)
            todo.append(sub)
    return {kind for kind in found if kind.__module__ == m.__name__}


def test_every_panel_type_of_the_model_has_a_builder() -> None:
    assert sorted(t.__name__ for t in _panel_types()) == sorted(t.__name__ for t in grafana._BUILDERS)


def test_an_unknown_panel_type_is_refused() -> None:
    with pytest.raises(TypeError, match="no Grafana panel for"):
        grafana._grafanalib_panel(object(), None, 1, None)  # type: ignore[arg-type]

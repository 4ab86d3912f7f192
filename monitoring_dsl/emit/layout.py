"""Automatic layout on Grafana's 24-column grid: rows stacked top to bottom, panels flowed left to right.

A panel that sets `grid_pos` keeps it (and may overlap others, as its author chose); every other panel gets
its width (its own `width`, else its type's default) and height, and goes to the right of the previous one,
or below when the line is full. Lines never overlap: a line is as tall as its tallest panel.
"""

from __future__ import annotations

import attrs

from monitoring_dsl.model.dashboards import Dashboard, Panel, Row

GRID_COLUMNS = 24
ROW_HEIGHT = 1


@attrs.frozen
class Box:
    x: int
    y: int
    w: int
    h: int


@attrs.frozen
class PlacedRow:
    """A row header at `y` and its panels' boxes (`row` is None when the dashboard has no rows)."""

    row: Row | None
    y: int
    panels: tuple[tuple[Panel, Box], ...]


def _flow(panels: tuple[Panel, ...], top: int) -> tuple[list[tuple[Panel, Box]], int]:
    """Place panels from `top` downwards; returns the boxes and the first free y below them."""
    placed: list[tuple[Panel, Box]] = []
    x, y, line_height, bottom = 0, top, 0, top
    for panel in panels:
        if panel.grid_pos is not None:
            px, py, pw, ph = panel.grid_pos
            box = Box(px, top + py, pw, ph)
            placed.append((panel, box))
            bottom = max(bottom, box.y + box.h)
            continue
        width = panel.width or type(panel).default_width
        height = panel.height or type(panel).default_height
        if x + width > GRID_COLUMNS:
            x, y = 0, y + line_height
            line_height = 0
        box = Box(x, y, width, height)
        placed.append((panel, box))
        x += width
        line_height = max(line_height, height)
        bottom = max(bottom, y + height)
    return placed, max(bottom, y + line_height)


def layout(dashboard: Dashboard) -> list[PlacedRow]:
    """Boxes for every panel of `dashboard`, row by row."""
    if not dashboard.rows:
        placed, _ = _flow(dashboard.panels, 0)
        return [PlacedRow(None, 0, tuple(placed))]
    rows = []
    y = 0
    for row in dashboard.rows:
        header = y
        placed, y = _flow(row.panels, header + ROW_HEIGHT)
        rows.append(PlacedRow(row, header, tuple(placed)))
    return rows

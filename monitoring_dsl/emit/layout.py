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


def _overlaps(a: Box, b: Box) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def _flow(panels: tuple[Panel, ...], top: int) -> tuple[list[tuple[Panel, Box]], int]:
    """Place panels from `top` downwards; returns the boxes and the first free y below them.

    Panels with `grid_pos` are placed first (y relative to `top`); the others flow around them.
    """
    fixed = [
        (panel, Box(panel.grid_pos[0], top + panel.grid_pos[1], panel.grid_pos[2], panel.grid_pos[3]))
        for panel in panels
        if panel.grid_pos is not None
    ]
    taken = [box for _, box in fixed]
    boxes: dict[int, Box] = {id(panel): box for panel, box in fixed}
    x, y, line_height = 0, top, 0
    for panel in panels:
        if panel.grid_pos is not None:
            continue
        width = panel.width or type(panel).default_width
        height = panel.height or type(panel).default_height
        while True:
            if x + width > GRID_COLUMNS:
                x, y, line_height = 0, y + max(line_height, 1), 0
                continue
            box = Box(x, y, width, height)
            blocker = next((other for other in taken if _overlaps(box, other)), None)
            if blocker is None:
                break
            x = blocker.x + blocker.w
        taken.append(box)
        boxes[id(panel)] = box
        x += width
        line_height = max(line_height, height)
    bottom = max([top, *(box.y + box.h for box in taken)])
    return [(panel, boxes[id(panel)]) for panel in panels], bottom


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

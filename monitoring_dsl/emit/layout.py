"""Automatic layout on Grafana's 24-column grid: rows stacked top to bottom, panels flowed left to right.

Panels go to the right of the previous one, or onto a new line when the line is full. A line leaves no holes:
panels without an explicit `width` share the columns the line leaves free, and panels without an explicit
`height` take the line's height (the tallest panel on it). A panel that sets `grid_pos` keeps it (and may
overlap others, as its author chose); in a row with such panels the others flow around them at their own sizes.
Placement is linear in the number of panels: nothing loops over grid units.
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


def _width(panel: Panel) -> int:
    return panel.width or type(panel).default_width


def _height(panel: Panel) -> int:
    return panel.height or type(panel).default_height


def _lines(panels: list[Panel]) -> list[list[Panel]]:
    """Panels split into lines of at most GRID_COLUMNS columns, in order."""
    lines: list[list[Panel]] = []
    used = GRID_COLUMNS
    for panel in panels:
        width = _width(panel)
        if used + width > GRID_COLUMNS:
            lines.append([])
            used = 0
        lines[-1].append(panel)
        used += width
    return lines


def _fill(panels: list[Panel], top: int) -> tuple[list[tuple[Panel, Box]], int]:
    """Lines that fill the grid: free columns go to panels of implicit width, left first; implicit heights
    take the line's height."""
    placed: list[tuple[Panel, Box]] = []
    y = top
    for line in _lines(panels):
        widths = [_width(panel) for panel in line]
        stretchable = [i for i, panel in enumerate(line) if panel.width is None]
        free = GRID_COLUMNS - sum(widths)
        if stretchable and free > 0:
            share, rest = divmod(free, len(stretchable))
            for order, index in enumerate(stretchable):
                widths[index] += share + (1 if order < rest else 0)
        line_height = max(_height(panel) for panel in line)
        x = 0
        for panel, width in zip(line, widths, strict=True):
            height = panel.height or line_height
            placed.append((panel, Box(x, y, width, height)))
            x += width
        y += line_height
    return placed, y


def _overlaps(a: Box, b: Box) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def _around(panels: tuple[Panel, ...], top: int) -> tuple[list[tuple[Panel, Box]], int]:
    """Panels with `grid_pos` where they say (y relative to `top`), the others flowed around them."""
    fixed = [
        Box(panel.grid_pos[0], top + panel.grid_pos[1], panel.grid_pos[2], panel.grid_pos[3])
        for panel in panels
        if panel.grid_pos is not None
    ]
    boxes: list[Box] = []
    fixed_iter = iter(fixed)
    x, y, line_height = 0, top, 0
    for panel in panels:
        if panel.grid_pos is not None:
            boxes.append(next(fixed_iter))
            continue
        width, height = _width(panel), _height(panel)
        while True:
            if x + width > GRID_COLUMNS:
                if line_height:
                    y += line_height
                else:  # nothing placed on this line: skip down to where the first blocker ends
                    ends = [b.y + b.h for b in fixed if b.y <= y < b.y + b.h]
                    y = min(ends) if ends else y + 1
                x, line_height = 0, 0
                continue
            box = Box(x, y, width, height)
            blocker = next((other for other in fixed if _overlaps(box, other)), None)
            if blocker is None:
                break
            x = blocker.x + blocker.w
        boxes.append(box)
        x += width
        line_height = max(line_height, height)
    bottom = max([top, *(box.y + box.h for box in boxes)])
    return list(zip(panels, boxes, strict=True)), bottom


def _flow(panels: tuple[Panel, ...], top: int) -> tuple[list[tuple[Panel, Box]], int]:
    """Place panels from `top` downwards; returns the boxes and the first free y below them."""
    if any(panel.grid_pos is not None for panel in panels):
        return _around(panels, top)
    return _fill(list(panels), top)


def layout(dashboard: Dashboard) -> list[PlacedRow]:
    """Boxes for every panel of `dashboard`: the panels above the rows, then row by row."""
    placed, y = _flow(dashboard.panels, 0)  # panels above the rows, if any
    rows = [PlacedRow(None, 0, tuple(placed))] if dashboard.panels or not dashboard.rows else []
    for row in dashboard.rows:
        header = y
        placed, y = _flow(row.panels, header + ROW_HEIGHT)
        rows.append(PlacedRow(row, header, tuple(placed)))
    return rows

"""Static HTML previews of the built dashboards: each panel drawn where Grafana's 24-column grid places it,
with its title, type, unit, thresholds and queries, plus an index page. Plain HTML and CSS, nothing fetched:
the pages open from disk. Pure: dashboard JSON in, {relative path: bytes} out."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator, Mapping
from typing import Any

from monitoring_dsl.review.snapshot import DASHBOARDS, thresholds_text

COLUMNS = 24
ROW_HEIGHT = 30  # pixels per grid unit, as in Grafana
WIDTH = 1440  # the page's grid width in pixels (Grafana scales its columns; a fixed width keeps the preview exact)

STYLE = f"""
body {{ font: 13px/1.4 system-ui, sans-serif; margin: 16px; background: #f4f5f5; color: #24292e; }}
h1 {{ font-size: 20px; margin: 0 0 4px; }}
.meta {{ color: #57606a; margin-bottom: 12px; }}
.grid {{ position: relative; width: {WIDTH}px; }}
.panel, .row {{ position: absolute; box-sizing: border-box; overflow: hidden; }}
.panel {{ background: #fff; border: 1px solid #d0d7de; border-radius: 3px; padding: 6px 8px; }}
.row {{ font-weight: 600; font-size: 15px; padding: 4px 0; border-bottom: 1px solid #d0d7de; }}
.title {{ font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }}
.type {{ float: right; font-size: 11px; color: #57606a; background: #eaeef2; border-radius: 8px; padding: 0 6px; }}
.facts {{ color: #57606a; font-size: 12px; margin: 2px 0; }}
.swatch {{ display: inline-block; width: 9px; height: 9px; border-radius: 2px; margin: 0 2px 0 6px; }}
pre {{ margin: 3px 0 0; font-size: 11px; white-space: pre-wrap; word-break: break-all; background: #f6f8fa;
       padding: 3px 4px; border-radius: 2px; }}
.legend {{ color: #57606a; font-size: 11px; }}
details {{ margin-top: 8px; }}
.chart {{ display: block; margin: 4px 0; background: #fbfcfd; }}
.nodata {{ color: #8c959f; font-style: italic; margin: 4px 0; }}
a {{ color: #0969da; }}
table {{ border-collapse: collapse; }} td, th {{ text-align: left; padding: 3px 12px 3px 0; }}
"""

# Grafana's named colours that a browser does not know, by the hex value Grafana draws them in.
COLORS = {"green": "#73bf69", "red": "#f2495c", "orange": "#ff9830", "yellow": "#fade2a", "blue": "#5794f2"}


Series = list[tuple[float, float]]
Live = Mapping[tuple[str, int, str], list[Series]]  # (uid, panel id, refId) -> series, from live.fetch_series


def dashboards(artifacts: Mapping[str, bytes]) -> list[tuple[str, dict[str, Any]]]:
    """(uid, dashboard JSON) for every dashboard of the output tree."""
    boards: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(artifacts):
        if path.startswith(DASHBOARDS) and path.endswith(".json"):
            try:
                board = json.loads(artifacts[path])
            except ValueError:
                continue
            if isinstance(board, dict):
                uid = str(board.get("uid") or path.rsplit("/", 1)[-1].removesuffix(".json"))
                boards.append((uid, board))
    return boards


def preview_pages(artifacts: Mapping[str, bytes], live: Live | None = None) -> dict[str, bytes]:
    """`index.html` and one `<uid>.html` per dashboard of the output tree `artifacts`; with `live`, each
    query's series drawn as an inline SVG line."""
    boards = dashboards(artifacts)
    pages = {f"{uid}.html": dashboard_page(board, uid, live).encode() for uid, board in boards}
    pages["index.html"] = index_page(boards).encode()
    return pages


def _document(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def index_page(boards: list[tuple[str, dict[str, Any]]]) -> str:
    rows = "".join(
        f'<tr><td><a href="{html.escape(uid)}.html">{html.escape(str(board.get("title") or uid))}</a></td>'
        f"<td>{sum(1 for _ in _placed(board))} panels</td>"
        f"<td>{html.escape(', '.join(str(t) for t in board.get('tags') or []))}</td></tr>"
        for uid, board in boards
    )
    body = f'<h1>Dashboards</h1>\n<p class="meta">{len(boards)} dashboards</p>\n<table>{rows}</table>'
    return _document("Dashboards", body)


def _placed(board: Mapping[str, Any]) -> Iterator[tuple[Mapping[str, Any], bool]]:
    """Every panel and row panel with whether it sits inside a collapsed row."""
    for item in board.get("panels") or []:
        if not isinstance(item, dict):
            continue
        yield item, False
        if item.get("type") == "row" and item.get("collapsed"):
            for inner in item.get("panels") or []:
                if isinstance(inner, dict):
                    yield inner, True


def _grid(item: Mapping[str, Any]) -> tuple[int, int, int, int]:
    pos = item.get("gridPos") if isinstance(item.get("gridPos"), dict) else {}
    values = [pos.get(k) for k in ("x", "y", "w", "h")]  # type: ignore[union-attr]
    x, y, w, h = (int(v) if isinstance(v, (int, float)) else 0 for v in values)
    return x, y, w or COLUMNS, h or 1


def _box(x: int, y: int, w: int, h: int) -> str:
    unit = WIDTH / COLUMNS
    return f"left:{x * unit:g}px;top:{y * ROW_HEIGHT:g}px;width:{w * unit:g}px;height:{h * ROW_HEIGHT:g}px"


def dashboard_page(board: Mapping[str, Any], uid: str = "", live: Live | None = None) -> str:
    """One dashboard: the visible grid, then each collapsed row's panels in a grid of their own."""
    title = str(board.get("title") or "")
    visible: list[str] = []
    collapsed: list[tuple[str, list[Mapping[str, Any]]]] = []
    bottom = 0
    for item, hidden in _placed(board):
        if hidden:
            collapsed[-1][1].append(item)
            continue
        x, y, w, h = _grid(item)
        bottom = max(bottom, y + h)
        if item.get("type") == "row":
            visible.append(_row(item, x, y, w))
            if item.get("collapsed"):
                collapsed.append((str(item.get("title") or ""), []))
        else:
            visible.append(_panel(item, x, y, w, h, uid, live))
    variables = ", ".join(
        "$" + str(v.get("name")) for v in (board.get("templating") or {}).get("list") or [] if isinstance(v, dict)
    )
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="meta">uid {html.escape(str(board.get("uid") or ""))}'
        + (f" · variables {html.escape(variables)}" if variables else "")
        + ' · <a href="index.html">all dashboards</a></p>',
        f'<div class="grid" style="height:{bottom * ROW_HEIGHT}px">{"".join(visible)}</div>',
    ]
    for row_title, panels in collapsed:
        if not panels:
            continue
        top = min(_grid(p)[1] for p in panels)
        height = max(_grid(p)[1] + _grid(p)[3] for p in panels) - top
        inner = "".join(_panel(p, x, y - top, w, h, uid, live) for p in panels for x, y, w, h in [_grid(p)])
        parts.append(
            f"<details><summary>collapsed row {html.escape(row_title)}: {len(panels)} panels</summary>"
            f'<div class="grid" style="height:{height * ROW_HEIGHT}px">{inner}</div></details>'
        )
    return _document(title, "\n".join(parts))


def _row(item: Mapping[str, Any], x: int, y: int, w: int) -> str:
    mark = " ▸" if item.get("collapsed") else ""
    return f'<div class="row" style="{_box(x, y, w, 1)}">{html.escape(str(item.get("title") or ""))}{mark}</div>'


def _panel(item: Mapping[str, Any], x: int, y: int, w: int, h: int, uid: str = "", live: Live | None = None) -> str:
    defaults = (item.get("fieldConfig") or {}).get("defaults") or {}
    unit = defaults.get("unit")
    steps = (defaults.get("thresholds") or {}).get("steps") or []
    facts = []
    if unit:
        facts.append(f"unit {html.escape(str(unit))}")
    if len(steps) > 1:
        facts.append("thresholds" + "".join(_step(step, i) for i, step in enumerate(steps) if isinstance(step, dict)))
    targets = [t for t in item.get("targets") or [] if isinstance(t, dict)]
    chart = ""
    if live is not None:
        drawn = [live.get((uid, int(item.get("id") or 0), str(t.get("refId") or ""))) for t in targets]
        chart = _chart([s for series in drawn if series for s in series], round(w * WIDTH / COLUMNS) - 18)
    queries = chart + "".join(
        f"<pre>{html.escape(str(t.get('expr') or ''))}</pre>"
        + (f'<div class="legend">legend {html.escape(str(t["legendFormat"]))}</div>' if t.get("legendFormat") else "")
        for t in targets
    )
    content = str((item.get("options") or {}).get("content") or "")
    if content:
        queries += f"<pre>{html.escape(content)}</pre>"
    return (
        f'<div class="panel" data-grid="{x},{y},{w},{h}" style="{_box(x, y, w, h)}">'
        f'<span class="type">{html.escape(str(item.get("type") or ""))}</span>'
        f'<div class="title">{html.escape(str(item.get("title") or ""))}</div>'
        + (f'<div class="facts">{" · ".join(facts)}</div>' if facts else "")
        + f"{queries}</div>"
    )


PALETTE = ("#7eb26d", "#eab839", "#6ed0e0", "#ef843c", "#e24d42", "#1f78c1", "#ba43a9", "#705da0")


def _chart(series: list[Series], width: int, height: int = 60) -> str:
    """The series as lines in an inline SVG, scaled to their common range; "no data" when there are none."""
    points = [point for line in series for point in line]
    if not points:
        return '<div class="nodata">no data</div>'
    times, values = [t for t, _ in points], [v for _, v in points]
    t0, t1, low, high = min(times), max(times), min(values), max(values)
    span_t, span_v = (t1 - t0) or 1.0, (high - low) or 1.0
    lines = []
    for index, line in enumerate(series):
        coords = " ".join(
            f"{(t - t0) / span_t * width:.1f},{height - (v - low) / span_v * (height - 4) - 2:.1f}" for t, v in line
        )
        lines.append(
            f'<polyline fill="none" stroke="{PALETTE[index % len(PALETTE)]}" stroke-width="1.5" points="{coords}"/>'
        )
    label = f"{_number(low)} to {_number(high)}"
    return (
        f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}">{"".join(lines)}'
        f'</svg><div class="legend">{len(series)} series, {html.escape(label)}</div>'
    )


def _number(value: float) -> str:
    return f"{value:.4g}"


def _step(step: Mapping[str, Any], index: int) -> str:
    color = str(step.get("color") or "")
    css = COLORS.get(color, color)
    value = step.get("value")
    label = "base" if index == 0 or value is None else thresholds_text([{}, {"value": value}]).split(" | ")[1]
    return f'<span class="swatch" style="background:{html.escape(css)}"></span>{html.escape(label)}'

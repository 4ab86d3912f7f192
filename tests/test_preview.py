"""`monitoring-dsl preview`: static pages that real headless Chromium lays out where the dashboard JSON puts
each panel, checked on the rendered DOM and on the screenshot's pixels."""

from __future__ import annotations

import json
import struct
import subprocess
import time
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from monitoring_dsl.review.preview import COLUMNS, ROW_HEIGHT, WIDTH
from monitoring_dsl.up import free_port
from monitoring_dsl.verify import PrometheusAPI
from tests.conftest import require_binary, run_cli, write_specs
from tests.support.prometheus import run_prometheus, scrape_config

SPECS = {
    "catalog.py": """
        from monitoring_dsl import Counter, Gauge

        requests = Counter("http_requests_total", "Requests", labels=["status"])
        depth = Gauge("queue_depth", "Items waiting")
    """,
    "api.py": """
        import catalog
        from monitoring_dsl import Dashboard, Row, Stat, Threshold, TimeSeries

        board = Dashboard("API", uid="api", rows=[
            Row("Traffic", [
                TimeSeries("Requests", "sum(rate(http_requests_total[$__rate_interval]))", unit="reqps", width=16),
                Stat("Queue", "max(queue_depth)", thresholds=[Threshold("green"), Threshold("red", 100)], width=8),
            ]),
            Row("Detail", [
                TimeSeries("By status", "sum by (status) (rate(http_requests_total[$__rate_interval]))", width=8,
                           height=10),
                Stat("Depth", "max(queue_depth)", width=6),
                Stat("Depth again", "min(queue_depth)", width=10),
            ]),
        ])
    """,
}

# Records each panel's rectangle, relative to its grid, where --dump-dom can read it.
MEASURE = """<script>
for (const panel of document.querySelectorAll('.panel')) {
  const box = panel.getBoundingClientRect(), grid = panel.parentElement.getBoundingClientRect();
  panel.dataset.rect = [box.left - grid.left, box.top - grid.top, box.width, box.height,
                        box.left + scrollX, box.top + scrollY].map(Math.round).join(',');
}
</script>"""

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
]
WINDOW = (WIDTH + 40, 1200)


class _Panels(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[tuple[int, ...], tuple[int, ...]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if "panel" in (values.get("class") or "").split() and values.get("data-rect"):
            grid = tuple(int(v) for v in (values["data-grid"] or "").split(","))
            rect = tuple(int(v) for v in (values["data-rect"] or "").split(","))
            self.found.append((grid, rect))


def _chromium(binary: str, profile: Path, *args: str) -> str:
    done = subprocess.run(
        [binary, *FLAGS, f"--user-data-dir={profile}", f"--window-size={WINDOW[0]},{WINDOW[1]}", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _pixels(png: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB rows of an 8-bit RGB or RGBA PNG (what Chromium writes)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    position, data, header = 8, b"", b""
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind, body = png[position + 4 : position + 8], png[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            data += body
        position += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and color in (2, 6)
    channels = 3 if color == 2 else 4
    raw, stride, rows, previous = zlib.decompress(data), width * channels, [], bytearray(width * channels)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(bytes(b for j, b in enumerate(line) if j % channels < 3))
        previous = line
    return width, height, rows


@pytest.fixture(scope="module")
def chromium() -> str:
    return require_binary("chromium", package="chromium")


@pytest.fixture
def preview(tmp_path: Path) -> Path:
    root = write_specs(tmp_path, SPECS)
    run = run_cli("preview", cwd=root)
    assert run.code == 0, run.stderr
    return root / "preview"


def test_pages_need_no_network(preview: Path) -> None:
    """Every page is self-contained: no script, stylesheet, image or font is fetched."""
    for page in preview.glob("*.html"):
        text = page.read_text()
        assert "http://" not in text and "https://" not in text and "<script" not in text and "src=" not in text
    assert ["api.html", "index.html"] == sorted(p.name for p in preview.glob("*.html"))
    assert '<a href="api.html">API</a>' in (preview / "index.html").read_text()


def test_panels_show_type_unit_thresholds_and_queries(preview: Path) -> None:
    """A panel box carries what a reviewer needs to recognise it."""
    page = (preview / "api.html").read_text()
    assert '<span class="type">timeseries</span><div class="title">Requests</div><div class="facts">unit reqps' in page
    assert "base" in page and "</span>100</div>" in page
    assert "<pre>sum(rate(http_requests_total[$__rate_interval]))</pre>" in page


def test_chromium_places_panels_where_the_json_does(preview: Path, chromium: str, tmp_path: Path) -> None:
    """In real headless Chromium each panel's box is its gridPos times the grid unit, on the DOM and in the
    screenshot's pixels (each panel's left border is drawn at its place)."""
    measured = preview / "measured.html"
    measured.write_text((preview / "api.html").read_text().replace("</body>", MEASURE + "</body>"))
    dom = _chromium(chromium, tmp_path / "profile-dom", "--dump-dom", measured.as_uri())
    parser = _Panels()
    parser.feed(dom)
    assert run_cli("build", "--out", "built", cwd=preview.parent).code == 0
    board = json.loads((preview.parent / "built" / "grafana" / "dashboards" / "api.json").read_text())
    placed = [tuple(p["gridPos"][k] for k in ("x", "y", "w", "h")) for p in board["panels"] if p["type"] != "row"]
    assert placed == [grid for grid, _ in parser.found]
    unit = WIDTH / COLUMNS
    for (x, y, w, h), rect in parser.found:
        assert (round(x * unit), y * ROW_HEIGHT, round(w * unit), h * ROW_HEIGHT) == rect[:4]

    shot = tmp_path / "shot.png"
    _chromium(chromium, tmp_path / "profile-shot", f"--screenshot={shot}", measured.as_uri())
    width, height, rows = _pixels(shot.read_bytes())
    assert (width, height) == WINDOW
    border = bytes.fromhex("d0d7de")
    for (_, _, _, h), rect in parser.found:
        left, top = rect[4], rect[5]
        if top + h * ROW_HEIGHT // 2 < height:
            pixel = rows[top + h * ROW_HEIGHT // 2][left * 3 : left * 3 + 3]
            inside = rows[top + h * ROW_HEIGHT // 2][(left + 3) * 3 : (left + 3) * 3 + 3]
            assert (border, b"\xff\xff\xff") == (pixel, inside), (left, top)


LIVE_SPECS = {
    "live.py": """
        from monitoring_dsl import Dashboard, Gauge, Stat, TimeSeries

        depth = Gauge("queue_depth", "Items waiting")
        board = Dashboard("Live", uid="live", time_from="now-5m", panels=[
            TimeSeries("Targets up", "up"),
            Stat("Queue", "max(queue_depth)"),
        ])
    """,
}


def test_live_data_from_a_real_prometheus(tmp_path: Path) -> None:
    """With --prometheus, a query with data is drawn as a line and one without says "no data"."""
    binary = require_binary("prometheus")
    root = write_specs(tmp_path, LIVE_SPECS)
    # a target nobody listens on: Prometheus records up == 0 for it every second
    config = scrape_config(f"127.0.0.1:{free_port()}", [])
    with run_prometheus(binary, tmp_path / "prometheus", config) as url:
        api = PrometheusAPI(url)
        deadline = time.monotonic() + 20
        while not api.query("up", time.time()):
            assert time.monotonic() < deadline, "Prometheus recorded no `up` sample"
            time.sleep(0.3)
        run = run_cli("preview", "--prometheus", url, cwd=root)
    assert run.code == 0, run.stderr
    page = (root / "preview" / "live.html").read_text()
    up, queue = page.split('<div class="title">Targets up</div>')[1].split('<div class="title">Queue</div>')
    assert "<polyline" in up and "1 series, 0 to 0" in up
    assert '<div class="nodata">no data</div>' in queue and "<polyline" not in queue


def test_unreachable_prometheus_is_an_error(tmp_path: Path) -> None:
    """--prometheus naming a port nothing listens on is E057, exit 2, and no pages are written."""
    root = write_specs(tmp_path, LIVE_SPECS)
    run = run_cli("preview", "--prometheus", f"http://127.0.0.1:{free_port()}", "--timeout", "2", cwd=root)
    assert 2 == run.code
    assert "E057 cannot reach Prometheus at http://127.0.0.1:" in run.stderr
    assert not (root / "preview").exists()

# (STYLE.md: `assert expected == actual`, expected first.)
"""Each module's dashboards and rule file kept between builds (outputcache.py, emit.emit_with_parts): a build
that takes them back writes the bytes of one that does not, emits again only the modules whose objects
changed, and reports a collision with a kept dashboard exactly as a plain build does."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitoring_dsl import emit, outputcache
from tests.conftest import write_specs
from tests.test_kept_findings import _compiled, _edit
from tests.test_querycache import CASES, GOLDEN, fresh  # noqa: F401 - fresh: each test as a new process

TWO = {
    "api.py": """\
from monitoring_dsl import Alert, Counter, Dashboard, TimeSeries

requests = Counter("http_requests_total", "Requests", labels=["code"])
busy = Alert("Busy", "sum(rate(http_requests_total[5m])) > 10", for_="5m", severity="warning", summary="busy")
d = Dashboard("API", uid="api", panels=[TimeSeries("Requests", "sum(rate(http_requests_total[5m]))")])
""",
    "web.py": """\
from monitoring_dsl import Alert, Dashboard, TimeSeries

slow = Alert("Slow", "sum(rate(http_requests_total[5m])) < 1", for_="5m", severity="warning", summary="slow")
w = Dashboard("Web", uid="web", panels=[TimeSeries("Requests", "sum(rate(http_requests_total[5m]))")],
              allow={"D501": "E011 still refuses to write it"})
""",
}


def _emitted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record each module whose dashboards and rule file are emitted rather than taken back."""
    modules: list[str] = []
    part = emit._module_part

    def recording(*args: object) -> emit.Artifacts:
        modules.append(str(args[2]))
        return part(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(emit, "_module_part", recording)
    return modules


@pytest.mark.parametrize("case", CASES)
def test_kept_output_is_the_output_of_a_plain_build(tmp_path: Path, case: str) -> None:
    root = GOLDEN / case
    cache = tmp_path / "cache"
    plain = _compiled(root, 1, None, infos=False)
    assert plain[1] is not None
    assert plain == _compiled(root, 1, cache, infos=False)  # cold: emits and keeps
    assert plain == _compiled(root, 1, cache, infos=False)  # warm: takes back
    assert plain == _compiled(root, 2, cache, infos=False)


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_edit_emits_the_edited_module_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int) -> None:
    root = write_specs(tmp_path, TWO)
    cache = tmp_path / "cache"
    emitted = _emitted(monkeypatch)
    _compiled(root, jobs, cache, infos=False)
    assert (cache / outputcache.FILENAME).is_file()
    if jobs == 1:  # a forked child's calls are not seen here
        assert ["api", "web"] == sorted(emitted)
    emitted.clear()
    _edit(root, "web.py", "< 1", "< 2")
    plain = _compiled(root, 1, None, infos=False)
    emitted.clear()
    assert plain == _compiled(root, 1, cache, infos=False)
    assert ["web"] == emitted


@pytest.mark.parametrize("edited", ["api.py", "web.py"])
def test_a_collision_with_a_kept_dashboard_is_reported_as_a_plain_build_reports_it(tmp_path: Path, edited: str) -> None:
    """Either the edited module's dashboard takes the kept one's file, or the kept one takes the edited one's."""
    root = write_specs(tmp_path, TWO)
    cache = tmp_path / "cache"
    _compiled(root, 1, cache, infos=False)
    if edited == "api.py":
        _edit(root, "api.py", 'uid="api"', 'uid="web"')
    else:
        _edit(root, "web.py", 'uid="web"', 'uid="api"')
    plain = _compiled(root, 1, None, infos=False)
    assert plain[1] is None
    assert "E011" in {finding[0] for finding in plain[0]}  # type: ignore[union-attr]
    assert plain == _compiled(root, 1, cache, infos=False)


def test_a_damaged_output_file_is_ignored(tmp_path: Path) -> None:
    root = write_specs(tmp_path, TWO)
    cache = tmp_path / "cache"
    plain = _compiled(root, 1, None, infos=False)
    _compiled(root, 1, cache, infos=False)
    path = cache / outputcache.FILENAME
    good = path.read_bytes()
    path.write_bytes(good[:-3] + b"xyz")
    assert plain == _compiled(root, 1, cache, infos=False)
    _edit(root, "web.py", "< 1", "< 2")  # something new to keep: the file is rewritten whole
    assert _compiled(root, 1, None, infos=False) == _compiled(root, 1, cache, infos=False)
    assert outputcache.MAGIC == path.read_bytes()[: len(outputcache.MAGIC)]

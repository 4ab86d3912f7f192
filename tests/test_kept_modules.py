# (STYLE.md: `assert expected == actual`, expected first.)
"""Each spec module's objects kept between loads (load/restore.py): a load that restores modules gives what a
load executing every module gives, down to which objects are shared, and executes exactly the modules an edit
can change: the edited one, the modules importing it, the modules those import, and every module that reads
something outside the specs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from monitoring_dsl.load import restore
from monitoring_dsl.load.specs import LoadResult, load
from tests.conftest import damage_and_rerun, write_specs
from tests.test_kept_findings import _edit
from tests.test_querycache import CASES, GOLDEN

PROJECT = {
    "catalog.py": """\
from monitoring_dsl import Counter

requests = Counter("http_requests_total", "Requests", labels=["code"])
LIMIT = 10


def busy_query(limit):
    return f"sum(rate(http_requests_total[5m])) > {limit}"
""",
    "api.py": """\
from catalog import LIMIT, busy_query

from monitoring_dsl import Alert, Dashboard, TimeSeries

busy = Alert("Busy", busy_query(LIMIT), for_="5m", severity="warning", summary="busy")
d = Dashboard("API", uid="api", panels=[TimeSeries("Requests", "sum(rate(http_requests_total[5m]))")])
""",
    "web.py": """\
from monitoring_dsl import Alert

slow = Alert("Slow", "sum(rate(http_requests_total[5m])) < 1", for_="5m", severity="warning", summary="slow")
""",
}

# Objects another module made: a rule group holding another module's alerts, a threshold two modules share.
SHARED = {
    "alerts.py": """\
from monitoring_dsl import Alert

busy = Alert("Busy", "sum(rate(http_requests_total[5m])) > 10", for_="5m", severity="warning", summary="busy")
""",
    "groups.py": """\
from alerts import busy

from monitoring_dsl import RuleGroup

group = RuleGroup("api", [busy], interval="30s")
""",
    "style.py": """\
from monitoring_dsl import Threshold

RED = Threshold("red", 90)
UNIT = "percent"
""",
    "three.py": """\
from style import UNIT

from monitoring_dsl import Dashboard, Stat

d = Dashboard("Three", uid="three", panels=[Stat("Up", "min(up)", unit=UNIT)])
""",
    "one.py": """\
from style import RED

from monitoring_dsl import Dashboard, Stat

d = Dashboard("One", uid="one", panels=[Stat("Up", "min(up)", thresholds=[RED])])
""",
    "two.py": """\
from style import RED

from monitoring_dsl import Dashboard, Stat

d = Dashboard("Two", uid="two", panels=[Stat("Up", "min(up)", thresholds=[RED])])
""",
    "alone.py": """\
from monitoring_dsl import Alert

quiet = Alert("Quiet", "sum(rate(http_requests_total[5m])) < 1", for_="5m", severity="warning", summary="q")
""",
}


def _structure(result: LoadResult) -> object:
    """Everything later stages see of a load: modules, objects with their module and location, in order, and
    which of them are one object (a later reference is its number), and the diagnostics."""
    numbers: dict[int, int] = {}

    def walk(value: object) -> object:
        if isinstance(value, (tuple, list)):
            return (type(value).__name__, [walk(item) for item in value])
        if isinstance(value, dict):
            return {key: walk(item) for key, item in value.items()}
        if attrs.has(type(value)):
            if id(value) in numbers:
                return ("same as", numbers[id(value)])
            numbers[id(value)] = len(numbers)
            return (type(value).__name__, {f.name: walk(getattr(value, f.name)) for f in attrs.fields(type(value))})
        return value

    declared = [(d.module, walk(d.obj)) for d in result.project.declared]
    return result.project.modules, declared, result.diagnostics, result.output


@pytest.fixture
def executed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The spec modules each load executes (rather than restores), in order."""
    names: list[str] = []
    code = restore.Watch.code

    def recording(self: restore.Watch, name: str, compiled: object) -> None:
        names.append(name)
        code(self, name, compiled)  # type: ignore[arg-type]

    monkeypatch.setattr(restore.Watch, "code", recording)
    yield names


def _same_as_plain(root: Path, cache: Path, executed: list[str]) -> set[str]:
    """Load with the cache, check it against a load that executes everything; the modules it executed."""
    executed.clear()
    kept = load([root / "specs"], root, cache)
    ran = set(executed)
    assert _structure(load([root / "specs"], root, None)) == _structure(kept)
    return ran


@pytest.mark.parametrize("case", CASES)
def test_a_restored_load_is_the_load_that_executes_every_module(tmp_path: Path, case: str, executed: list[str]) -> None:
    root = GOLDEN / case
    cache = tmp_path / "cache"
    modules = {file.stem for file in (root / "specs").glob("*.py") if not file.name.startswith("_")}
    assert modules == _same_as_plain(root, cache, executed)  # nothing kept yet
    again = _same_as_plain(root, cache, executed)
    kept = restore.Kept(cache, {m: root / "specs" / f"{m}.py" for m in sorted(modules)}, root)
    assert modules == set(kept.records)
    # executed again: what cannot be restored, what imports it, and what those import; no more
    assert modules - set(kept.restorable()) == again


def test_an_edit_executes_the_edited_module_its_importers_and_what_they_import(
    tmp_path: Path, executed: list[str]
) -> None:
    root = write_specs(tmp_path, PROJECT)
    cache = tmp_path / "cache"
    assert {"catalog", "api", "web"} == _same_as_plain(root, cache, executed)
    assert set() == _same_as_plain(root, cache, executed)

    _edit(root, "web.py", "< 1", "< 2")
    assert {"web"} == _same_as_plain(root, cache, executed)

    # api reads LIMIT from the catalog: it is executed again, and its alert has the new threshold
    _edit(root, "catalog.py", "LIMIT = 10", "LIMIT = 20")
    assert {"catalog", "api"} == _same_as_plain(root, cache, executed)
    kept = load([root / "specs"], root, cache)
    assert ["sum(rate(http_requests_total[5m])) > 20"] == [
        d.obj.expr for d in kept.project.declared if d.module == "api" and hasattr(d.obj, "expr")
    ]

    # api imports the catalog, so the catalog is executed to give it its names
    _edit(root, "api.py", 'summary="busy"', 'summary="very busy"')
    assert {"api", "catalog"} == _same_as_plain(root, cache, executed)
    assert set() == _same_as_plain(root, cache, executed)


def test_modules_that_read_the_environment_or_a_file_and_their_importers_are_executed_every_time(
    tmp_path: Path, executed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = tmp_path / "limit.txt"
    limit.write_text("7")
    root = write_specs(
        tmp_path,
        {
            **PROJECT,
            "env.py": """\
import os

from monitoring_dsl import Alert

LIMIT = os.environ.get("MDSL_TEST_LIMIT", "5")
e = Alert("Env", f"sum(up) < {LIMIT}", for_="5m", severity="warning", summary="env")
""",
            "follows.py": """\
from env import LIMIT

from monitoring_dsl import Alert

f = Alert("Follows", f"sum(up) > {LIMIT}", for_="5m", severity="warning", summary="follows")
""",
            "reads.py": f"""\
from monitoring_dsl import Alert

with open({str(limit)!r}) as handle:
    r = Alert("Reads", f"sum(up) < {{handle.read().strip()}}", for_="5m", severity="warning", summary="r")
""",
        },
    )
    cache = tmp_path / "cache"
    _same_as_plain(root, cache, executed)
    assert {"env", "follows", "reads"} == _same_as_plain(root, cache, executed)

    monkeypatch.setenv("MDSL_TEST_LIMIT", "9")
    limit.write_text("3")
    assert {"env", "follows", "reads"} == _same_as_plain(root, cache, executed)
    exprs = {d.obj.expr for d in load([root / "specs"], root, cache).project.declared if hasattr(d.obj, "expr")}
    assert {"sum(up) < 9", "sum(up) > 9", "sum(up) < 3"} <= exprs


def test_objects_shared_between_modules_stay_shared(tmp_path: Path, executed: list[str]) -> None:
    """A group holding another module's alert, a threshold two modules use: those modules are executed every
    time, so the group holds the declared alert itself and both panels the one threshold. A module that only
    imports a string from one of them is restored."""
    root = write_specs(tmp_path, SHARED)
    cache = tmp_path / "cache"
    _same_as_plain(root, cache, executed)
    assert {"alerts", "groups", "style", "one", "two"} == _same_as_plain(root, cache, executed)
    kept = load([root / "specs"], root, cache).project
    (alert,) = [d.obj for d in kept.declared if d.module == "alerts"]
    (group,) = [d.obj for d in kept.declared if d.module == "groups"]
    assert alert is group.rules[0]  # type: ignore[attr-defined]


def test_an_import_after_the_first_object_keeps_the_order_of_objects(tmp_path: Path, executed: list[str]) -> None:
    root = write_specs(
        tmp_path,
        {
            "a.py": """\
from monitoring_dsl import Alert

first = Alert("First", "sum(up) < 1", for_="5m", severity="warning", summary="first")
import b  # noqa: E402
last = Alert("Last", "sum(up) < 2", for_="5m", severity="warning", summary="last")
""",
            "b.py": """\
from monitoring_dsl import Alert

middle = Alert("Middle", "sum(up) < 3", for_="5m", severity="warning", summary="middle")
""",
        },
    )
    cache = tmp_path / "cache"
    _same_as_plain(root, cache, executed)
    assert {"a", "b"} == _same_as_plain(root, cache, executed)
    names = [d.obj.name for d in load([root / "specs"], root, cache).project.declared]  # type: ignore[attr-defined]
    assert ["First", "Middle", "Last"] == names


def test_a_new_import_of_a_restored_module_loads_again_executing_everything(
    tmp_path: Path, executed: list[str]
) -> None:
    root = write_specs(tmp_path, PROJECT)
    cache = tmp_path / "cache"
    _same_as_plain(root, cache, executed)
    # web comes after api: when web is executed and now imports api, api was already restored
    _edit(root, "web.py", "from monitoring_dsl import Alert", "from api import busy\nfrom monitoring_dsl import Alert")
    assert {"catalog", "api", "web"} == _same_as_plain(root, cache, executed)
    assert set() == _same_as_plain(root, cache, executed)


def test_files_added_removed_or_failing(tmp_path: Path, executed: list[str]) -> None:
    root = write_specs(tmp_path, PROJECT)
    cache = tmp_path / "cache"
    _same_as_plain(root, cache, executed)
    write_specs(root, {"more.py": "from monitoring_dsl import Gauge\n\ndepth = Gauge('queue_depth', 'Depth')\n"})
    assert {"catalog", "api", "web", "more"} == _same_as_plain(root, cache, executed)
    (root / "specs" / "web.py").unlink()
    assert {"catalog", "api", "more"} == _same_as_plain(root, cache, executed)
    _edit(root, "catalog.py", "LIMIT = 10", "LIMIT = undefined_name")
    assert {"catalog", "api"} == _same_as_plain(root, cache, executed)
    assert {"catalog", "api"} == _same_as_plain(root, cache, executed)  # a failure is not kept
    _edit(root, "catalog.py", "LIMIT = undefined_name", "LIMIT = 10")
    assert set() == _same_as_plain(root, cache, executed)  # as the last load that succeeded kept them


def test_a_module_that_prints_is_executed_every_time_and_the_others_restored(
    tmp_path: Path, executed: list[str]
) -> None:
    root = write_specs(tmp_path, {**PROJECT, "talks.py": "print('loading talks')\n"})
    cache = tmp_path / "cache"
    _same_as_plain(root, cache, executed)
    assert {"talks"} == _same_as_plain(root, cache, executed)
    assert ["loading talks\n"] == [printed for _, printed in load([root / "specs"], root, cache).output]


def test_a_damaged_or_foreign_file_is_ignored_and_rewritten(tmp_path: Path, executed: list[str]) -> None:
    root = write_specs(tmp_path, PROJECT)
    cache = tmp_path / "cache"
    _same_as_plain(root, cache, executed)

    def run() -> None:
        assert {"catalog", "api", "web"} == _same_as_plain(root, cache, executed)

    damage_and_rerun(cache / restore.FILENAME, restore.MAGIC, restore.fingerprint(), run)
